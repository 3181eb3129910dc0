//! One plain breaker — every outcome of the closed period in a list, behind one mutex — with
//! knobs: each realistic mutant switches exactly one [`Flaw`] on.

use super::super::conformance::model_validate;
use super::super::{
    BreakerConfig, BreakerState, CircuitBreaker, ConfigError, Permit, Rejected, Window,
};
use crate::clock::Clock;
use parking_lot::Mutex;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The one mistake a mutant makes. Every knob is off unless the mutant switches it on.
pub trait Flaw: Send + Sync + 'static {
    /// Opens when failures reach the threshold of the window's *size*, not of its calls.
    const COUNT_NOT_RATE: bool = false;
    /// Compares rates with a strict `>`.
    const STRICT_THRESHOLD: bool = false;
    /// Judges before the window holds minimum_calls outcomes.
    const IGNORE_MINIMUM: bool = false;
    /// A full count window restarts empty instead of sliding.
    const TUMBLING_WINDOW: bool = false;
    /// A count window never drops its oldest outcome.
    const GROWING_WINDOW: bool = false;
    /// Counts the open wait from the window's first failure.
    const WAIT_FROM_FIRST_FAILURE: bool = false;
    /// Half-open grants every call.
    const UNLIMITED_PROBES: bool = false;
    /// Half-open closes on the first successful probe.
    const CLOSE_ON_FIRST_SUCCESS: bool = false;
    /// Closing brings back the window the breaker had when it opened.
    const KEEP_WINDOW: bool = false;
    /// Records reports of permits granted before a transition.
    const STALE_COUNTED: bool = false;
    /// Accepts a minimum_calls above the count window.
    const MINIMUM_UNBOUNDED: bool = false;
    /// A time window never ages its outcomes.
    const TIME_NEVER_AGES: bool = false;
    /// A time window ages each outcome by its own timestamp (now − at < span).
    const AGES_BY_TIMESTAMP: bool = false;
    /// A call of exactly the threshold is slow.
    const SLOW_AT_THRESHOLD: bool = false;
    /// Times calls with `std::time::Instant`.
    const SYSTEM_CLOCK: bool = false;
    /// Checks the probe count, releases the lock to read the clock, then takes the probe.
    const PROBES_CHECKED_APART: bool = false;
    /// A dropped permit reports nothing.
    const DROP_SILENT: bool = false;
    /// Copies the state out to judge a report, then writes the copy back.
    const COPY_BACK: bool = false;
    /// Bulkhead: checks for a free slot, releases the lock to read the clock, then takes it.
    const SLOT_CHECKED_APART: bool = false;
    /// Bulkhead: never sheds for a full queue.
    const UNBOUNDED_QUEUE: bool = false;
    /// Bulkhead: passes a released slot to the newest waiter.
    const LIFO: bool = false;
    /// Bulkhead: frees a released slot instead of passing it to the head waiter.
    const LOST_WAKEUP: bool = false;
    /// Bulkhead: waiters never give up.
    const DEADLINE_IGNORED: bool = false;
}

#[derive(Debug, Clone, Copy)]
struct Recorded {
    at: Duration,
    failed: bool,
    slow: bool,
}

#[derive(Debug, Clone)]
enum Phase {
    Closed(Vec<Recorded>),
    Open {
        retry_at: Duration,
        kept: Vec<Recorded>,
    },
    HalfOpen {
        granted: u32,
        outcomes: Vec<Recorded>,
        kept: Vec<Recorded>,
    },
}

#[derive(Debug, Clone)]
struct State {
    phase: Phase,
    generation: u64,
}

/// A breaker with one flaw `F`.
pub struct Flawed<F> {
    config: BreakerConfig,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    flaw: PhantomData<F>,
}

impl<F: Flaw> Flawed<F> {
    fn trips(&self, list: &[Recorded], window_size: u128) -> bool {
        let calls = if F::COUNT_NOT_RATE {
            window_size
        } else {
            list.len() as u128
        };
        let reaches = |count: u128, pct: u8| {
            if F::STRICT_THRESHOLD {
                count * 100 > u128::from(pct) * calls
            } else {
                count * 100 >= u128::from(pct) * calls
            }
        };
        let failures = list.iter().filter(|r| r.failed).count() as u128;
        let slow = list.iter().filter(|r| r.slow).count() as u128;
        reaches(failures, self.config.failure_rate_pct)
            || self.config.slow.is_some_and(|s| reaches(slow, s.rate_pct))
    }

    fn window(&self, list: &[Recorded], now: Duration) -> Vec<Recorded> {
        match self.config.window {
            Window::Count { calls } => {
                if F::GROWING_WINDOW {
                    return list.to_vec();
                }
                let skip = list.len().saturating_sub(calls as usize);
                list[skip..].to_vec()
            }
            Window::Time { span, buckets } => {
                if F::TIME_NEVER_AGES {
                    return list.to_vec();
                }
                if F::AGES_BY_TIMESTAMP {
                    return list
                        .iter()
                        .copied()
                        .filter(|r| now.saturating_sub(r.at) < span)
                        .collect();
                }
                let width = span.as_nanos() / u128::from(buckets);
                let current = now.as_nanos() / width;
                list.iter()
                    .copied()
                    .filter(|r| {
                        current.saturating_sub(r.at.as_nanos() / width) < u128::from(buckets)
                    })
                    .collect()
            }
        }
    }

    fn settle(state: &mut State, now: Duration) {
        if let Phase::Open { retry_at, kept } = &mut state.phase
            && now >= *retry_at
        {
            let kept = std::mem::take(kept);
            state.phase = Phase::HalfOpen {
                granted: 0,
                outcomes: Vec::new(),
                kept,
            };
            state.generation += 1;
        }
    }

    fn open(&self, state: &mut State, now: Duration, window: &[Recorded], kept: Vec<Recorded>) {
        let from = if F::WAIT_FROM_FIRST_FAILURE {
            window.iter().find(|r| r.failed).map_or(now, |r| r.at)
        } else {
            now
        };
        state.phase = Phase::Open {
            retry_at: from.saturating_add(self.config.open_wait),
            kept,
        };
        state.generation += 1;
    }

    /// Applies one report to `state`.
    fn apply(&self, state: &mut State, generation: u64, failed: bool, slow: bool, now: Duration) {
        if generation != state.generation && !F::STALE_COUNTED {
            return;
        }
        Self::settle(state, now);
        let recorded = Recorded {
            at: now,
            failed,
            slow,
        };
        let window_size = match self.config.window {
            Window::Count { calls } => u128::from(calls),
            Window::Time { .. } => 0,
        };
        match &mut state.phase {
            Phase::Closed(list) => {
                if F::TUMBLING_WINDOW
                    && let Window::Count { calls } = self.config.window
                    && list.len() >= calls as usize
                {
                    list.clear();
                }
                list.push(recorded);
                let list = list.clone();
                let window = self.window(&list, now);
                let size = if matches!(self.config.window, Window::Time { .. }) {
                    window.len() as u128
                } else {
                    window_size
                };
                let enough = F::IGNORE_MINIMUM
                    || window.len() as u64 >= u64::from(self.config.minimum_calls);
                if enough && self.trips(&window, size) {
                    let kept = if F::KEEP_WINDOW { list } else { Vec::new() };
                    self.open(state, now, &window, kept);
                }
            }
            Phase::HalfOpen { outcomes, kept, .. } => {
                outcomes.push(recorded);
                let outcomes = outcomes.clone();
                let kept = std::mem::take(kept);
                let done = outcomes.len() as u64 >= u64::from(self.config.half_open_probes);
                if F::CLOSE_ON_FIRST_SUCCESS && !failed {
                    state.phase = Phase::Closed(kept);
                    state.generation += 1;
                } else if done {
                    if self.trips(&outcomes, outcomes.len() as u128) {
                        self.open(state, now, &outcomes, kept);
                    } else {
                        state.phase = Phase::Closed(kept);
                        state.generation += 1;
                    }
                } else if let Phase::HalfOpen { kept: k, .. } = &mut state.phase {
                    *k = kept;
                }
            }
            Phase::Open { .. } => {}
        }
    }

    fn record(&self, generation: u64, started: Duration, started_real: Instant, failed: bool) {
        let duration_of = |now: Duration| {
            if F::SYSTEM_CLOCK {
                started_real.elapsed()
            } else {
                now.saturating_sub(started)
            }
        };
        let is_slow = |d: Duration| {
            self.config.slow.is_some_and(|s| {
                if F::SLOW_AT_THRESHOLD {
                    d >= s.threshold
                } else {
                    d > s.threshold
                }
            })
        };
        if F::COPY_BACK {
            let mut copy = self.state.lock().clone();
            let now = self.clock.now();
            self.apply(
                &mut copy,
                generation,
                failed,
                is_slow(duration_of(now)),
                now,
            );
            *self.state.lock() = copy;
        } else {
            let now = self.clock.now();
            let mut state = self.state.lock();
            self.apply(
                &mut state,
                generation,
                failed,
                is_slow(duration_of(now)),
                now,
            );
        }
    }
}

impl<F: Flaw> CircuitBreaker for Flawed<F> {
    type Permit<'a> = FlawedPermit<'a, F>;

    fn new(config: BreakerConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let unbounded_minimum = F::MINIMUM_UNBOUNDED
            && matches!(config.window, Window::Count { calls } if calls >= 1 && config.minimum_calls > calls);
        if !unbounded_minimum {
            model_validate(&config)?;
        }
        Ok(Self {
            config,
            clock,
            state: Mutex::new(State {
                phase: Phase::Closed(Vec::new()),
                generation: 0,
            }),
            flaw: PhantomData,
        })
    }

    fn try_acquire(&self) -> Result<FlawedPermit<'_, F>, Rejected> {
        let now = self.clock.now();
        let started_real = Instant::now();
        let mut state = self.state.lock();
        Self::settle(&mut state, now);
        let mut generation = state.generation;
        match &mut state.phase {
            Phase::Closed(_) => {}
            Phase::Open { retry_at, .. } => {
                return Err(Rejected::Open {
                    retry_at: *retry_at,
                });
            }
            Phase::HalfOpen { granted, .. } => {
                if *granted >= self.config.half_open_probes && !F::UNLIMITED_PROBES {
                    return Err(Rejected::ProbesTaken);
                }
                if F::PROBES_CHECKED_APART {
                    drop(state);
                    let _start = self.clock.now();
                    let mut state = self.state.lock();
                    generation = state.generation;
                    if let Phase::HalfOpen { granted, .. } = &mut state.phase {
                        *granted += 1;
                    }
                } else {
                    *granted += 1;
                }
            }
        }
        Ok(FlawedPermit {
            breaker: self,
            generation,
            started: now,
            started_real,
            reported: false,
        })
    }

    fn state(&self) -> BreakerState {
        let now = self.clock.now();
        let mut state = self.state.lock();
        Self::settle(&mut state, now);
        match state.phase {
            Phase::Closed(_) => BreakerState::Closed,
            Phase::Open { retry_at, .. } => BreakerState::Open { retry_at },
            Phase::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }
}

/// The flawed breaker's permit.
pub struct FlawedPermit<'a, F: Flaw> {
    breaker: &'a Flawed<F>,
    generation: u64,
    started: Duration,
    started_real: Instant,
    reported: bool,
}

impl<F: Flaw> FlawedPermit<'_, F> {
    fn report(mut self, failed: bool) {
        self.reported = true;
        self.breaker
            .record(self.generation, self.started, self.started_real, failed);
    }
}

impl<F: Flaw> Permit for FlawedPermit<'_, F> {
    fn success(self) {
        self.report(false);
    }

    fn failure(self) {
        self.report(true);
    }
}

impl<F: Flaw> Drop for FlawedPermit<'_, F> {
    fn drop(&mut self) {
        if !self.reported && !F::DROP_SILENT {
            self.reported = true;
            self.breaker
                .record(self.generation, self.started, self.started_real, true);
        }
    }
}

/// No flaw: the plain breaker, correct — a second design (every outcome in a list, the window
/// recomputed on each report) that must score full marks.
pub struct NoFlaw;

impl Flaw for NoFlaw {}
