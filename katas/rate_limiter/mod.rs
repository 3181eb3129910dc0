//! # Token-bucket rate limiter — the contract
//!
//! > "Design and code a token bucket rate limiter with burst handling and fairness."
//!
//! This module is the contract every solution implements: the [`RateLimiter`] and
//! [`Reservation`] traits, the [`BucketConfig`], and the typed errors. The prompt, stage by
//! stage, is in `PROMPT.md` (`kata prompt rate-limiter`); it is also rendered at the end of this
//! page.
//!
//! ## The model, precisely
//!
//! A bucket holds at most `capacity` tokens and starts full (rule `rate-limiter/starts-full`);
//! refill stops at `capacity`, whatever the idle time (rule `rate-limiter/refill-capped`), and
//! any idle time a 64-bit clock can show refills without overflow (rule
//! `rate-limiter/idle-no-overflow`). It regains `refill_tokens` tokens every `refill_period`,
//! **continuously**: one token every `refill_period / refill_tokens`, fractions carried forward
//! exactly (rule `rate-limiter/fractions-carried`), never a lump at the end of each period. Over
//! any window of length `t`, a bucket grants at most
//! `capacity + floor(refill_tokens · t / refill_period)` tokens (rule
//! `rate-limiter/window-bound`).
//!
//! All arithmetic is on integers: time is whole nanoseconds read from the injected
//! [`Clock`]. A convenient exact unit is a *grain*: one token is worth
//! `refill_period` (in ns) grains, and the bucket gains `refill_tokens` grains per nanosecond.
//!
//! Each rule below carries an id (`rate-limiter/<slug>`): the rubric's rule table
//! ([`conformance::RULES`]) lists, for each, the criteria that check it, and the mutant
//! catalogue names the mutants that break it.
//!
//! ## Why the design is shaped like this
//!
//! - **Time is injected** (`Arc<dyn Clock>`), so every rule above is testable to the nanosecond
//!   without sleeping, and a clock that jumps backwards can be simulated.
//! - **`&self` everywhere**: one limiter is shared by every request thread (stage 2), so the
//!   trait requires `Send + Sync` and leaves the locking strategy to the implementation.
//! - **Denial is an error value, not a panic or a bool**: callers need the exact wait
//!   (`retry_after`), and "can never succeed" ([`AcquireError::ExceedsCapacity`]) must be told
//!   apart from "not yet".
//! - **Reservations borrow the limiter** (`Reservation<'a>`), so dropping one can give its tokens
//!   back (stage 3) without reference counting.

pub mod conformance;
pub mod exercise;
// Not in the library's own unit-test build, which never grades a mutant (see Cargo.toml).
#[cfg(all(feature = "mutants", not(test)))]
pub mod mutants;
pub mod reference;

use crate::clock::Clock;
use crate::grading::{Check, Kata, ManualCriterion};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// Configuration of one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BucketConfig {
    /// Most tokens the bucket holds: the largest burst. The bucket starts full.
    pub capacity: u64,
    /// Tokens regained per `refill_period`, spread evenly over the period.
    pub refill_tokens: u64,
    /// The period over which `refill_tokens` are regained.
    pub refill_period: Duration,
}

impl BucketConfig {
    /// `capacity` tokens, refilled at `refill_tokens` per `refill_period`.
    pub const fn new(capacity: u64, refill_tokens: u64, refill_period: Duration) -> Self {
        Self {
            capacity,
            refill_tokens,
            refill_period,
        }
    }
}

/// Why a configuration is rejected. Checked in this order (rule `rate-limiter/config-errors`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// `capacity` is 0: such a bucket could never grant anything.
    #[error("capacity must be at least 1 token")]
    ZeroCapacity,
    /// `refill_tokens` is 0: the bucket would never refill.
    #[error("refill_tokens must be at least 1 token per period")]
    ZeroRefillTokens,
    /// `refill_period` is shorter than 1 ns.
    #[error("refill_period must be at least 1 ns")]
    ZeroRefillPeriod,
    /// `capacity × refill_period` (in nanoseconds) exceeds `u64::MAX`, so the bucket's exact
    /// state (in grains) would not fit in 64 bits.
    #[error(
        "capacity × refill_period is too large: {capacity} tokens × {refill_period:?} exceeds u64::MAX ns"
    )]
    TooLarge {
        /// The configured capacity.
        capacity: u64,
        /// The configured period.
        refill_period: Duration,
    },
}

/// Why a request for tokens is not granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum AcquireError {
    /// Not enough tokens now. Retrying the same request after exactly `retry_after` succeeds,
    /// provided nothing else takes tokens meanwhile; retrying 1 ns earlier does not (rule
    /// `rate-limiter/retry-after-exact`).
    #[error("rate limited: retry after {retry_after:?}")]
    RateLimited {
        /// The exact wait, rounded up to the nanosecond.
        retry_after: Duration,
    },
    /// More tokens than the bucket can ever hold: retrying can never succeed.
    #[error(
        "requested {requested} tokens but the bucket holds at most {capacity}; this can never succeed"
    )]
    ExceedsCapacity {
        /// Tokens requested.
        requested: u64,
        /// The bucket's capacity.
        capacity: u64,
    },
}

/// A token bucket shared by many threads.
///
/// Every method takes `&self`; implementations choose their own synchronisation (a mutex,
/// atomics, …) — the conformance suite only observes behaviour.
pub trait RateLimiter: Send + Sync + Sized {
    /// A place in the queue for tokens (stage 3). Borrows the limiter so that dropping it can
    /// return its tokens.
    type Reservation<'a>: Reservation
    where
        Self: 'a;

    /// A full bucket reading time from `clock`.
    ///
    /// # Errors
    /// The first [`ConfigError`] (in declaration order) that `config` violates.
    fn new(config: BucketConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError>;

    /// Takes `tokens` now, all or nothing.
    ///
    /// - `tokens == 0` always succeeds and takes nothing (even from an empty bucket: rule
    ///   `rate-limiter/zero-request`; even while reservations wait: it takes nothing from
    ///   anyone, rule `rate-limiter/zero-while-queued`).
    /// - A denial changes nothing (rule `rate-limiter/denial-changes-nothing`).
    /// - While earlier reservations are still waiting for their tokens, those tokens are theirs:
    ///   `try_acquire` does not jump the queue (rule `rate-limiter/no-queue-jumping`).
    /// - Called from many threads at once, reading the level, deciding and writing it back are
    ///   one atomic step: no token is spent twice, none is lost (rule
    ///   `rate-limiter/atomic-decision`). Each call decides at a clock reading it takes during
    ///   the call, and a refusal never rests on a reading older than the state it meets: read
    ///   before another thread's grant, a reading would refuse tokens that accrued meanwhile
    ///   (rule `rate-limiter/clock-after-state`).
    ///
    /// # Errors
    /// - [`AcquireError::ExceedsCapacity`] when `tokens > capacity` (whatever the bucket holds;
    ///   rule `rate-limiter/exceeds-capacity`).
    /// - [`AcquireError::RateLimited`] with the exact wait otherwise.
    fn try_acquire(&self, tokens: u64) -> Result<(), AcquireError>;

    /// Joins the queue for `tokens` (stage 3): the tokens are set aside for this caller behind
    /// every earlier reservation, in arrival order (FIFO), and the returned reservation says when
    /// they are ready (rule `rate-limiter/fifo-reservations`). Later callers — reservations or
    /// `try_acquire` — can never take them.
    ///
    /// At or after [`Reservation::ready_at`] the tokens belong to the holder; the holder simply
    /// proceeds (dropping the reservation then changes nothing: rule
    /// `rate-limiter/ready-is-spent`). Dropping the reservation *before* `ready_at` cancels it and
    /// gives its tokens back to the bucket (rule `rate-limiter/cancel-refunds`), up to capacity
    /// (rule `rate-limiter/cancel-refund-capped`).
    ///
    /// `reserve(0)` is ready at once (rules `rate-limiter/zero-request`,
    /// `rate-limiter/zero-while-queued`). Every accepted config and every clock reading works
    /// without overflow, also when the queue owes more than 2^64 ns of refill: `ready_at` is
    /// exact (rule `rate-limiter/largest-values-exact`).
    ///
    /// # Errors
    /// [`AcquireError::ExceedsCapacity`] when `tokens > capacity` (rule
    /// `rate-limiter/exceeds-capacity`). A reservation is never `RateLimited`: it waits instead.
    fn reserve(&self, tokens: u64) -> Result<Self::Reservation<'_>, AcquireError>;
}

/// Tokens set aside in a [`RateLimiter`]'s queue. Dropping it before it is ready cancels it.
pub trait Reservation {
    /// Clock time at which the reserved tokens exist and belong to the holder.
    ///
    /// Fixed when the reservation is made; cancellations ahead in the queue may bring it
    /// earlier, never later.
    fn ready_at(&self) -> Duration;

    /// Tokens reserved.
    fn tokens(&self) -> u64;
}

/// Per-tenant quotas for a [`KeyedRateLimiter`] (stage 4).
///
/// A *tier* is simply a [`BucketConfig`]: tenants of one tier are listed with the same config.
/// Every tenant has a bucket of its own; tenants never share tokens.
#[derive(Debug, Clone)]
pub struct Quotas<K> {
    /// The config of every tenant not listed in `tenants`.
    pub default: BucketConfig,
    /// Tenants with a config of their own.
    pub tenants: HashMap<K, BucketConfig>,
}

impl<K> Quotas<K> {
    /// Every tenant gets `default`.
    pub fn uniform(default: BucketConfig) -> Self {
        Self {
            default,
            tenants: HashMap::new(),
        }
    }

    /// The longest time any tier takes to refill from empty to full (rounded up to the ns):
    /// the horizon of [`KeyedRateLimiter::len`]'s memory bound.
    pub fn longest_refill(&self) -> Duration {
        std::iter::once(&self.default)
            .chain(self.tenants.values())
            .map(|c| {
                let grains = u128::from(c.capacity) * c.refill_period.as_nanos();
                let ns = grains.div_ceil(u128::from(c.refill_tokens.max(1)));
                Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
            })
            .max()
            .unwrap_or(Duration::ZERO)
    }
}

/// A rate limiter keyed by tenant (stage 4): one token bucket per tenant, with bounded memory.
///
/// - **Isolation**: each tenant's bucket behaves exactly like a [`RateLimiter`] with its own
///   config (`try_acquire` answers, `retry_after` included, are those of a lone bucket), whatever
///   other tenants do, also concurrently (rule `rate-limiter/tenant-isolation`), and for every
///   config and clock reading a lone bucket accepts (rule `rate-limiter/keyed-largest-values`).
/// - **Invisible eviction**: a tenant's bucket may be dropped from memory only when it is full —
///   indistinguishable from the fresh bucket that replaces it — so no answer ever changes because
///   of eviction (rule `rate-limiter/eviction-invisible`). The promise is for a clock that
///   never steps back. Across a step back, a dropped bucket comes back as a fresh full bucket
///   at the earlier reading, and it may regain tokens sooner than the dropped one would have.
///   Hiding that too would need a reading that outlives the bucket (kept per tenant, which
///   eviction exists to avoid, or shared by all tenants), so the contract leaves it open.
/// - **Bounded memory**: after every call, [`len`](KeyedRateLimiter::len) is at most the number of
///   distinct tenants that called `try_acquire` within the last 2 × [`Quotas::longest_refill`]
///   (rule `rate-limiter/bounded-memory`).
///   (Sweeping out full buckets once per refill horizon meets this bound at O(1) amortised cost
///   per call; the factor 2 is what such a periodic sweep allows.)
/// - Different tenants must not contend on one global lock on the hot path (rule
///   `rate-limiter/tenants-in-parallel`): no lock that every tenant needs is held while a
///   tenant's call decides.
pub trait KeyedRateLimiter<K>: Send + Sync + Sized
where
    K: Hash + Eq + Clone + Send + Sync,
{
    /// A limiter with no buckets yet; each tenant starts with a full bucket on first use.
    ///
    /// # Errors
    /// The first [`ConfigError`] of `quotas.default`, then of any tenant's config (rule
    /// `rate-limiter/keyed-config-errors`).
    fn new(quotas: Quotas<K>, clock: Arc<dyn Clock>) -> Result<Self, ConfigError>;

    /// [`RateLimiter::try_acquire`] on `tenant`'s bucket.
    ///
    /// # Errors
    /// As [`RateLimiter::try_acquire`], against the tenant's own config.
    fn try_acquire(&self, tenant: &K, tokens: u64) -> Result<(), AcquireError>;

    /// Buckets currently held in memory.
    fn len(&self) -> usize;

    /// True when no bucket is held.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a [`SharedRateLimiter`] answers when its store does not (stage 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailurePolicy {
    /// Let requests through, uncounted, and say so ([`Admission::FailedOpen`]): the store is a
    /// guard rail, and an outage of the guard rail must not become an outage of the service.
    Open,
    /// Refuse requests ([`SharedError::Unavailable`]): over-admission is worse than refusal
    /// (billing, abuse protection).
    Closed,
}

/// Where a [`SharedRateLimiter`] keeps its buckets, and what it does when that store fails.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoreConfig {
    /// The Redis server: `redis://host:port/` (a database number may follow the slash).
    pub url: String,
    /// Prefix of every key the limiter writes. Limiters with the same prefix, URL and
    /// [`BucketConfig`] share their limits; other prefixes are invisible to them.
    pub prefix: String,
    /// The longest one decision may wait for the store — connecting, sending and reading the
    /// reply together. When it runs out, or the store refuses, `on_failure` decides.
    pub timeout: Duration,
    /// The answer when the store cannot be reached within `timeout`.
    pub on_failure: FailurePolicy,
}

/// Why a [`SharedRateLimiter`] cannot be built. No store is contacted to decide this.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SharedConfigError {
    /// The bucket config is invalid, as for a single bucket.
    #[error(transparent)]
    Bucket(#[from] ConfigError),
    /// `capacity × refill_period` (in ns) plus `refill_tokens` exceeds 2^53: the store's script
    /// computes in doubles, which are exact only up to 2^53.
    #[error(
        "capacity × refill_period is too large for the shared store: {capacity} tokens × {refill_period:?} exceeds 2^53 ns"
    )]
    TooLargeForStore {
        /// The configured capacity.
        capacity: u64,
        /// The configured period.
        refill_period: Duration,
    },
    /// `url` is not a Redis URL.
    #[error("`{url}` is not a Redis URL (expected redis://host:port/): {reason}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `prefix` is empty: the limiter's keys could collide with anything else in the store.
    #[error("the key prefix must not be empty")]
    EmptyPrefix,
    /// `timeout` is under 1 ms: every decision would fail before the store could answer.
    #[error("the store timeout must be at least 1 ms, got {0:?}")]
    TimeoutTooShort(Duration),
}

/// A granted request of a [`SharedRateLimiter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// The store counted the tokens against the shared limit.
    Counted,
    /// The store could not be reached and the policy is [`FailurePolicy::Open`]: the request
    /// is let through without being counted.
    FailedOpen {
        /// Why the store could not decide (refused, timed out, …).
        reason: String,
    },
}

/// Why a [`SharedRateLimiter`] does not grant a request.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SharedError {
    /// The shared bucket said no ([`AcquireError::RateLimited`]), or the request can never
    /// succeed ([`AcquireError::ExceedsCapacity`]).
    #[error(transparent)]
    Limited(#[from] AcquireError),
    /// The store could not be reached within the timeout and the policy is
    /// [`FailurePolicy::Closed`].
    #[error("the shared rate-limit store is unavailable ({reason}); failing closed")]
    Unavailable {
        /// Why the store could not decide (refused, timed out, …).
        reason: String,
    },
}

/// One limit per key, shared by every client of one store (stage 5): fifty API servers, one
/// quota.
///
/// - **One bucket per key, for the whole fleet**: every client (process, thread, instance)
///   built with the same [`StoreConfig::url`], [`StoreConfig::prefix`] and [`BucketConfig`]
///   draws on the same bucket for a key; other keys and other prefixes are other buckets (rule
///   `rate-limiter/shared-key-namespace`). Together they never exceed the window bound of a
///   single bucket, measured on the store's clock.
/// - **The store's clock decides.** Client clocks drift and jump; a client's `clock` must never
///   let it mint tokens (rule `rate-limiter/shared-store-clock`). (It is passed in because a
///   naive design would use it.)
/// - **Atomic on the store**: the read, the refill and the take happen in one step on the
///   server, never as read-modify-write from the client (rule `rate-limiter/shared-atomic`).
/// - **Memory in the store is bounded**: every key the limiter writes starts with the prefix and
///   is gone from the store once its bucket would be full again (rule
///   `rate-limiter/shared-keys-expire`) — and not before (rule
///   `rate-limiter/shared-keys-live-until-full`): a full bucket and a missing one are the same
///   thing.
/// - **Failures follow the policy**: a store that refuses, hangs or restarts never panics a
///   client and never blocks one much longer than [`StoreConfig::timeout`] (rule
///   `rate-limiter/shared-timeout`); the answer is [`StoreConfig::on_failure`]'s. A client built
///   while the store is down works as soon as it is back (rule
///   `rate-limiter/shared-failure-policy`), and a restart of the store is survived without help:
///   stale connections are replaced. A restart without persistence loses the buckets, so each
///   key can grant at most `capacity` extra tokens per restart — the documented bound (rule
///   `rate-limiter/shared-restart`).
/// - `tokens == 0` is granted without asking the store; `tokens > capacity` is
///   [`AcquireError::ExceedsCapacity`], also without asking it (rule
///   `rate-limiter/shared-local-answers`); and `connect` validates in the documented order
///   (rule `rate-limiter/shared-connect-order`).
/// - `retry_after` is the wait on the store's clock, rounded up to its resolution (1 µs): more
///   than zero, and at most the time one token takes (rule `rate-limiter/shared-retry-after`).
pub trait SharedRateLimiter: Send + Sync + Sized {
    /// A client of the store. Does not contact the store: it may be down now and up later.
    ///
    /// # Errors
    /// The first [`SharedConfigError`] that applies: the bucket's [`ConfigError`], then
    /// `TooLargeForStore`, `InvalidUrl`, `EmptyPrefix`, `TimeoutTooShort`.
    fn connect(
        bucket: BucketConfig,
        store: StoreConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SharedConfigError>;

    /// Takes `tokens` from `key`'s shared bucket, all or nothing.
    ///
    /// # Errors
    /// [`SharedError::Limited`] when the bucket says no; [`SharedError::Unavailable`] when the
    /// store cannot decide and the policy is [`FailurePolicy::Closed`].
    fn try_acquire(&self, key: &str, tokens: u64) -> Result<Admission, SharedError>;
}

/// Stage titles, in order.
pub const STAGES: &[&str] = &[
    "one bucket: burst, continuous refill, exact retry_after",
    "thread safety: many threads, one bucket",
    "fairness: FIFO reservations, no queue jumping, cancellation",
    "per-tenant quotas: isolation, invisible eviction, bounded memory",
    "one limit for a fleet: shared buckets on Redis, failure policy",
];

/// Manual criteria specific to this kata.
pub const MANUAL: &[ManualCriterion] = &[
    ManualCriterion {
        name: "Concurrency argument",
        look_for: "The candidate can say why no two threads can both spend the last token (lock scope, or CAS on one word), why the lock is never held while waiting, and why a decision never compares the state with a clock reading older than it (clock read under the lock, or after the load).",
        weight: 3,
    },
    ManualCriterion {
        name: "Integer arithmetic",
        look_for: "No floats; overflow considered (huge idle times, large configs); rounding direction of retry_after argued, not guessed.",
        weight: 2,
    },
];

/// This kata, as the grader and the command line see it.
pub fn kata() -> Kata {
    Kata {
        id: "rate-limiter",
        title: "Token-bucket rate limiter with burst handling and fairness",
        prompt: include_str!("PROMPT.md"),
        stages: STAGES,
        criteria: conformance::CRITERIA,
        rules: conformance::RULES,
        manual: MANUAL,
        reference: reference_suite,
        exercise: exercise::suite,
        stub: include_str!("exercise.rs"),
        #[cfg(all(feature = "mutants", not(test)))]
        mutants: mutants::catalogue,
        #[cfg(not(all(feature = "mutants", not(test))))]
        mutants: Vec::new,
        analyze: None,
    }
}

fn reference_suite() -> Vec<Check> {
    conformance::suite::<
        reference::TokenBucket,
        reference::KeyedTokenBucket<u32>,
        reference::RedisTokenBucket,
    >()
}

#[doc = include_str!("PROMPT.md")]
pub mod prompt {}
