//! The configurable flawed bucket: one [`Flaw`] switched on per mutant.

use super::*;

/// One bug, switched on by overriding one constant.
pub trait Flaw: Send + Sync + 'static {
    /// Never cap the level at capacity.
    const NO_CAP: bool = false;
    /// Admit when one token short (GCRA tolerance of b·T instead of (b−1)·T).
    const EXTRA_TOKEN: bool = false;
    /// Throw away the fraction of a token accrued at each refill.
    const DROP_REMAINDER: bool = false;
    /// Add `refill_tokens` only when a whole period has passed.
    const LUMP_REFILL: bool = false;
    /// Read state, release the lock, read the clock, then write state back.
    const SPLIT_LOCK: bool = false;
    /// Answer `n > capacity` with a wait.
    const EXCEEDS_AS_RETRY: bool = false;
    /// Take what is there on a denial.
    const CONSUME_ON_DENIAL: bool = false;
    /// Round `retry_after` down.
    const ROUND_DOWN: bool = false;
    /// `now - last` unchecked, and `last = now` even backwards.
    const UNCHECKED_CLOCK: bool = false;
    /// `elapsed * rate` in u64.
    const OVERFLOWING_REFILL: bool = false;
    /// Charge 0-token requests as 1.
    const ZERO_COSTS_ONE: bool = false;
    /// Accept any config.
    const NO_VALIDATION: bool = false;
    /// Reservations do not set tokens aside.
    const RETRYING_WAITER: bool = false;
    /// Dropping a waiting reservation keeps its tokens.
    const CANCEL_KEEPS: bool = false;
    /// Dropping any reservation refunds it.
    const CANCEL_ALWAYS_REFUNDS: bool = false;
    /// A cancellation's refund is not capped at capacity. The refill skips its work when no
    /// time has passed (harmless on its own), so the excess shows until the clock moves.
    const CANCEL_UNCAPPED: bool = false;
    /// A 0-token request goes through the level check, which a bucket in debt fails.
    const ZERO_BEHIND_QUEUE: bool = false;
    /// `ready_at` is computed in u64 nanoseconds, wrapping past 2^64.
    const DEADLINE_U64: bool = false;
    /// Read the clock before taking the lock.
    const CLOCK_BEFORE_LOCK: bool = false;
}

macro_rules! flaws {
    ($($name:ident => $knob:ident),+ $(,)?) => {$(
        #[doc = concat!("Switches on `", stringify!($knob), "`.")]
        pub struct $name;
        impl Flaw for $name {
            const $knob: bool = true;
        }
    )+};
}

flaws! {
    UncappedRefill => NO_CAP,
    BurstOffByOne => EXTRA_TOKEN,
    RemainderDropped => DROP_REMAINDER,
    LumpRefill => LUMP_REFILL,
    LoadCheckStore => SPLIT_LOCK,
    ExceedsAsRetry => EXCEEDS_AS_RETRY,
    ConsumeOnDenial => CONSUME_ON_DENIAL,
    RetryRoundedDown => ROUND_DOWN,
    UncheckedClock => UNCHECKED_CLOCK,
    RefillOverflow => OVERFLOWING_REFILL,
    ZeroCostsOne => ZERO_COSTS_ONE,
    NoValidation => NO_VALIDATION,
    RetryingWaiter => RETRYING_WAITER,
    CancelKeepsTokens => CANCEL_KEEPS,
    CancelAlwaysRefunds => CANCEL_ALWAYS_REFUNDS,
    CancelUncapped => CANCEL_UNCAPPED,
    ZeroBehindQueue => ZERO_BEHIND_QUEUE,
    DeadlineU64 => DEADLINE_U64,
    ClockBeforeLock => CLOCK_BEFORE_LOCK,
}

/// A token bucket that counts whole tokens plus the fraction accrued toward the next one, with
/// one [`Flaw`] switched on.
pub struct Flawed<F> {
    clock: Arc<dyn Clock>,
    capacity: u64,
    rate: u64,
    period_ns: u64,
    state: Mutex<Tally>,
    flaw: PhantomData<F>,
}

#[derive(Clone, Copy)]
pub(super) struct Tally {
    /// Whole tokens; negative while reservations are owed.
    tokens: i128,
    /// Sub-token progress toward the next token, in 1/period_ns units (< period_ns).
    partial: u128,
    /// Last clock reading accounted for, ns.
    last: u64,
}

impl<F: Flaw> Flawed<F> {
    fn now(&self) -> u64 {
        u64::try_from(self.clock.now().as_nanos()).unwrap_or(u64::MAX)
    }

    fn refill(&self, t: &mut Tally, now: u64) {
        let elapsed = if F::UNCHECKED_CLOCK {
            // The bug: no check that the clock moved forwards.
            let e = now.wrapping_sub(t.last);
            t.last = now;
            e
        } else {
            let e = now.saturating_sub(t.last);
            t.last = t.last.max(now);
            e
        };
        if F::CANCEL_UNCAPPED && elapsed == 0 {
            return;
        }
        if F::LUMP_REFILL {
            let periods = elapsed / self.period_ns;
            // Only whole periods count; the clock position of the rest is kept.
            t.last = t.last - elapsed + periods * self.period_ns;
            t.tokens += i128::from(periods) * i128::from(self.rate);
        } else {
            let gained = if F::OVERFLOWING_REFILL {
                u128::from(elapsed.wrapping_mul(self.rate))
            } else {
                u128::from(elapsed) * u128::from(self.rate)
            };
            let grains = t.partial.saturating_add(gained);
            let whole = grains / u128::from(self.period_ns);
            t.tokens = t
                .tokens
                .saturating_add(i128::try_from(whole).unwrap_or(i128::MAX));
            t.partial = if F::DROP_REMAINDER {
                0
            } else {
                grains % u128::from(self.period_ns)
            };
        }
        if !F::NO_CAP && t.tokens >= i128::from(self.capacity) {
            t.tokens = i128::from(self.capacity);
            t.partial = 0;
        }
    }

    /// ns until the level rises by `deficit` whole tokens (minus the partial already there).
    fn wait(&self, t: &Tally, deficit: i128) -> u128 {
        let grains = u128::try_from(deficit).unwrap_or(0) * u128::from(self.period_ns);
        let grains = grains.saturating_sub(t.partial);
        let rate = u128::from(self.rate);
        if F::ROUND_DOWN {
            grains / rate
        } else {
            grains.div_ceil(rate)
        }
    }

    /// Runs `f` on the refilled state, under one lock (or, with SPLIT_LOCK, racily).
    fn with_state<T>(&self, f: impl FnOnce(&mut Tally, u64) -> T) -> T {
        if F::SPLIT_LOCK {
            let mut copy = *self.state.lock();
            let now = self.now();
            self.refill(&mut copy, now);
            let out = f(&mut copy, now);
            *self.state.lock() = copy;
            out
        } else if F::CLOCK_BEFORE_LOCK {
            // The bug: by the time the lock is ours, another thread may have granted on a
            // later reading, and this one is older than the state it meets.
            let now = self.now();
            let mut t = self.state.lock();
            self.refill(&mut t, now);
            f(&mut t, now)
        } else {
            let mut t = self.state.lock();
            let now = self.now();
            self.refill(&mut t, now);
            f(&mut t, now)
        }
    }
}

impl<F: Flaw> RateLimiter for Flawed<F> {
    type Reservation<'a> = FlawedReservation<'a, F>;

    fn new(config: BucketConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let period_ns = u64::try_from(config.refill_period.as_nanos()).unwrap_or(u64::MAX);
        if !F::NO_VALIDATION {
            if config.capacity == 0 {
                return Err(ConfigError::ZeroCapacity);
            }
            if config.refill_tokens == 0 {
                return Err(ConfigError::ZeroRefillTokens);
            }
            if period_ns == 0 {
                return Err(ConfigError::ZeroRefillPeriod);
            }
            if config.refill_period.as_nanos() > u128::from(u64::MAX)
                || config.capacity.checked_mul(period_ns).is_none()
            {
                return Err(ConfigError::TooLarge {
                    capacity: config.capacity,
                    refill_period: config.refill_period,
                });
            }
        }
        let last = u64::try_from(clock.now().as_nanos()).unwrap_or(u64::MAX);
        Ok(Self {
            clock,
            capacity: config.capacity,
            rate: config.refill_tokens.max(1),
            period_ns: period_ns.max(1),
            state: Mutex::new(Tally {
                tokens: i128::from(config.capacity),
                partial: 0,
                last,
            }),
            flaw: PhantomData,
        })
    }

    fn try_acquire(&self, tokens: u64) -> Result<(), AcquireError> {
        if tokens > self.capacity && !F::EXCEEDS_AS_RETRY {
            return Err(AcquireError::ExceedsCapacity {
                requested: tokens,
                capacity: self.capacity,
            });
        }
        let tokens = if F::ZERO_COSTS_ONE {
            tokens.max(1)
        } else {
            tokens
        };
        if tokens == 0 && !F::ZERO_BEHIND_QUEUE {
            return Ok(());
        }
        let want = i128::from(tokens);
        self.with_state(|t, now| {
            let allowance = if F::EXTRA_TOKEN {
                t.tokens + 1
            } else {
                t.tokens
            };
            if allowance >= want {
                t.tokens -= want;
                return Ok(());
            }
            let deficit = want - t.tokens;
            let wait = self.wait(t, deficit) + u128::from(t.last.saturating_sub(now));
            let wait = u64::try_from(wait).unwrap_or(u64::MAX);
            if F::CONSUME_ON_DENIAL && t.tokens > 0 {
                t.tokens = 0;
            }
            Err(AcquireError::RateLimited {
                retry_after: Duration::from_nanos(wait),
            })
        })
    }

    fn reserve(&self, tokens: u64) -> Result<FlawedReservation<'_, F>, AcquireError> {
        if tokens > self.capacity {
            return Err(AcquireError::ExceedsCapacity {
                requested: tokens,
                capacity: self.capacity,
            });
        }
        let ready_at = self.with_state(|t, now| {
            if tokens == 0 {
                return u128::from(now);
            }
            let after = t.tokens - i128::from(tokens);
            if !F::RETRYING_WAITER {
                t.tokens = after;
            }
            if after >= 0 {
                u128::from(now)
            } else if F::DEADLINE_U64 {
                // The bug: 64-bit nanoseconds wrap once the queue owes more than 2^64 ns.
                u128::from(t.last.wrapping_add(self.wait(t, -after) as u64))
            } else {
                u128::from(t.last) + self.wait(t, -after)
            }
        });
        Ok(FlawedReservation {
            bucket: self,
            tokens,
            ready_at: nanos_to_duration(ready_at),
        })
    }
}

/// A reservation in a [`Flawed`] bucket.
pub struct FlawedReservation<'a, F: Flaw> {
    bucket: &'a Flawed<F>,
    tokens: u64,
    ready_at: Duration,
}

impl<F: Flaw> crate::rate_limiter::Reservation for FlawedReservation<'_, F> {
    fn ready_at(&self) -> Duration {
        self.ready_at
    }
    fn tokens(&self) -> u64 {
        self.tokens
    }
}

impl<F: Flaw> Drop for FlawedReservation<'_, F> {
    fn drop(&mut self) {
        if F::CANCEL_KEEPS || F::RETRYING_WAITER {
            return;
        }
        let b = self.bucket;
        let (ready_at, tokens) = (self.ready_at, self.tokens);
        b.with_state(|t, now| {
            if F::CANCEL_ALWAYS_REFUNDS || Duration::from_nanos(now) < ready_at {
                t.tokens += i128::from(tokens);
                if !F::CANCEL_UNCAPPED && t.tokens >= i128::from(b.capacity) {
                    t.tokens = i128::from(b.capacity);
                    t.partial = 0;
                }
            }
        });
    }
}

/// `ns` nanoseconds as a `Duration`, saturating at `Duration::MAX`.
pub(super) fn nanos_to_duration(ns: u128) -> Duration {
    let secs = u64::try_from(ns / 1_000_000_000).unwrap_or(u64::MAX);
    Duration::new(secs, (ns % 1_000_000_000) as u32)
}
