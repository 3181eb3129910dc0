//! The model answer for the circuit breaker: one mutex around a small state machine.
//!
//! Every decision — grant or refuse, record, judge, transition — happens inside one critical
//! section, so "exactly K probes" and "no lost outcome" hold by construction; the clock is read
//! *before* taking the lock, so a slow clock never extends the critical section. The lock is held
//! for a few additions: the window keeps running counts (a ring of outcomes for a count window,
//! a ring of bucket counters for a time window), so recording and judging an outcome is O(1)
//! (O(buckets) to sum a time window).
//!
//! Late reports are told apart by a *generation*: a number bumped on every transition, stamped
//! on each permit when it is granted. A report whose generation is not the current one belongs
//! to a state that is gone, and is ignored.

use super::super::{
    BreakerConfig, BreakerState, CircuitBreaker, ConfigError, Permit as PermitTrait, Rejected,
    SlowCalls, Window,
};
use crate::clock::Clock;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

/// The reference circuit breaker.
pub struct Breaker {
    config: BreakerConfig,
    clock: Arc<dyn Clock>,
    inner: Mutex<Inner>,
}

/// One outcome, as the windows count it.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    calls: u64,
    failures: u64,
    slow: u64,
}

impl Tally {
    fn add(&mut self, failed: bool, slow: bool) {
        self.calls += 1;
        self.failures += u64::from(failed);
        self.slow += u64::from(slow);
    }

    fn remove(&mut self, failed: bool, slow: bool) {
        self.calls -= 1;
        self.failures -= u64::from(failed);
        self.slow -= u64::from(slow);
    }

    fn merge(&mut self, other: &Tally) {
        self.calls += other.calls;
        self.failures += other.failures;
        self.slow += other.slow;
    }

    /// Whether these outcomes trip the breaker: either rate at or above its threshold, in
    /// integers (u128, so no count can overflow the product).
    fn trips(&self, failure_pct: u8, slow: Option<SlowCalls>) -> bool {
        let reaches = |count: u64, pct: u8| {
            u128::from(count) * 100 >= u128::from(pct) * u128::from(self.calls)
        };
        reaches(self.failures, failure_pct) || slow.is_some_and(|s| reaches(self.slow, s.rate_pct))
    }
}

/// The closed state's window.
enum Outcomes {
    /// The last `size` outcomes (failed, slow), oldest first, with their running tally.
    Count {
        size: usize,
        ring: VecDeque<(bool, bool)>,
        tally: Tally,
    },
    /// One tally per bucket, slot `i % buckets` holding bucket `i` (its index kept with it, so
    /// a slot left over from an older lap is recognised as stale).
    Time {
        bucket_ns: u64,
        slots: Vec<(u64, Tally)>,
    },
}

impl Outcomes {
    fn new(window: Window) -> Self {
        match window {
            Window::Count { calls } => Self::Count {
                size: calls as usize,
                ring: VecDeque::new(),
                tally: Tally::default(),
            },
            Window::Time { span, buckets } => Self::Time {
                bucket_ns: nanos(span) / u64::from(buckets),
                // Bucket index u64::MAX never occurs for a real reading: empty slots.
                slots: vec![(u64::MAX, Tally::default()); buckets as usize],
            },
        }
    }

    /// Records one outcome reported at `now` and returns the window's tally at `now`.
    fn record(&mut self, failed: bool, slow: bool, now: u64) -> Tally {
        match self {
            Self::Count { size, ring, tally } => {
                if ring.len() == *size
                    && let Some((f, s)) = ring.pop_front()
                {
                    tally.remove(f, s);
                }
                ring.push_back((failed, slow));
                tally.add(failed, slow);
                *tally
            }
            Self::Time { bucket_ns, slots } => {
                let current = now / *bucket_ns;
                let n = slots.len() as u64;
                let slot = &mut slots[(current % n) as usize];
                if slot.0 != current {
                    *slot = (current, Tally::default());
                }
                slot.1.add(failed, slow);
                // The window: buckets current - (n - 1) ..= current. A bucket index above
                // `current` (the clock stepped back) is kept: it is not older than the window.
                let mut total = Tally::default();
                for (index, tally) in slots.iter() {
                    if *index != u64::MAX && current.saturating_sub(*index) < n {
                        total.merge(tally);
                    }
                }
                total
            }
        }
    }
}

enum Phase {
    Closed(Outcomes),
    Open { retry_at: Duration },
    HalfOpen { granted: u32, reported: Tally },
}

struct Inner {
    phase: Phase,
    generation: u64,
}

impl Breaker {
    /// Moves to `phase`, starting a new generation.
    fn enter(&self, inner: &mut Inner, phase: Phase) {
        inner.phase = phase;
        inner.generation += 1;
    }

    fn open_at(&self, inner: &mut Inner, now: Duration) {
        let retry_at = now.saturating_add(self.config.open_wait);
        self.enter(inner, Phase::Open { retry_at });
    }

    /// An open breaker whose wait has ended is half-open: made so lazily, on the first look.
    fn settle(&self, inner: &mut Inner, now: Duration) {
        if let Phase::Open { retry_at } = inner.phase
            && now >= retry_at
        {
            self.enter(
                inner,
                Phase::HalfOpen {
                    granted: 0,
                    reported: Tally::default(),
                },
            );
        }
    }

    fn record(&self, generation: u64, started: Duration, failed: bool) {
        let now = self.clock.now();
        let slow = self
            .config
            .slow
            .is_some_and(|s| now.saturating_sub(started) > s.threshold);
        let mut inner = self.inner.lock();
        if inner.generation != generation {
            return; // A report from a state that has ended.
        }
        match &mut inner.phase {
            Phase::Closed(outcomes) => {
                let tally = outcomes.record(failed, slow, nanos(now));
                if tally.calls >= u64::from(self.config.minimum_calls)
                    && tally.trips(self.config.failure_rate_pct, self.config.slow)
                {
                    self.open_at(&mut inner, now);
                }
            }
            Phase::HalfOpen { reported, .. } => {
                reported.add(failed, slow);
                if reported.calls == u64::from(self.config.half_open_probes) {
                    if reported.trips(self.config.failure_rate_pct, self.config.slow) {
                        self.open_at(&mut inner, now);
                    } else {
                        let outcomes = Outcomes::new(self.config.window);
                        self.enter(&mut inner, Phase::Closed(outcomes));
                    }
                }
            }
            // Nothing is granted while open, so no permit of this generation exists.
            Phase::Open { .. } => {}
        }
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn validate(config: &BreakerConfig) -> Result<(), ConfigError> {
    match config.window {
        Window::Count { calls: 0 } => return Err(ConfigError::Window(config.window)),
        Window::Time { span, buckets }
            if buckets == 0
                || span.is_zero()
                || !span.as_nanos().is_multiple_of(u128::from(buckets)) =>
        {
            return Err(ConfigError::Window(config.window));
        }
        _ => {}
    }
    let max_minimum = match config.window {
        Window::Count { calls } => calls,
        Window::Time { .. } => u32::MAX,
    };
    if config.minimum_calls == 0 || config.minimum_calls > max_minimum {
        return Err(ConfigError::MinimumCalls(config.minimum_calls));
    }
    for pct in std::iter::once(config.failure_rate_pct).chain(config.slow.map(|s| s.rate_pct)) {
        if pct == 0 || pct > 100 {
            return Err(ConfigError::Rate(pct));
        }
    }
    if config.half_open_probes == 0 {
        return Err(ConfigError::Probes);
    }
    Ok(())
}

impl CircuitBreaker for Breaker {
    type Permit<'a> = Permit<'a>;

    fn new(config: BreakerConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        validate(&config)?;
        Ok(Self {
            config,
            clock,
            inner: Mutex::new(Inner {
                phase: Phase::Closed(Outcomes::new(config.window)),
                generation: 0,
            }),
        })
    }

    fn try_acquire(&self) -> Result<Permit<'_>, Rejected> {
        let now = self.clock.now();
        let mut inner = self.inner.lock();
        self.settle(&mut inner, now);
        let generation = inner.generation;
        match &mut inner.phase {
            Phase::Closed(_) => {}
            Phase::Open { retry_at } => {
                return Err(Rejected::Open {
                    retry_at: *retry_at,
                });
            }
            Phase::HalfOpen { granted, .. } => {
                // Checked and counted in one critical section: never K + 1.
                if *granted == self.config.half_open_probes {
                    return Err(Rejected::ProbesTaken);
                }
                *granted += 1;
            }
        }
        Ok(Permit {
            breaker: self,
            generation,
            started: now,
            reported: false,
        })
    }

    fn state(&self) -> BreakerState {
        let now = self.clock.now();
        let mut inner = self.inner.lock();
        self.settle(&mut inner, now);
        match inner.phase {
            Phase::Closed(_) => BreakerState::Closed,
            Phase::Open { retry_at } => BreakerState::Open { retry_at },
            Phase::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }
}

/// The reference breaker's permit: remembers its generation and start; reports once.
pub struct Permit<'a> {
    breaker: &'a Breaker,
    generation: u64,
    started: Duration,
    reported: bool,
}

impl Permit<'_> {
    fn report(mut self, failed: bool) {
        self.reported = true;
        self.breaker.record(self.generation, self.started, failed);
    }
}

impl PermitTrait for Permit<'_> {
    fn success(self) {
        self.report(false);
    }

    fn failure(self) {
        self.report(true);
    }
}

impl Drop for Permit<'_> {
    /// Unreported: the call panicked or returned early. Counting it as a failure is what keeps
    /// a half-open breaker from waiting forever for a probe that will never report.
    fn drop(&mut self) {
        if !self.reported {
            self.reported = true;
            self.breaker.record(self.generation, self.started, true);
        }
    }
}
