//! The exact token bucket the checks compare every number with.

use super::*;

/// The exact token bucket, as plainly as it can be written: the suite's source of truth.
///
/// The level is kept as a fraction of a token with denominator `period` (in ns), so refill is
/// `elapsed × refill_tokens` with nothing rounded. A negative level is what reservations are
/// owed. Time never runs backwards inside the oracle.
#[derive(Debug, Clone)]
pub struct Oracle {
    pub(super) config: BucketConfig,
    /// Level × period, i.e. in 1/period-ns fractions of a token.
    pub(super) level: i128,
    /// Time (ns) up to which `level` is accounted.
    pub(super) at: u128,
}

impl Oracle {
    /// A full bucket at time `at`.
    pub fn new(config: BucketConfig, at: Duration) -> Self {
        Self {
            config,
            level: Self::frac(config, config.capacity),
            at: at.as_nanos(),
        }
    }

    pub(super) fn frac(config: BucketConfig, tokens: u64) -> i128 {
        i128::from(tokens) * config.refill_period.as_nanos() as i128
    }

    pub(super) fn catch_up(&mut self, now: Duration) {
        let now = now.as_nanos();
        if now > self.at {
            let gained = (now - self.at).saturating_mul(u128::from(self.config.refill_tokens));
            let full = Self::frac(self.config, self.config.capacity);
            let room = u128::try_from(full - self.level).unwrap_or(0);
            self.level += gained.min(room) as i128;
            self.at = now;
        }
    }

    /// Time from `now` until the level reaches `needed`. Call after `catch_up(now)`, which
    /// leaves `at >= now` (`at > now` only if the clock stepped back).
    pub(super) fn wait_until_level(&self, needed: i128, now: Duration) -> Duration {
        let missing = u128::try_from(needed - self.level).unwrap_or(0);
        let ready = self.at + missing.div_ceil(u128::from(self.config.refill_tokens));
        let wait = ready - now.as_nanos();
        Duration::from_nanos(u64::try_from(wait).unwrap_or(u64::MAX))
    }

    /// What `try_acquire(tokens)` must answer at `now`.
    pub fn try_acquire(&mut self, now: Duration, tokens: u64) -> Result<(), AcquireError> {
        if tokens > self.config.capacity {
            return Err(AcquireError::ExceedsCapacity {
                requested: tokens,
                capacity: self.config.capacity,
            });
        }
        if tokens == 0 {
            return Ok(());
        }
        self.catch_up(now);
        let need = Self::frac(self.config, tokens);
        if self.level >= need {
            self.level -= need;
            Ok(())
        } else {
            Err(AcquireError::RateLimited {
                retry_after: self.wait_until_level(need, now),
            })
        }
    }

    /// Whole tokens available at `now` (0 while in debt).
    pub fn available(&mut self, now: Duration) -> u64 {
        self.catch_up(now);
        let p = self.config.refill_period.as_nanos() as i128;
        u64::try_from(self.level.max(0) / p).unwrap_or(u64::MAX)
    }

    /// Reserves `tokens` at `now`; returns when they are ready — exactly, also when the queue
    /// owes more than 2^64 ns of refill.
    pub fn reserve(&mut self, now: Duration, tokens: u64) -> Duration {
        self.catch_up(now);
        self.level -= Self::frac(self.config, tokens);
        if tokens == 0 || self.level >= 0 {
            now
        } else {
            let missing = self.level.unsigned_abs();
            let ready = self.at + missing.div_ceil(u128::from(self.config.refill_tokens));
            let secs = u64::try_from(ready / 1_000_000_000).unwrap_or(u64::MAX);
            Duration::new(secs, (ready % 1_000_000_000) as u32)
        }
    }

    /// Cancels a reservation of `tokens` that would be ready at `ready_at`.
    pub fn cancel(&mut self, now: Duration, tokens: u64, ready_at: Duration) {
        self.catch_up(now);
        if now < ready_at {
            let full = Self::frac(self.config, self.config.capacity);
            self.level = (self.level + Self::frac(self.config, tokens)).min(full);
        }
    }
}
