//! The model answer: an exact, integer token bucket behind one short mutex.
//!
//! # Design
//!
//! **Exact units.** Tokens refill at `r` per period `p`, which is rarely a whole number of
//! nanoseconds per token. Instead of fractions we count *grains*: one token is `p` grains (`p`
//! in ns) and the bucket gains `r` grains every nanosecond. Every quantity is then an integer,
//! refill needs no division, and remainders of partial refills are kept by construction — the
//! bucket's level at time `T` does not depend on how often it was read before `T`.
//!
//! **One lock, held briefly.** The state is two numbers (grains, time of last refill) that
//! must change together, so they live behind one `parking_lot::Mutex`. The critical section is
//! a handful of integer operations and never waits, so a mutex is as fast as a compare-and-swap
//! loop here, and it also gives stage 3 (queueing) for free.
//!
//! **A queue as debt.** A reservation takes its grains immediately, even when that drives the
//! level below zero: the negative level is the debt owed to the queue. FIFO order follows —
//! each reservation is ready when the debt up to and including it is repaid — and `try_acquire`
//! cannot jump the queue, because it needs a positive level. Cancelling gives the grains back.
//!
//! **Time that goes backwards** is treated as time standing still: the last refill time only
//! ever moves forwards, so a clock that steps back never mints tokens.

use super::{AcquireError, BucketConfig, ConfigError, RateLimiter};
use crate::clock::Clock;
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;

/// A token bucket, exact to the nanosecond, safe to share between threads.
pub struct TokenBucket {
    clock: Arc<dyn Clock>,
    /// Grains per token: the refill period in ns.
    grains_per_token: u64,
    /// Grains gained per ns: the refill tokens per period.
    grains_per_ns: u64,
    /// Full bucket, in grains (`capacity × grains_per_token`, checked to fit in a `u64`).
    max_grains: u64,
    capacity: u64,
    state: Mutex<State>,
}

struct State {
    /// Grains in the bucket; negative while reservations are owed tokens.
    grains: i128,
    /// Clock reading (ns) up to which `grains` is accounted. Never moves backwards.
    refilled_at: u64,
}

impl State {
    /// Brings the bucket up to `now`, capped at `max_grains`.
    fn refill(&mut self, now: u64, grains_per_ns: u64, max_grains: u64) {
        // A clock that went backwards gives elapsed = 0: time stands still, nothing is minted.
        let elapsed = now.saturating_sub(self.refilled_at);
        self.refilled_at = self.refilled_at.max(now);
        // u64 × u64 always fits in u128; the cap keeps the sum far inside i128.
        let gained = u128::from(elapsed) * u128::from(grains_per_ns);
        let headroom = i128::from(max_grains) - self.grains;
        if headroom > 0 {
            // Compare in u128 so a huge `gained` (2^63 ns idle × a big rate) cannot overflow.
            let headroom = headroom as u128;
            self.grains += gained.min(headroom) as i128;
        }
    }
}

impl TokenBucket {
    fn now_ns(&self) -> u64 {
        // ~584 years of nanoseconds fit in a u64; saturate beyond.
        u64::try_from(self.clock.now().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Locks the state and refills it to the current clock reading.
    fn refilled(&self) -> (parking_lot::MutexGuard<'_, State>, u64) {
        let now = self.now_ns();
        let mut state = self.state.lock();
        state.refill(now, self.grains_per_ns, self.max_grains);
        (state, now)
    }

    /// Time from `now` until the bucket holds `needed` more grains than it does (`deficit`).
    fn wait_for(&self, deficit: i128, refilled_at: u64, now: u64) -> Duration {
        debug_assert!(deficit > 0);
        // Round *up*: a token that is 2/3 accrued is not a token yet.
        let wait = div_ceil(deficit, self.grains_per_ns);
        // If the clock stepped back, the tokens accrue from `refilled_at`, not from `now`.
        let wait = wait + i128::from(refilled_at.saturating_sub(now));
        nanos_to_duration(wait)
    }

    fn check_capacity(&self, tokens: u64) -> Result<(), AcquireError> {
        if tokens > self.capacity {
            return Err(AcquireError::ExceedsCapacity {
                requested: tokens,
                capacity: self.capacity,
            });
        }
        Ok(())
    }
}

// The two helpers below take a 64-bit path whenever the numbers fit (a deficit of less than
// 2^64 grains, a wait under 584 years), so almost always: a 64-bit division is one instruction,
// while an `i128` division is a call into a software routine. Those calls were about a quarter of
// the time of a denied `try_acquire`.

/// `n / d` rounded up, for `n > 0`.
fn div_ceil(n: i128, d: u64) -> i128 {
    match u64::try_from(n) {
        Ok(n) => i128::from(n.div_ceil(d)),
        Err(_) => (n + i128::from(d) - 1) / i128::from(d),
    }
}

fn nanos_to_duration(ns: i128) -> Duration {
    const NANOS_PER_SEC: i128 = 1_000_000_000;
    if let Ok(ns) = u64::try_from(ns) {
        return Duration::from_nanos(ns);
    }
    let secs = u64::try_from(ns / NANOS_PER_SEC).unwrap_or(u64::MAX);
    Duration::new(secs, (ns % NANOS_PER_SEC) as u32)
}

impl RateLimiter for TokenBucket {
    type Reservation<'a> = Reservation<'a>;

    fn new(config: BucketConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let BucketConfig {
            capacity,
            refill_tokens,
            refill_period,
        } = config;
        if capacity == 0 {
            return Err(ConfigError::ZeroCapacity);
        }
        if refill_tokens == 0 {
            return Err(ConfigError::ZeroRefillTokens);
        }
        if refill_period.is_zero() {
            return Err(ConfigError::ZeroRefillPeriod);
        }
        let too_large = ConfigError::TooLarge {
            capacity,
            refill_period,
        };
        let grains_per_token =
            u64::try_from(refill_period.as_nanos()).map_err(|_| too_large.clone())?;
        let max_grains = capacity.checked_mul(grains_per_token).ok_or(too_large)?;
        let now = u64::try_from(clock.now().as_nanos()).unwrap_or(u64::MAX);
        Ok(Self {
            clock,
            grains_per_token,
            grains_per_ns: refill_tokens,
            max_grains,
            capacity,
            state: Mutex::new(State {
                grains: i128::from(max_grains),
                refilled_at: now,
            }),
        })
    }

    fn try_acquire(&self, tokens: u64) -> Result<(), AcquireError> {
        self.check_capacity(tokens)?;
        if tokens == 0 {
            return Ok(());
        }
        // tokens ≤ capacity, so this cannot overflow (capacity × grains_per_token fits).
        let needed = i128::from(tokens * self.grains_per_token);
        let (mut state, now) = self.refilled();
        if state.grains >= needed {
            state.grains -= needed;
            Ok(())
        } else {
            let deficit = needed - state.grains;
            let retry_after = self.wait_for(deficit, state.refilled_at, now);
            Err(AcquireError::RateLimited { retry_after })
        }
    }

    fn reserve(&self, tokens: u64) -> Result<Reservation<'_>, AcquireError> {
        self.check_capacity(tokens)?;
        let grains = tokens * self.grains_per_token;
        let (mut state, now) = self.refilled();
        // Take the grains now, into debt if need be: the debt is the queue.
        state.grains -= i128::from(grains);
        let ready_at = if tokens == 0 || state.grains >= 0 {
            now
        } else {
            let wait = self.wait_for(-state.grains, state.refilled_at, now);
            now.saturating_add(u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX))
        };
        Ok(Reservation {
            bucket: self,
            tokens,
            grains,
            ready_at: Duration::from_nanos(ready_at),
        })
    }
}

/// Tokens set aside in a [`TokenBucket`]'s queue; dropping it before `ready_at` gives them back.
pub struct Reservation<'a> {
    bucket: &'a TokenBucket,
    tokens: u64,
    grains: u64,
    ready_at: Duration,
}

impl super::Reservation for Reservation<'_> {
    fn ready_at(&self) -> Duration {
        self.ready_at
    }

    fn tokens(&self) -> u64 {
        self.tokens
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let bucket = self.bucket;
        let (mut state, now) = bucket.refilled();
        if Duration::from_nanos(now) < self.ready_at {
            // Cancelled while still waiting: repay the grains, never beyond a full bucket.
            state.grains =
                (state.grains + i128::from(self.grains)).min(i128::from(bucket.max_grains));
        }
    }
}
