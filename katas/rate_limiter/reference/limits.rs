//! A validated config in grains, and the exact integer arithmetic on it (see the design in
//! [`super`]): shared by the single bucket, the keyed limiter and the Redis-backed one.

use crate::rate_limiter::{AcquireError, BucketConfig, ConfigError};
use std::time::Duration;

/// A validated config in grains: the arithmetic every bucket of one tier shares.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub(super) capacity: u64,
    /// Grains per token: the refill period in ns, divided by `gcd(period, refill_tokens)`.
    pub(super) grains_per_token: u64,
    /// Grains gained per ns: the refill tokens per period, divided by the same.
    pub(super) grains_per_ns: u64,
    /// Full bucket, in grains (`capacity × grains_per_token`, checked to fit in a `u64`).
    pub(super) max_grains: u64,
}

impl Limits {
    pub(super) fn new(config: BucketConfig) -> Result<Self, ConfigError> {
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
        let period = u64::try_from(refill_period.as_nanos()).map_err(|_| too_large.clone())?;
        capacity.checked_mul(period).ok_or(too_large)?;
        // Reduce the fraction period / tokens: the same exact arithmetic in smaller numbers.
        // Most real quotas are a whole number of ns per token (1000/s is 1 token per 1 ms), and
        // then `grains_per_ns` becomes 1: a grain is a nanosecond and a wait needs no division.
        let common = gcd(period, refill_tokens);
        let grains_per_token = period / common;
        Ok(Self {
            capacity,
            grains_per_token,
            grains_per_ns: refill_tokens / common,
            // capacity × period fits, so capacity × (period / common) does too.
            max_grains: capacity * grains_per_token,
        })
    }

    /// The grains `tokens` cost, after checking that a bucket can ever hold them.
    #[inline]
    pub(super) fn grains_for(&self, tokens: u64) -> Result<u64, AcquireError> {
        if tokens > self.capacity {
            return Err(AcquireError::ExceedsCapacity {
                requested: tokens,
                capacity: self.capacity,
            });
        }
        // tokens ≤ capacity, and capacity × grains_per_token was checked to fit.
        Ok(tokens * self.grains_per_token)
    }

    /// Grains-time of clock reading `now` (ns): `u64 × u64` always fits in a `u128`.
    #[inline]
    pub(super) fn grains_time(&self, now: u64) -> u128 {
        u128::from(now) * u128::from(self.grains_per_ns)
    }

    /// Takes `grains` (`0 < grains ≤ max_grains`) at grains-time `g` from a bucket that is full
    /// at `full_at`: the new `full_at`, or the exact wait until the take would succeed.
    #[inline]
    pub(super) fn take(&self, full_at: u128, grains: u64, g: u128) -> Result<u128, Duration> {
        // Grains missing from a full bucket (0 when full; above max_grains while in debt).
        let missing = full_at.saturating_sub(g);
        let max_grains = u128::from(self.max_grains);
        let grains = u128::from(grains);
        if missing + grains <= max_grains {
            // Both terms are at most max_grains < 2^64 here: g + missing + grains cannot overflow.
            Ok(g + missing + grains)
        } else {
            // Level reaches `grains` once `missing` shrinks to `max_grains - grains`, i.e. after
            // `missing + grains - max_grains` more grains have accrued.
            Err(self.wait(missing.saturating_add(grains) - max_grains))
        }
    }

    /// Time to accrue `grains` grains (more than 0), rounded *up*: a token that is 2/3 accrued is
    /// not a token yet.
    #[inline]
    pub(super) fn wait(&self, grains: u128) -> Duration {
        nanos_to_duration(div_ceil(grains, self.grains_per_ns))
    }

    /// Nanoseconds an empty bucket takes to fill (rounded up).
    pub(super) fn fill_time(&self) -> u64 {
        self.max_grains.div_ceil(self.grains_per_ns)
    }
}

/// The value a 64-bit store of `full_at` holds to say "the value is kept wide, elsewhere":
/// never a value itself, since [`narrow`] leaves it out.
pub(super) const WIDE: u64 = u64::MAX;

/// `full_at` in 64 bits when it fits there, which for every real quota and clock it does (see
/// "64 bits, and 128 when needed" in the module docs); `None` when it must be kept wide.
///
/// Every solution here stores `full_at` in 64 bits by this one rule, and keeps the rare wide
/// value elsewhere, exactly. `WIDE` itself counts as wide, so that a 64-bit store may use it as
/// its marker.
#[inline]
pub(super) fn narrow(full_at: u128) -> Option<u64> {
    u64::try_from(full_at).ok().filter(|&n| n != WIDE)
}

// The two helpers below take a 64-bit path whenever the numbers fit (a wait of less than 2^64
// grains, or 584 years), so almost always: a 64-bit division is one instruction, while a
// 128-bit division is a call into a software routine several times slower.

/// `n / d` rounded up.
#[inline]
pub(super) fn div_ceil(n: u128, d: u64) -> u128 {
    if d == 1 {
        return n; // grains are nanoseconds
    }
    match u64::try_from(n) {
        Ok(n) => u128::from(n.div_ceil(d)),
        Err(_) => n.div_ceil(u128::from(d)),
    }
}

/// A count of nanoseconds as a `Duration`, saturating at `Duration::MAX` (2^64 s).
#[inline]
pub(super) fn nanos_to_duration(ns: u128) -> Duration {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    if let Ok(ns) = u64::try_from(ns) {
        return Duration::from_nanos(ns);
    }
    match u64::try_from(ns / NANOS_PER_SEC) {
        Ok(secs) => Duration::new(secs, (ns % NANOS_PER_SEC) as u32),
        Err(_) => Duration::MAX,
    }
}

/// Greatest common divisor (Euclid), for `a, b > 0`.
fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}
