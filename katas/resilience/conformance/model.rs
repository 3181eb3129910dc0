//! The obviously-correct breaker the checks compare with: it keeps every outcome of the
//! current closed period in a list and recomputes the window from scratch on every report.
//! Slow, and written to be read next to the contract, sentence by sentence.

use super::super::{BreakerConfig, BreakerState, ConfigError, Rejected, Window};
use std::time::Duration;

/// One recorded outcome of the closed period: its report reading, failed, slow.
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
    },
    HalfOpen {
        granted: u32,
        outcomes: Vec<Recorded>,
    },
}

/// The model breaker. Time is passed in: every method takes the reading the real breaker
/// would take.
#[derive(Debug, Clone)]
pub struct Model {
    config: BreakerConfig,
    phase: Phase,
    generation: u64,
}

/// A permit the model granted: its generation and its start reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelPermit {
    generation: u64,
    started: Duration,
}

/// The contract's validation, in its order.
pub fn model_validate(config: &BreakerConfig) -> Result<(), ConfigError> {
    let window_ok = match config.window {
        Window::Count { calls } => calls >= 1,
        Window::Time { span, buckets } => {
            buckets >= 1 && !span.is_zero() && span.as_nanos() % u128::from(buckets) == 0
        }
    };
    if !window_ok {
        return Err(ConfigError::Window(config.window));
    }
    let too_many = matches!(config.window, Window::Count { calls } if config.minimum_calls > calls);
    if config.minimum_calls == 0 || too_many {
        return Err(ConfigError::MinimumCalls(config.minimum_calls));
    }
    if !(1..=100).contains(&config.failure_rate_pct) {
        return Err(ConfigError::Rate(config.failure_rate_pct));
    }
    if let Some(slow) = config.slow
        && !(1..=100).contains(&slow.rate_pct)
    {
        return Err(ConfigError::Rate(slow.rate_pct));
    }
    if config.half_open_probes == 0 {
        return Err(ConfigError::Probes);
    }
    Ok(())
}

impl Model {
    /// A closed model breaker, or the contract's first configuration error.
    pub fn new(config: BreakerConfig) -> Result<Self, ConfigError> {
        model_validate(&config)?;
        Ok(Self {
            config,
            phase: Phase::Closed(Vec::new()),
            generation: 0,
        })
    }

    /// The policy.
    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    fn go(&mut self, phase: Phase) {
        self.phase = phase;
        self.generation += 1;
    }

    /// Open → half-open once the reading has reached `retry_at`.
    fn settle(&mut self, now: Duration) {
        if let Phase::Open { retry_at } = self.phase
            && now >= retry_at
        {
            self.go(Phase::HalfOpen {
                granted: 0,
                outcomes: Vec::new(),
            });
        }
    }

    /// `try_acquire` at reading `now`.
    pub fn acquire(&mut self, now: Duration) -> Result<ModelPermit, Rejected> {
        self.settle(now);
        let probes = self.config.half_open_probes;
        match &mut self.phase {
            Phase::Closed(_) => {}
            Phase::Open { retry_at } => {
                return Err(Rejected::Open {
                    retry_at: *retry_at,
                });
            }
            Phase::HalfOpen { granted, .. } => {
                if *granted >= probes {
                    return Err(Rejected::ProbesTaken);
                }
                *granted += 1;
            }
        }
        Ok(ModelPermit {
            generation: self.generation,
            started: now,
        })
    }

    /// The state at reading `now`.
    pub fn state(&mut self, now: Duration) -> BreakerState {
        self.settle(now);
        match self.phase {
            Phase::Closed(_) => BreakerState::Closed,
            Phase::Open { retry_at } => BreakerState::Open { retry_at },
            Phase::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    /// Whether a call of this permit reported at `now` is slow.
    pub fn is_slow(&self, permit: ModelPermit, now: Duration) -> bool {
        self.config
            .slow
            .is_some_and(|s| now.saturating_sub(permit.started) > s.threshold)
    }

    /// The outcomes of `list` that are in the window at reading `now`.
    fn in_window(&self, list: &[Recorded], now: Duration) -> Vec<Recorded> {
        match self.config.window {
            Window::Count { calls } => {
                let skip = list.len().saturating_sub(calls as usize);
                list[skip..].to_vec()
            }
            Window::Time { span, buckets } => {
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

    /// Whether `outcomes` trip the breaker: a rate at or above its threshold.
    fn trips(&self, outcomes: &[Recorded]) -> bool {
        let calls = outcomes.len() as u128;
        let failures = outcomes.iter().filter(|r| r.failed).count() as u128;
        let slow = outcomes.iter().filter(|r| r.slow).count() as u128;
        failures * 100 >= u128::from(self.config.failure_rate_pct) * calls
            || self
                .config
                .slow
                .is_some_and(|s| slow * 100 >= u128::from(s.rate_pct) * calls)
    }

    /// A report (`failed`: failure or dropped) of `permit` at reading `now`.
    pub fn report(&mut self, permit: ModelPermit, failed: bool, now: Duration) {
        if permit.generation != self.generation {
            return;
        }
        let recorded = Recorded {
            at: now,
            failed,
            slow: self.is_slow(permit, now),
        };
        let open = Phase::Open {
            retry_at: now.saturating_add(self.config.open_wait),
        };
        match &mut self.phase {
            Phase::Closed(list) => {
                list.push(recorded);
                let list = list.clone();
                let window = self.in_window(&list, now);
                if window.len() as u64 >= u64::from(self.config.minimum_calls)
                    && self.trips(&window)
                {
                    self.go(open);
                } else if let Window::Count { calls } = self.config.window
                    && let Phase::Closed(list) = &mut self.phase
                    && list.len() > calls as usize
                {
                    // Outcomes pushed out of a count window never come back: forget them.
                    list.remove(0);
                }
            }
            Phase::HalfOpen { outcomes, .. } => {
                outcomes.push(recorded);
                if outcomes.len() as u64 == u64::from(self.config.half_open_probes) {
                    let outcomes = outcomes.clone();
                    if self.trips(&outcomes) {
                        self.go(open);
                    } else {
                        self.go(Phase::Closed(Vec::new()));
                    }
                }
            }
            Phase::Open { .. } => {}
        }
    }

    /// `retry_at` if the model is open.
    pub fn retry_at(&self) -> Option<Duration> {
        match self.phase {
            Phase::Open { retry_at } => Some(retry_at),
            _ => None,
        }
    }
}
