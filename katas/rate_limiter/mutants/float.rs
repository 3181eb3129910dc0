//! A bucket that keeps its tokens in floating point.

use super::*;

/// Tokens as `f64`, refilled by `elapsed × rate_per_ns`: drifts, and loses whole tokens above 2^53.
pub struct FloatBucket {
    clock: Arc<dyn Clock>,
    capacity: u64,
    per_ns: f64,
    state: Mutex<(f64, u64)>,
}

impl FloatBucket {
    fn refilled(&self) -> parking_lot::MutexGuard<'_, (f64, u64)> {
        let now = u64::try_from(self.clock.now().as_nanos()).unwrap_or(u64::MAX);
        let mut s = self.state.lock();
        let elapsed = now.saturating_sub(s.1) as f64;
        s.0 = (s.0 + elapsed * self.per_ns).min(self.capacity as f64);
        s.1 = s.1.max(now);
        s
    }

    fn wait(&self, missing: f64) -> Duration {
        Duration::from_nanos((missing / self.per_ns).ceil() as u64)
    }
}

impl RateLimiter for FloatBucket {
    type Reservation<'a> = FloatReservation<'a>;

    fn new(config: BucketConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        // Validation is right; the arithmetic is not.
        let probe = reference::TokenBucket::new(config, clock.clone())?;
        drop(probe);
        Ok(Self {
            capacity: config.capacity,
            per_ns: config.refill_tokens as f64 / config.refill_period.as_nanos() as f64,
            state: Mutex::new((
                config.capacity as f64,
                u64::try_from(clock.now().as_nanos()).unwrap_or(u64::MAX),
            )),
            clock,
        })
    }

    fn try_acquire(&self, tokens: u64) -> Result<(), AcquireError> {
        if tokens > self.capacity {
            return Err(AcquireError::ExceedsCapacity {
                requested: tokens,
                capacity: self.capacity,
            });
        }
        let mut s = self.refilled();
        let want = tokens as f64;
        if s.0 >= want {
            s.0 -= want;
            Ok(())
        } else {
            Err(AcquireError::RateLimited {
                retry_after: self.wait(want - s.0),
            })
        }
    }

    fn reserve(&self, tokens: u64) -> Result<FloatReservation<'_>, AcquireError> {
        if tokens > self.capacity {
            return Err(AcquireError::ExceedsCapacity {
                requested: tokens,
                capacity: self.capacity,
            });
        }
        let mut s = self.refilled();
        s.0 -= tokens as f64;
        let wait = if s.0 >= 0.0 {
            Duration::ZERO
        } else {
            self.wait(-s.0)
        };
        Ok(FloatReservation {
            bucket: self,
            tokens,
            ready_at: Duration::from_nanos(s.1) + wait,
        })
    }
}

/// A reservation in a [`FloatBucket`].
pub struct FloatReservation<'a> {
    bucket: &'a FloatBucket,
    tokens: u64,
    ready_at: Duration,
}

impl crate::rate_limiter::Reservation for FloatReservation<'_> {
    fn ready_at(&self) -> Duration {
        self.ready_at
    }
    fn tokens(&self) -> u64 {
        self.tokens
    }
}

impl Drop for FloatReservation<'_> {
    fn drop(&mut self) {
        let mut s = self.bucket.refilled();
        if Duration::from_nanos(s.1) < self.ready_at {
            s.0 = (s.0 + self.tokens as f64).min(self.bucket.capacity as f64);
        }
    }
}
