//! The model answer: an exact, integer token bucket whose whole state is one number, updated
//! with a compare-and-swap.
//!
//! # Design
//!
//! **Exact units.** Tokens refill at `r` per period `p`, which need not be a whole number of
//! nanoseconds per token. Instead of fractions we count *grains*: one token is `p` grains (`p`
//! in ns) and the bucket gains `r` grains every nanosecond. Every quantity is then an integer,
//! refill needs no division, and remainders of partial refills are kept by construction — the
//! bucket's level at time `T` does not depend on how often it was read before `T`. (`p / r` is
//! reduced first: for the usual quotas, a whole number of ns per token, a grain is then a
//! nanosecond.)
//!
//! **One number: when the bucket will be full.** Measure time in grains too: *grains-time* `g`
//! at clock reading `t` ns is `r · t`, the grains a bucket gains from the clock's origin to `t`.
//! The bucket is then fully described by a single grains-time, `full_at`: the moment it will be
//! full again if nobody takes anything (this is the "theoretical arrival time" of the generic cell
//! rate algorithm, GCRA, in exact units). At grains-time `g` the bucket misses
//! `full_at − g` grains, or nothing once `g ≥ full_at`:
//!
//! ```text
//! level(g) = max_grains − max(0, full_at − g)
//! ```
//!
//! Refill is implicit — time passing *is* the refill — and the cap is the `max(0, …)`: an idle
//! bucket's `full_at` simply falls behind `g`, so even 2^63 ns of idleness cannot overflow it.
//! Taking `n` tokens (`n · p` grains) is allowed when the level covers them, and moves `full_at`
//! to `max(full_at, g) + n · p`.
//!
//! **Lock-free, and a denial only reads.** Because the state is one number (in one 64-bit atomic,
//! for every real quota: see below), a grant is one load and one compare-and-swap (retried if
//! another thread moved `full_at` meanwhile), and a denial is one load and a comparison: it
//! changes nothing, so it writes nothing. The exact wait is a
//! count of grains turned into nanoseconds: free when a grain is a nanosecond (see above), else
//! one division, only on a denial, and on 64-bit integers whenever the wait is under 2^64 grains
//! (always, in practice). A mutex-based bucket costs a grant three atomic read-modify-writes
//! (lock, unlock, and the state under it) and makes every denial take the lock.
//!
//! **The clock is read after the state.** A decision compares `full_at` with a clock reading,
//! and the reading must not be older than the `full_at` it meets: read first, then preempted
//! while another thread grants, a caller would measure the new `full_at` from a moment long
//! past and refuse tokens that accrued meanwhile. So the reading is taken after the load of
//! `full_at`; a lock-based bucket gets the same by reading the clock under its lock. A take
//! retried after losing a race may keep its reading when that reading still grants (a later one
//! would grant the same; see `Retry`), and reads again before it refuses.
//!
//! **64 bits, and 128 when needed.** `r · t` for a 64-bit rate and a 64-bit clock needs up to
//! 128 bits, and so can stage 3's debt (a bucket of `u64::MAX` grains with one full reservation
//! waiting). But for every real quota and clock `full_at` stays far below 2^64 — at a grain per
//! ns that is 584 years after the clock's origin — and a 64-bit atomic is what the hardware does
//! fastest: a plain load, one `lock cmpxchg`. So `full_at` lives in an `AtomicU64` while it fits,
//! and the first update that would not fit moves it, once and for all, behind a mutex holding a
//! `u128` (see `AtomicFullAt`): exact for every config, and paying for the width only where it is
//! used. (A 128-bit atomic would do too, but is not in the standard library, and through a crate
//! costs every call a run-time CPU dispatch.) Storing the level and the time of the last refill
//! instead would need two words; rounding the token interval to whole nanoseconds would fit 64
//! bits, but drifts: at 3 tokens per 10 ns it would grant 3.33… instead of 3 per 10 ns.
//!
//! **A queue as debt.** A reservation takes its grains immediately, even when that pushes
//! `full_at` more than a full bucket ahead of now: the excess is the debt owed to the queue. FIFO
//! order follows — each reservation is ready when the debt up to and including it is repaid — and
//! `try_acquire` cannot jump the queue, because it needs a level that covers its request.
//! Cancelling gives the grains back (`full_at` moves back, never past "full now").
//!
//! **Time that goes backwards** is believed, and it can only make the bucket emptier: `full_at`
//! is a point on the time axis, so at an earlier reading more of it lies ahead. A grant always
//! leaves `full_at` past the grains-time of its own reading, so no reading — earlier or later —
//! can see tokens that a grant already took: nothing is minted and nothing overflows.
//!
//! **Inlinable.** `try_acquire` and the helpers on its path are `#[inline]`: the whole decision
//! is a few dozen instructions around one atomic, and a caller in another crate (a server's
//! request handler) should be able to inline it rather than pay a call for each.
//!
//! **Memory ordering.** Every decision reads and writes only `full_at`, and atomic operations on
//! one location are totally ordered whatever the ordering argument; no other memory is published
//! through the bucket. The one ordering that matters is the clock's: a write is `Release` and a
//! load `Acquire`, so a thread that sees another's grant also sees (at least) the clock reading
//! that grant was decided on, and its own reading, taken after, cannot be older.

use super::{
    AcquireError, Admission, BucketConfig, ConfigError, FailurePolicy, KeyedRateLimiter, Quotas,
    RateLimiter, SharedConfigError, SharedError, SharedRateLimiter, StoreConfig,
};
use crate::clock::Clock;
use hashbrown::HashTable;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
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

/// A validated config in grains: the arithmetic every bucket of one tier shares.
#[derive(Debug, Clone, Copy)]
struct Limits {
    capacity: u64,
    /// Grains per token: the refill period in ns, divided by `gcd(period, refill_tokens)`.
    grains_per_token: u64,
    /// Grains gained per ns: the refill tokens per period, divided by the same.
    grains_per_ns: u64,
    /// Full bucket, in grains (`capacity × grains_per_token`, checked to fit in a `u64`).
    max_grains: u64,
}

impl Limits {
    fn new(config: BucketConfig) -> Result<Self, ConfigError> {
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
    fn grains_for(&self, tokens: u64) -> Result<u64, AcquireError> {
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
    fn grains_time(&self, now: u64) -> u128 {
        u128::from(now) * u128::from(self.grains_per_ns)
    }

    /// Takes `grains` (`0 < grains ≤ max_grains`) at grains-time `g` from a bucket that is full
    /// at `full_at`: the new `full_at`, or the exact wait until the take would succeed.
    #[inline]
    fn take(&self, full_at: u128, grains: u64, g: u128) -> Result<u128, Duration> {
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
    fn wait(&self, grains: u128) -> Duration {
        nanos_to_duration(div_ceil(grains, self.grains_per_ns))
    }

    /// Nanoseconds an empty bucket takes to fill (rounded up).
    fn fill_time(&self) -> u64 {
        self.max_grains.div_ceil(self.grains_per_ns)
    }
}

// The two helpers below take a 64-bit path whenever the numbers fit (a wait of less than 2^64
// grains, or 584 years), so almost always: a 64-bit division is one instruction, while a
// 128-bit division is a call into a software routine several times slower.

/// `n / d` rounded up.
#[inline]
fn div_ceil(n: u128, d: u64) -> u128 {
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
fn nanos_to_duration(ns: u128) -> Duration {
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
        match u64::try_from(new) {
            Ok(new) if new == current => Ok(()),
            Ok(new) if new != WIDE => self
                .full_at
                .narrow
                .compare_exchange_weak(current, new, Ordering::Release, Ordering::Acquire)
                .map(drop),
            // Outgrown 64 bits (a clock near the end of `u64` ns times a rate, or a queue more
            // than 2^64 grains deep): move the value behind the mutex, once and for all.
            _ => self.widen(current, new),
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
/// atomic holds either the value or [`WIDE`], and once it holds `WIDE` it never changes again.
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

/// The marker in [`AtomicFullAt::narrow`] for "the value has moved to [`AtomicFullAt::wide`]".
/// It cannot be a value: every `full_at` of `u64::MAX` or more is stored wide.
const WIDE: u64 = u64::MAX;

impl AtomicFullAt {
    fn new(full_at: u128) -> Self {
        match u64::try_from(full_at) {
            Ok(narrow) if narrow != WIDE => Self {
                narrow: AtomicU64::new(narrow),
                wide: Mutex::new(0),
            },
            _ => Self {
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

/// One token bucket per tenant, sharded, with invisible eviction (stage 4).
///
/// # Design
///
/// **Sharding, not one global lock.** Tenants are spread over [`SHARDS`] independently locked
/// hash maps by the hash of their key, so callers for different tenants rarely touch the same
/// lock; each critical section is one table lookup plus the same few integer operations as
/// [`TokenBucket`]. (A concurrent-map crate would do too; a fixed set of locked tables is the
/// smallest thing that scales and keeps the hot path easy to reason about.)
///
/// **One hash per request.** The key is hashed once (SipHash: tenant keys may be chosen by
/// whoever sends the requests) and that hash both picks the shard and finds the key in the
/// shard's `hashbrown::HashTable`; a `HashMap` per shard would hash the key a second time.
///
/// **Compact entries.** A tenant costs its key plus one `full_at` (the single number that
/// describes a [`TokenBucket`]); the clock, the tiers and their arithmetic (`Limits`) are stored
/// once, and a tenant's tier is looked up from its key. Under the shard's lock `full_at` needs no
/// atomic: it is kept as two `u64` halves so that an entry stays 8-byte aligned (a `u128` would
/// pad a `u32` key to 16 bytes).
///
/// **Invisible eviction.** Once per refill horizon `F` (the longest time any tier takes to fill
/// from empty) one caller sweeps every shard and drops the buckets that are *full* — exactly the
/// ones a fresh bucket would replace without changing any answer. A bucket untouched for `F` is
/// always full, so after the sweep only tenants active within the last `2F` remain, and the sweep
/// costs O(1) amortised per call (it visits at most the buckets created since the last sweep).
pub struct KeyedTokenBucket<K> {
    clock: Arc<dyn Clock>,
    /// Tier 0 is the default; tenants with their own config point at later tiers.
    tiers: Vec<Limits>,
    tier_of: HashMap<K, u32>,
    hasher: RandomState,
    shards: Box<[Mutex<Shard<K>>]>,
    /// Refill horizon in ns: how often full buckets are swept out.
    sweep_every: u64,
    /// Clock reading (ns) at or after which the next sweep is due.
    next_sweep: AtomicU64,
}

/// One shard's tenants: each key with its bucket's `full_at`.
type Shard<K> = HashTable<(K, FullAt)>;

/// Number of independently locked shards: enough that a few dozen threads rarely collide.
pub const SHARDS: usize = 64;

/// A tenant's `full_at` (see [`TokenBucket`]), as two halves with 8-byte alignment.
#[derive(Clone, Copy)]
struct FullAt {
    high: u64,
    low: u64,
}

impl From<u128> for FullAt {
    fn from(full_at: u128) -> Self {
        Self {
            high: (full_at >> 64) as u64,
            low: full_at as u64,
        }
    }
}

impl From<FullAt> for u128 {
    fn from(full_at: FullAt) -> Self {
        (u128::from(full_at.high) << 64) | u128::from(full_at.low)
    }
}

impl<K: Hash + Eq> KeyedTokenBucket<K> {
    /// The shard of a key with hash `hash`. It is chosen by bits 32–37: the table inside uses
    /// the lowest bits for the bucket and the top seven for its tag, so those stay spread out
    /// among the keys of one shard.
    fn shard(&self, hash: u64) -> &Mutex<Shard<K>> {
        &self.shards[(hash >> 32) as usize % SHARDS]
    }

    fn limits(&self, tenant: &K) -> &Limits {
        let tier = self.tier_of.get(tenant).copied().unwrap_or(0);
        &self.tiers[tier as usize]
    }

    /// Drops every full bucket, if a sweep is due and no other caller claimed it.
    fn sweep_if_due(&self, now: u64) {
        let due = self.next_sweep.load(Ordering::Relaxed);
        if now < due {
            return;
        }
        let next = now.saturating_add(self.sweep_every);
        if self
            .next_sweep
            .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return; // another caller is sweeping
        }
        for shard in self.shards.iter() {
            shard.lock().retain(|(tenant, full_at)| {
                // Keep the bucket unless it is full now.
                u128::from(*full_at) > self.limits(tenant).grains_time(now)
            });
        }
    }
}

impl<K> KeyedRateLimiter<K> for KeyedTokenBucket<K>
where
    K: Hash + Eq + Clone + Send + Sync,
{
    fn new(quotas: Quotas<K>, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let mut tiers = vec![Limits::new(quotas.default)?];
        let mut tier_of = HashMap::with_capacity(quotas.tenants.len());
        for (tenant, config) in quotas.tenants {
            tier_of.insert(tenant, u32::try_from(tiers.len()).unwrap_or(u32::MAX));
            tiers.push(Limits::new(config)?);
        }
        let sweep_every = tiers
            .iter()
            .map(Limits::fill_time)
            .max()
            .unwrap_or(1)
            .max(1);
        let now = clock.now_nanos();
        Ok(Self {
            clock,
            tiers,
            tier_of,
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashTable::new())).collect(),
            sweep_every,
            next_sweep: AtomicU64::new(now.saturating_add(sweep_every)),
        })
    }

    fn try_acquire(&self, tenant: &K, tokens: u64) -> Result<(), AcquireError> {
        let limits = self.limits(tenant);
        let grains = limits.grains_for(tokens)?;
        if grains == 0 {
            return Ok(());
        }
        let limited = |retry_after| AcquireError::RateLimited { retry_after };
        let hash = self.hasher.hash_one(tenant);
        let mut shard = self.shard(hash).lock();
        // Read the clock under the lock: a reading from before waiting for it could be older
        // than a grant made meanwhile, and would refuse tokens that have accrued since.
        let now = self.clock.now_nanos();
        let g = limits.grains_time(now);
        let decision = match shard.find_mut(hash, |(key, _)| key == tenant) {
            Some((_, full_at)) => limits
                .take((*full_at).into(), grains, g)
                .map(|taken| *full_at = taken.into()),
            // A tenant's first request (or first after eviction) finds a full bucket, `full_at =
            // g`; only then is the key cloned.
            None => limits.take(g, grains, g).map(|full_at| {
                let entry = (tenant.clone(), full_at.into());
                shard.insert_unique(hash, entry, |(key, _)| self.hasher.hash_one(key));
            }),
        };
        // The sweep takes every shard's lock in turn: never while holding one.
        drop(shard);
        self.sweep_if_due(now);
        decision.map_err(limited)
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }
}

// ---------------------------------------------------------------------------------------------
// Stage 5: one limit for a fleet, kept on Redis
// ---------------------------------------------------------------------------------------------

/// The bucket update, run atomically on the Redis server.
///
/// The same grains model as [`TokenBucket`], with the state in a hash
/// `{grains, at}` (`at` in µs of the server clock). Redis runs a script without interleaving
/// any other command, so read, refill and take are one atomic step for every client at once.
///
/// Lua numbers are doubles: every value here is an integer below 2^53 (the client rejects
/// configs where that could fail), so the arithmetic is exact. Numbers are written back with
/// `%d`, because Lua's default formatting would round a 16-digit timestamp.
///
/// `KEYS[1]`: the bucket. `ARGV`: full bucket in grains, grains gained per ns, grains to take,
/// ns for an empty bucket to fill. Returns `{1, 0}` when granted, `{0, missing grains}` when not.
pub const BUCKET_SCRIPT: &str = r"
local max_grains = tonumber(ARGV[1])
local per_ns = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local fill_ns = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local grains, at = max_grains, now
local state = redis.call('HMGET', KEYS[1], 'grains', 'at')
if state[1] then
  grains, at = tonumber(state[1]), tonumber(state[2])
  -- A server clock that steps back is time standing still: `at` never moves backwards.
  if now > at then
    local elapsed_ns = (now - at) * 1000
    if elapsed_ns >= fill_ns then
      grains = max_grains
    else
      grains = math.min(max_grains, grains + elapsed_ns * per_ns)
    end
    at = now
  end
end
if grains < cost then
  -- Denied: nothing is written, so a denial has no side effects.
  return {0, cost - grains}
end
grains = grains - cost
redis.call('HSET', KEYS[1], 'grains', string.format('%d', grains), 'at', string.format('%d', at))
-- Once the bucket would be full again the key is worth nothing: let Redis forget it then.
local full_in_ms = math.ceil((max_grains - grains) / per_ns / 1000000) + 1
redis.call('PEXPIRE', KEYS[1], full_in_ms)
return {1, 0}
";

/// Largest integer a double holds exactly: the bound on every number in [`BUCKET_SCRIPT`].
const EXACT_IN_DOUBLES: u64 = 1 << 53;

/// A token bucket per key, shared by every client of one Redis server (stage 5).
///
/// # Design
///
/// **The server decides.** Each decision is one call of [`BUCKET_SCRIPT`], which reads the
/// server's clock (`TIME`), refills, takes and writes back in one atomic step. Client clocks
/// never enter the arithmetic, so fifty servers with fifty different clocks share one limit;
/// and there is no read-modify-write from the client for two clients to interleave.
///
/// **Bounded memory on the server.** Every write sets the key to expire when its bucket would
/// be full again: a missing key *is* a full bucket, so expiry is invisible, and idle tenants
/// cost the server nothing.
///
/// **Failure is a policy, with a deadline.** One decision may spend at most
/// [`StoreConfig::timeout`] waiting for the server, in total: connect, send and read share one
/// budget (real time, enforced by socket timeouts — this is I/O, not the bucket's logic). When
/// the budget runs out or the server refuses, [`StoreConfig::on_failure`] answers.
///
/// **Connections are pooled and replaced.** A connection serves one request at a time, so idle
/// ones wait in a small pool and each thread takes its own. A pooled connection may have died
/// (the server restarted); its first failure is taken as staleness and the request is retried
/// once on a fresh connection, within the same budget. Scripts are sent by hash (`EVALSHA`) and
/// reloaded when a restarted server no longer knows them.
///
/// **Restarts.** Without persistence a restarted server has lost every bucket; a lost bucket
/// comes back full, so a key can grant at most `capacity` extra tokens per restart.
pub struct RedisTokenBucket {
    limits: Limits,
    prefix: String,
    timeout: Duration,
    on_failure: FailurePolicy,
    client: redis::Client,
    script: redis::Script,
    /// Idle connections, most recently used last.
    idle: Mutex<Vec<redis::Connection>>,
}

/// What the store said about one request.
enum Decision {
    Granted,
    /// Denied; the bucket is this many grains short.
    Short(u64),
}

impl RedisTokenBucket {
    /// Runs [`BUCKET_SCRIPT`] for each request on one connection, pipelined: one round trip for
    /// the whole batch. Answers are in request order; each is what [`SharedRateLimiter::try_acquire`]
    /// would have answered (the failure policy applies to the batch as a whole).
    pub fn try_acquire_batch(
        &self,
        requests: &[(&str, u64)],
    ) -> Vec<Result<Admission, SharedError>> {
        // Requests that need no round trip are answered locally, as in `try_acquire`.
        let mut answers: Vec<Option<Result<Admission, SharedError>>> = requests
            .iter()
            .map(|&(_, tokens)| self.answer_locally(tokens))
            .collect();
        let remote: Vec<(usize, String, u64)> = requests
            .iter()
            .enumerate()
            .filter(|(i, _)| answers[*i].is_none())
            .map(|(i, &(key, tokens))| (i, self.key(key), tokens))
            .collect();
        if !remote.is_empty() {
            let mut pipe = redis::pipe();
            for (_, key, tokens) in &remote {
                pipe.add_command(self.invocation(key, *tokens));
            }
            let outcome = self.with_connection(|conn| {
                self.with_script(conn, |conn| pipe.query::<Vec<(u8, u64)>>(conn))
            });
            match outcome {
                Ok(replies) => {
                    for ((i, _, _), reply) in remote.iter().zip(replies) {
                        answers[*i] = Some(self.admission(Decision::from(reply)));
                    }
                }
                Err(reason) => {
                    for (i, _, _) in &remote {
                        answers[*i] = Some(self.on_store_failure(reason.clone()));
                    }
                }
            }
        }
        answers
            .into_iter()
            .map(|a| a.expect("every request is answered"))
            .collect()
    }

    /// The answer for requests that never need the store: `tokens == 0` and `tokens > capacity`.
    fn answer_locally(&self, tokens: u64) -> Option<Result<Admission, SharedError>> {
        if let Err(e) = self.limits.grains_for(tokens) {
            return Some(Err(e.into()));
        }
        (tokens == 0).then_some(Ok(Admission::Counted))
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// The `EVALSHA` command for one request.
    fn invocation(&self, key: &str, tokens: u64) -> redis::Cmd {
        let limits = &self.limits;
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(self.script.get_hash())
            .arg(1)
            .arg(key)
            .arg(limits.max_grains)
            .arg(limits.grains_per_ns)
            // Only reached for 0 < tokens ≤ capacity (see `answer_locally`), so this fits.
            .arg(tokens * limits.grains_per_token)
            .arg(limits.fill_time());
        cmd
    }

    /// One request, as one script call.
    fn decide(&self, key: &str, tokens: u64) -> Result<Decision, String> {
        let call = self.invocation(&self.key(key), tokens);
        self.with_connection(|conn| {
            self.with_script(conn, |conn| call.query::<(u8, u64)>(conn))
                .map(Decision::from)
        })
    }

    /// Runs `calls` (which invoke the script by hash); when the server does not know the script
    /// — first use, or it restarted — loads it and runs `calls` again.
    fn with_script<T>(
        &self,
        conn: &mut redis::Connection,
        calls: impl Fn(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> redis::RedisResult<T> {
        match calls(conn) {
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                self.script.load(conn)?;
                calls(conn)
            }
            answer => answer,
        }
    }

    /// Runs `op` on a connection within the decision's time budget: first on a pooled one,
    /// and once more on a fresh one if the pooled connection turns out to be dead.
    fn with_connection<T>(
        &self,
        op: impl Fn(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, String> {
        let deadline = std::time::Instant::now() + self.timeout;
        let remaining = || {
            deadline
                .checked_duration_since(std::time::Instant::now())
                .filter(|d| !d.is_zero())
                .ok_or_else(|| format!("no answer within {:?}", self.timeout))
        };
        let pooled = self.idle.lock().pop();
        if let Some(mut conn) = pooled {
            let budget = remaining()?;
            match set_timeouts(&conn, budget).and_then(|()| op(&mut conn)) {
                Ok(v) => {
                    self.idle.lock().push(conn);
                    return Ok(v);
                }
                // A dead connection (the server restarted, or closed it): retry on a new one.
                Err(e) if is_connection_failure(&e) && !e.is_timeout() => {}
                Err(e) => {
                    // The connection is fine but the request failed (a server-side error), or
                    // the time is up: either way the connection can serve the next request
                    // only if it is not half-way through a reply — drop it when timed out.
                    if !e.is_timeout() {
                        self.idle.lock().push(conn);
                    }
                    return Err(describe(&e));
                }
            }
        }
        let budget = remaining()?;
        let mut conn = self
            .client
            .get_connection_with_timeout(budget)
            .map_err(|e| describe(&e))?;
        let budget = remaining()?;
        let v = set_timeouts(&conn, budget)
            .and_then(|()| op(&mut conn))
            .map_err(|e| describe(&e))?;
        self.idle.lock().push(conn);
        Ok(v)
    }

    fn admission(&self, decision: Decision) -> Result<Admission, SharedError> {
        match decision {
            Decision::Granted => Ok(Admission::Counted),
            Decision::Short(grains) => {
                // Round up to the ns, then to the server clock's µs: earlier, the server
                // cannot yet see the tokens.
                let ns = grains.div_ceil(self.limits.grains_per_ns);
                let retry_after = Duration::from_micros(ns.div_ceil(1_000));
                Err(AcquireError::RateLimited { retry_after }.into())
            }
        }
    }

    fn on_store_failure(&self, reason: String) -> Result<Admission, SharedError> {
        match self.on_failure {
            FailurePolicy::Open => Ok(Admission::FailedOpen { reason }),
            FailurePolicy::Closed => Err(SharedError::Unavailable { reason }),
        }
    }
}

impl From<(u8, u64)> for Decision {
    fn from((granted, short): (u8, u64)) -> Self {
        if granted == 1 {
            Decision::Granted
        } else {
            Decision::Short(short)
        }
    }
}

fn set_timeouts(conn: &redis::Connection, budget: Duration) -> redis::RedisResult<()> {
    conn.set_read_timeout(Some(budget))?;
    conn.set_write_timeout(Some(budget))
}

/// True when the connection itself failed (as opposed to the server answering with an error).
fn is_connection_failure(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_timeout()
}

fn describe(e: &redis::RedisError) -> String {
    if e.is_timeout() {
        format!("the store did not answer in time ({e})")
    } else if e.is_connection_refusal() {
        format!("the store refused the connection ({e})")
    } else {
        format!("the store failed ({e})")
    }
}

impl SharedRateLimiter for RedisTokenBucket {
    fn connect(
        bucket: BucketConfig,
        store: StoreConfig,
        _clock: Arc<dyn Clock>,
    ) -> Result<Self, SharedConfigError> {
        // The clock is deliberately unused: every client reads the one server clock instead.
        let limits = Limits::new(bucket)?;
        if limits
            .max_grains
            .checked_add(limits.grains_per_ns)
            .is_none_or(|n| n > EXACT_IN_DOUBLES)
        {
            return Err(SharedConfigError::TooLargeForStore {
                capacity: bucket.capacity,
                refill_period: bucket.refill_period,
            });
        }
        let client =
            redis::Client::open(store.url.as_str()).map_err(|e| SharedConfigError::InvalidUrl {
                url: store.url.clone(),
                reason: e.to_string(),
            })?;
        if store.prefix.is_empty() {
            return Err(SharedConfigError::EmptyPrefix);
        }
        if store.timeout < Duration::from_millis(1) {
            return Err(SharedConfigError::TimeoutTooShort(store.timeout));
        }
        Ok(Self {
            limits,
            prefix: store.prefix,
            timeout: store.timeout,
            on_failure: store.on_failure,
            client,
            script: redis::Script::new(BUCKET_SCRIPT),
            idle: Mutex::new(Vec::new()),
        })
    }

    fn try_acquire(&self, key: &str, tokens: u64) -> Result<Admission, SharedError> {
        if let Some(answer) = self.answer_locally(tokens) {
            return answer;
        }
        match self.decide(key, tokens) {
            Ok(decision) => self.admission(decision),
            Err(reason) => self.on_store_failure(reason),
        }
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
