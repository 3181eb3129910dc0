//! [`TokenBucket`]: one bucket in one 64-bit atomic while it fits (designed in [`super`]).

use super::limits::{Limits, WIDE, div_ceil, nanos_to_duration, narrow};
use crate::clock::Clock;
use crate::rate_limiter::{AcquireError, BucketConfig, ConfigError, RateLimiter};
use parking_lot::Mutex;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A token bucket, exact to the nanosecond, safe to share between threads.
pub struct TokenBucket {
    clock: Arc<dyn Clock>,
    limits: Limits,
    /// Grains-time at which the bucket is full again (see the module docs).
    full_at: AtomicFullAt,
}

impl TokenBucket {
    /// The clock reading (ns) and its grains-time.
    #[inline]
    fn now(&self) -> (u64, u128) {
        let now = self.clock.now_nanos();
        (now, self.limits.grains_time(now))
    }

    /// Replaces `full_at` by `next(full_at, g)` atomically, retrying when another thread changed
    /// it in between; stops without writing when `next` returns an error (or `Ok` of the same
    /// value). Returns the new `full_at` and the clock reading (ns) it was decided at.
    ///
    /// `g` is the grains-time of a clock reading taken *after* `full_at` was loaded. A reading
    /// from before the load could be older than a grant another thread made meanwhile (say the
    /// caller was preempted in between): deciding on it would refuse tokens that have accrued
    /// since. (The `Acquire` loads keep the clock read after them, and the `Release` of every
    /// write makes the writer's own reading visible to them.)
    #[inline]
    fn update<E>(
        &self,
        retry: Retry,
        next: impl Fn(u128, u128) -> Result<u128, E>,
    ) -> Result<(u128, u64), E> {
        let current = self.full_at.narrow.load(Ordering::Acquire);
        if current == WIDE {
            return self.update_wide(next);
        }
        let (now, g) = self.now();
        let new = next(u128::from(current), g)?;
        match self.replace(current, new) {
            Ok(()) => Ok((new, now)),
            Err(actual) => self.update_contended(actual, retry, (now, g), next),
        }
    }

    /// [`update`](Self::update) after another thread changed `full_at` first: the same step
    /// again on `current`, until it lands. `reading` is the one the failed attempt decided on;
    /// `retry` says whether it may decide again (see [`Retry`]).
    #[cold]
    fn update_contended<E>(
        &self,
        mut current: u64,
        retry: Retry,
        reading: (u64, u128),
        next: impl Fn(u128, u128) -> Result<u128, E>,
    ) -> Result<(u128, u64), E> {
        // A reading taken before `current` was loaded, while it may still decide.
        let mut kept = match retry {
            Retry::KeepReading => Some(reading),
            Retry::ReadAgain => None,
        };
        loop {
            if current == WIDE {
                return self.update_wide(next);
            }
            let ((now, g), fresh) = match kept.take() {
                Some(reading) => (reading, false),
                None => (self.now(), true),
            };
            let new = match next(u128::from(current), g) {
                Ok(new) => new,
                // A refusal needs a reading taken after the load: decide again on one.
                Err(_) if !fresh => continue,
                Err(refused) => return Err(refused),
            };
            match self.replace(current, new) {
                Ok(()) => return Ok((new, now)),
                Err(actual) => {
                    current = actual;
                    if let Retry::KeepReading = retry {
                        kept = Some((now, g));
                    }
                }
            }
        }
    }

    /// Replaces `full_at` by `new` if it still is `current` (narrow); otherwise fails with the
    /// value found. Writes nothing when `new` is `current`.
    #[inline]
    fn replace(&self, current: u64, new: u128) -> Result<(), u64> {
        match narrow(new) {
            Some(new) if new == current => Ok(()),
            Some(new) => self
                .full_at
                .narrow
                .compare_exchange_weak(current, new, Ordering::Release, Ordering::Acquire)
                .map(drop),
            // Outgrown 64 bits (a clock near the end of `u64` ns times a rate, or a queue more
            // than 2^64 grains deep): move the value behind the mutex, once and for all.
            None => self.widen(current, new),
        }
    }

    /// Stores `new` (which does not fit in 64 bits) in place of `current`, switching the bucket
    /// to its wide representation; fails with the value found when `full_at` is not `current`
    /// any more.
    fn widen(&self, current: u64, new: u128) -> Result<(), u64> {
        // The lock is taken *before* `WIDE` is published and released after `new` is written:
        // a thread that sees `WIDE` and then takes the lock finds `new` there.
        let mut wide = self.full_at.wide.lock();
        self.full_at.narrow.compare_exchange(
            current,
            WIDE,
            Ordering::Release,
            Ordering::Acquire,
        )?;
        *wide = new;
        Ok(())
    }

    /// [`update`](Self::update) once `full_at` is wide: the same step under the mutex, with the
    /// clock read under it.
    fn update_wide<E>(
        &self,
        next: impl Fn(u128, u128) -> Result<u128, E>,
    ) -> Result<(u128, u64), E> {
        let mut full_at = self.full_at.wide.lock();
        let (now, g) = self.now();
        *full_at = next(*full_at, g)?;
        Ok((*full_at, now))
    }
}

/// What a retry of [`TokenBucket::update`] decides on, after another thread changed `full_at`.
#[derive(Clone, Copy)]
enum Retry {
    /// A new clock reading, taken after the new `full_at` was loaded.
    ReadAgain,
    /// For a take (`full_at` moves to `max(full_at, g) + grains`): the reading already taken,
    /// when it grants; a new one when it refuses.
    ///
    /// The new `full_at` was written by a thread that decided on a reading `r'`. If our reading
    /// `r` is the later one it is as good as a fresh one. If `r'` is later and `r` grants, `r'`
    /// grants too, and with the same result: every write leaves `full_at` at or past its own
    /// reading, so the bucket is not full at `r` nor at `r'` and the take lands at
    /// `full_at + grains` either way. `r'` is a reading taken during this call (after `r`) and
    /// no older than the state, so the grant is exactly the one a fresh decision at `r'` would
    /// make — and the retry, the window in which yet another thread can get in first, holds no
    /// clock read. A refusal on `r` proves nothing (that is the stale-clock bug) and is decided
    /// again on a fresh reading. A cancellation moves `full_at` back to at most the reading,
    /// so its result depends on the reading; it always reads again, and so does a reservation,
    /// which reports its reading.
    KeepReading,
}

/// Where a [`TokenBucket`] keeps `full_at`: in one 64-bit atomic while it fits there, which for
/// real quotas and clocks is always, and behind a mutex from the first time it does not.
///
/// The switch is one-way, so there is never a question of which of the two is current: the
/// atomic holds either the value or [`WIDE`] (which [`narrow`] never yields: the marker for "the
/// value has moved to `wide`"), and once it holds `WIDE` it never changes again.
///
/// It is aligned to 128 bytes so that nothing else shares its cache lines (the CPU fetches
/// lines in pairs): every grant writes it, and a write moves the line to the writing core, so a
/// neighbour that every call reads — the clock, the limits — would be dragged along, and every
/// call of another core would first have to fetch it back.
#[repr(align(128))]
struct AtomicFullAt {
    /// `full_at` itself, or [`WIDE`].
    narrow: AtomicU64,
    /// `full_at` once `narrow` is [`WIDE`] (meaningless before).
    wide: Mutex<u128>,
}

impl AtomicFullAt {
    fn new(full_at: u128) -> Self {
        match narrow(full_at) {
            Some(narrow) => Self {
                narrow: AtomicU64::new(narrow),
                wide: Mutex::new(0),
            },
            None => Self {
                narrow: AtomicU64::new(WIDE),
                wide: Mutex::new(full_at),
            },
        }
    }
}

impl RateLimiter for TokenBucket {
    type Reservation<'a> = Reservation<'a>;

    fn new(config: BucketConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let limits = Limits::new(config)?;
        // A bucket that is full now: full_at = the grains-time of now.
        let full_at = limits.grains_time(clock.now_nanos());
        Ok(Self {
            clock,
            limits,
            full_at: AtomicFullAt::new(full_at),
        })
    }

    #[inline]
    fn try_acquire(&self, tokens: u64) -> Result<(), AcquireError> {
        let grains = self.limits.grains_for(tokens)?;
        if grains == 0 {
            return Ok(());
        }
        self.update(Retry::KeepReading, |full_at, g| {
            self.limits.take(full_at, grains, g)
        })
        .map(drop)
        .map_err(|retry_after| AcquireError::RateLimited { retry_after })
    }

    fn reserve(&self, tokens: u64) -> Result<Reservation<'_>, AcquireError> {
        let grains = self.limits.grains_for(tokens)?;
        let ready_at = if grains == 0 {
            Duration::from_nanos(self.clock.now_nanos())
        } else {
            // Take the grains now, into debt if need be: the debt is the queue. Saturating is
            // exact below 2^128 grains of debt, far beyond anything a clock can repay.
            let Ok((full_at, now)) = self.update(Retry::ReadAgain, |full_at, g| {
                Ok::<_, std::convert::Infallible>(full_at.max(g).saturating_add(u128::from(grains)))
            });
            // Ready when the level is back to zero: `full_at - max_grains` in grains-time.
            let ready = full_at.saturating_sub(u128::from(self.limits.max_grains));
            if ready <= self.limits.grains_time(now) {
                Duration::from_nanos(now)
            } else {
                nanos_to_duration(div_ceil(ready, self.limits.grains_per_ns))
            }
        };
        Ok(Reservation {
            bucket: self,
            tokens,
            grains,
            ready_at,
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

impl crate::rate_limiter::Reservation for Reservation<'_> {
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
        if bucket.clock.now() >= self.ready_at {
            return; // the tokens were the holder's, and are spent
        }
        // Cancelled while still waiting: repay the grains, never beyond a full bucket (`g`).
        let grains = u128::from(self.grains);
        let Ok(_) = bucket.update(Retry::ReadAgain, |full_at, g| {
            Ok::<_, std::convert::Infallible>(if full_at > g {
                full_at.saturating_sub(grains).max(g)
            } else {
                full_at
            })
        });
    }
}

#[cfg(test)]
mod tests {
    //! The switch of [`TokenBucket`]'s `full_at` from 64 to 128 bits, which the conformance
    //! suite only reaches through its largest configs and clocks.

    use super::*;
    use crate::clock::ManualClock;
    use crate::rate_limiter::Reservation as _;

    fn bucket(config: BucketConfig, clock: &ManualClock) -> TokenBucket {
        TokenBucket::new(config, Arc::new(clock.clone())).expect("valid config")
    }

    fn is_wide(bucket: &TokenBucket) -> bool {
        bucket.full_at.narrow.load(Ordering::Relaxed) == WIDE
    }

    #[test]
    fn a_bucket_stays_narrow_for_usual_quotas_and_clocks() {
        let clock = ManualClock::new();
        let limiter = bucket(BucketConfig::new(10, 1, Duration::from_millis(1)), &clock);
        clock.advance(Duration::from_secs(100 * 365 * 24 * 3600)); // a century
        for _ in 0..10 {
            limiter.try_acquire(1).expect("a full bucket");
        }
        assert!(!is_wide(&limiter));
    }

    #[test]
    fn late_clock_times_a_rate_switches_to_wide_and_stays_exact() {
        // 3 grains per ns: the grains-time of a clock at 2^63 ns is past 2^64.
        let clock = ManualClock::new();
        let limiter = bucket(BucketConfig::new(2, 3, Duration::from_nanos(10)), &clock);
        limiter.try_acquire(2).expect("starts full");
        assert!(!is_wide(&limiter));
        clock.advance(Duration::from_nanos(1 << 63));
        limiter.try_acquire(2).expect("refilled to the cap");
        assert!(
            is_wide(&limiter),
            "2^63 ns × 3 grains does not fit in 64 bits"
        );
        // Wide, the bucket answers exactly as before: empty, one token per 3⅓ ns, rounded up.
        assert_eq!(
            limiter.try_acquire(1),
            Err(AcquireError::RateLimited {
                retry_after: Duration::from_nanos(4)
            })
        );
        clock.advance(Duration::from_nanos(3));
        assert!(limiter.try_acquire(1).is_err(), "9 of 10 grains");
        clock.advance(Duration::from_nanos(1));
        limiter.try_acquire(1).expect("12 grains ≥ one token");
        assert!(limiter.try_acquire(1).is_err());
    }

    #[test]
    fn a_queue_deeper_than_64_bits_switches_to_wide_and_gives_back_on_cancel() {
        let clock = ManualClock::new();
        let capacity = u64::MAX / 2;
        let limiter = bucket(
            BucketConfig::new(capacity, 1, Duration::from_nanos(1)),
            &clock,
        );
        let first = limiter.reserve(capacity).expect("fits the bucket");
        assert_eq!(
            first.ready_at(),
            Duration::ZERO,
            "a full bucket serves at once"
        );
        let second = limiter.reserve(capacity).expect("queues");
        let third = limiter.reserve(capacity).expect("queues past 2^64 grains");
        assert!(is_wide(&limiter));
        assert_eq!(second.ready_at(), Duration::from_nanos(capacity));
        assert_eq!(
            third.ready_at(),
            Duration::from_nanos(capacity) + Duration::from_nanos(capacity)
        );
        drop(third); // cancelled: its grains come back
        drop(second);
        let again = limiter.reserve(capacity).expect("queues");
        assert_eq!(again.ready_at(), Duration::from_nanos(capacity));
    }

    #[test]
    fn racing_threads_across_the_switch_neither_lose_nor_double_grants() {
        // Every thread's reservations push the queue past 2^64 grains at some point; whichever
        // thread switches the bucket, the queue must end exactly as deep as all the grants.
        const THREADS: u64 = 4;
        const EACH: u64 = 64;
        let clock = ManualClock::new();
        let capacity = u64::MAX / 64;
        let limiter = bucket(
            BucketConfig::new(capacity, 1, Duration::from_nanos(1)),
            &clock,
        );
        let ready: Vec<Duration> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..THREADS)
                .map(|_| {
                    s.spawn(|| {
                        (0..EACH)
                            .map(|_| {
                                let r = limiter.reserve(capacity).expect("fits the bucket");
                                let at = r.ready_at();
                                std::mem::forget(r); // kept: never cancelled
                                at
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("no panic"))
                .collect()
        });
        assert!(is_wide(&limiter));
        // FIFO without loss: the k-th reservation in queue order is ready after k full buckets.
        let mut ready = ready;
        ready.sort();
        let expected: Vec<Duration> = (0..THREADS * EACH)
            .map(|k| nanos_to_duration(u128::from(k) * u128::from(capacity)))
            .collect();
        assert_eq!(ready, expected);
    }
}
