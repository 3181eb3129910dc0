//! Scenario plumbing: a limiter on a manual clock with a transcript, the generators (with the
//! documented edges mixed in) and the drivers that replay steps against the oracle.

use super::*;

/// One limiter on a manual clock, with a transcript of everything done to it.
pub(super) struct Scenario<L> {
    pub(super) clock: ManualClock,
    pub(super) limiter: L,
    pub(super) log: RefCell<Transcript>,
}

impl<L: RateLimiter> Scenario<L> {
    pub(super) fn new(config: BucketConfig) -> Result<Self, Failure> {
        Self::starting_at(config, Duration::ZERO)
    }

    pub(super) fn starting_at(config: BucketConfig, at: Duration) -> Result<Self, Failure> {
        let clock = ManualClock::starting_at(at);
        let log = Transcript::new(format!(
            "{}; clock starts at t={}",
            describe(&config),
            ns(at)
        ));
        match L::new(config, Arc::new(clock.clone())) {
            Ok(limiter) => Ok(Self {
                clock,
                limiter,
                log: RefCell::new(log),
            }),
            Err(e) => Err(Failure::new(
                log,
                "a full bucket (the config is valid)",
                format!("new() returned Err({e:?}): {e}"),
            )),
        }
    }

    pub(super) fn now(&self) -> Duration {
        self.clock.now()
    }

    pub(super) fn set(&self, at: Duration) {
        self.clock.set(at);
    }

    pub(super) fn note(&self, line: impl Into<String>) {
        self.log.borrow_mut().step(line);
    }

    pub(super) fn acquire(&self, n: u64) -> Result<(), AcquireError> {
        let r = self.limiter.try_acquire(n);
        self.note(format!(
            "t={}: try_acquire({n}) → {}",
            ns(self.now()),
            outcome(&r)
        ));
        r
    }

    /// Takes single tokens until denied; returns how many were granted (at most `limit`).
    pub(super) fn drain(&self, limit: u64) -> u64 {
        let mut granted = 0;
        while granted < limit && self.limiter.try_acquire(1).is_ok() {
            granted += 1;
        }
        self.note(format!(
            "t={}: try_acquire(1) until denied → {granted} granted",
            ns(self.now())
        ));
        granted
    }

    pub(super) fn fail(&self, expected: impl fmt::Display, got: impl fmt::Display) -> Failure {
        Failure::new(&*self.log.borrow(), expected, got)
    }
}

pub(super) fn config(capacity: u64, refill_tokens: u64, period_ns: u64) -> BucketConfig {
    BucketConfig::new(capacity, refill_tokens, Duration::from_nanos(period_ns))
}

/// Time for `tokens` tokens to accrue, rounded up.
pub(super) fn accrual(config: &BucketConfig, tokens: u64) -> Duration {
    let grains = u128::from(tokens) * config.refill_period.as_nanos();
    let ns = grains.div_ceil(u128::from(config.refill_tokens));
    Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
}

/// Small configs where fractions matter: rates like 3 tokens / 10 ns.
pub(super) fn small_config() -> impl Strategy<Value = BucketConfig> {
    (1u64..=8, 1u64..=5, 1u64..=12).prop_map(|(b, r, p)| config(b, r, p))
}

/// Configs from tiny to the largest allowed, edges mixed in.
pub(super) fn any_config() -> impl Strategy<Value = BucketConfig> {
    prop_oneof![
        3 => small_config(),
        1 => Just(config(1, 1, 1)),
        1 => Just(config(3, 2, 3)),
        1 => Just(config(1, u64::MAX, 1)),
        1 => (1u64..=1_000, 1u64..=1_000_000, 1u64..=1_000_000_000).prop_map(|(b, r, p)| config(b, r, p)),
        1 => Just(config(1 << 60, 3, 15)),
        1 => Just(config((1 << 53) + 1, 1, 1)),
        1 => Just(config(u64::MAX, 1, 1)),
        1 => Just(config(u64::MAX / 1_000_000_000, 1_000_000_000, 1_000_000_000)),
    ]
}

/// A step of a random single-threaded scenario.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Move the clock forwards by this many ns.
    Advance(u64),
    /// try_acquire(n), where n is a fraction of capacity: `n = capacity * num / 8`, plus `plus`.
    Acquire { eighths: u8, plus: u8 },
    /// Take tokens one at a time until denied.
    Drain,
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Advance(d) => write!(f, "advance {d} ns"),
            Step::Acquire { eighths, plus } => {
                write!(f, "acquire {eighths}/8 of capacity + {plus}")
            }
            Step::Drain => write!(f, "drain"),
        }
    }
}

pub(super) fn step(max_advance: u64) -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => prop_oneof![Just(0u64), Just(1), 0..=max_advance].prop_map(Step::Advance),
        3 => (0u8..=8, 0u8..=2).prop_map(|(eighths, plus)| Step::Acquire { eighths, plus }),
        1 => Just(Step::Drain),
    ]
}

pub(super) fn request_size(capacity: u64, eighths: u8, plus: u8) -> u64 {
    let base = (u128::from(capacity) * u128::from(eighths) / 8) as u64;
    base.saturating_add(u64::from(plus)).min(capacity)
}

/// Runs `steps` on a scenario and on the oracle side by side; returns (time, tokens) grants.
pub(super) fn replay<L: RateLimiter>(
    s: &Scenario<L>,
    oracle: &mut Oracle,
    config: &BucketConfig,
    steps: &[Step],
    drain_limit: u64,
) -> Vec<(u128, u64)> {
    let mut grants = Vec::new();
    for st in steps {
        match *st {
            Step::Advance(d) => {
                let to = s.now().saturating_add(Duration::from_nanos(d));
                s.set(to);
            }
            Step::Acquire { eighths, plus } => {
                let n = request_size(config.capacity, eighths, plus);
                let now = s.now();
                if s.acquire(n).is_ok() {
                    grants.push((now.as_nanos(), n));
                }
                let _ = oracle.try_acquire(now, n);
            }
            Step::Drain => {
                let now = s.now();
                let got = s.drain(drain_limit);
                if got > 0 {
                    grants.push((now.as_nanos(), got));
                }
                for _ in 0..got {
                    let _ = oracle.try_acquire(now, 1);
                }
            }
        }
    }
    grants
}
