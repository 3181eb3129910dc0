//! # Cache — the contract
//!
//! > "Implement an in-memory cache with a bounded size, least-recently-used eviction and
//! > per-entry expiry, share it between threads, load what it misses
//! > without a stampede, then make it survive a scan."
//!
//! This module is the contract every solution implements: the [`Cache`] and [`LoadingCache`]
//! traits, the configuration ([`CacheConfig`]) and the typed errors ([`ConfigError`],
//! [`PutError`], [`GetError`] with the loader's [`LoadError`]). The
//! prompt, stage by stage, is in `PROMPT.md` (`kata prompt cache`); it is also rendered at the
//! end of this page.
//!
//! A solution provides three types that implement [`Cache`]: an **exact LRU** cache (stages 1
//! and 2, bound as `L` in the rubric), a **shared** cache built for many threads (stage 3,
//! bound as `S`) and a **scan-resistant** cache (stage 5, bound as `P`); and a **loading**
//! cache that implements [`LoadingCache`] (stage 4, bound as `D`). The shared cache is
//! allowed to relax recency (a sharded design cannot keep one global order) but must not
//! serialise every key on one lock, and the scan-resistant one chooses its victims by its own
//! policy, so each has its own rules.
//!
//! ## The rules, precisely
//!
//! Stage 1 — the exact LRU cache:
//!
//! - A cache of capacity 0 cannot be built: [`ConfigError::ZeroCapacity`] (rule
//!   `cache/zero-capacity`).
//! - [`Cache::get`] returns the value of the latest `put` of the key while the key is present,
//!   and `None` for a key never put, removed, evicted or expired (rule `cache/get-latest`).
//! - The cache never holds more than `capacity` entries, and a put into a cache holding fewer
//!   than `capacity` live entries evicts nothing (rule `cache/capacity`).
//! - Recency: a `get` that hits makes its key the most recently used (rule
//!   `cache/get-refreshes`); a `put` of a key already present makes it the most recently used
//!   (rule `cache/put-existing-refreshes`) and replaces its value without taking a second slot
//!   (rule `cache/put-existing-same-size`). A `get` that misses, [`Cache::contains`] and
//!   [`Cache::len`] change no recency (rule `cache/peek-no-touch`).
//! - A `put` of a new key into a full cache evicts exactly one entry: the least recently used
//!   (rule `cache/evict-lru`).
//! - [`Cache::remove`] returns the value of a present key and frees its slot: the key is absent
//!   after, and the next put of a new key evicts nothing if the cache was full before the
//!   removal (rule `cache/remove-frees`).
//!
//! Stage 2 — expiry, on the injected clock (`put` at clock reading `t` with time-to-live
//! `ttl`):
//!
//! - The entry is alive at every reading `< t + ttl` and expired at every reading `≥ t + ttl`:
//!   alive at `t + ttl − 1 ns`, gone at `t + ttl` (rule `cache/ttl-boundary`). `t + ttl` that
//!   does not fit saturates: the entry never expires (rule `cache/ttl-saturates`).
//! - A time-to-live of zero is refused with [`PutError::ZeroTtl`], and the refused call changes
//!   nothing (rule `cache/zero-ttl`).
//! - An expired entry is never returned: `get` misses, `contains` is false, `remove` returns
//!   `None` (rule `cache/expired-absent`).
//! - An expired entry counts as absent for capacity: it is not in [`Cache::len`], and a put
//!   never evicts a live entry while an expired one is still held; so memory is bounded by the
//!   capacity, live or expired (rule `cache/expired-reclaimed`).
//! - A `put` (with or without a time-to-live) of a present key replaces its expiry: a plain
//!   `put` never expires (rule `cache/put-replaces-expiry`). A `get` does not extend a
//!   time-to-live: expiry counts from the put, not from the last access (rule
//!   `cache/get-keeps-expiry`).
//! - The clock never moves backwards in this kata's checks; what a cache does if it does is not
//!   part of the contract.
//!
//! Stage 3 — the shared cache `S` (every method takes `&self`, from any number of threads):
//!
//! - Every rule of stages 1 and 2 except the exact recency order (and the evictions that
//!   follow from it) holds for `S` when one thread uses it (rule `cache/shared-basics`).
//! - Per key under many threads, a `get` returns `None` or the value of a put of that key that
//!   was not overwritten before the get began — never an older value, never another key's —
//!   and a completed put is not undone by another thread's (rule
//!   `cache/shared-no-lost-update`).
//! - `S` may evict before it is full (a sharded design evicts within one shard), but not while
//!   it holds fewer than `capacity / 16` (rounded down) live entries — so up to 16 shards of
//!   equal capacity qualify — and it never holds more than `capacity` entries, also while puts race (rule `cache/shared-capacity`),
//!   and two racing puts of one key leave exactly one entry for it (rule
//!   `cache/shared-one-entry-per-key`).
//! - Different keys must not contend on one cache-wide lock: no lock that every key needs is
//!   held while a call reads the clock or decides (rule `cache/keys-in-parallel`). A
//!   sharded design locks only the key's shard; a lock-free one locks nothing. (The rubric
//!   sees a lock through the clock: a call held inside its clock reading must not stop every
//!   other key's call. A design that reads the clock before taking one global lock slips past
//!   that check, and shows in the bench instead.)
//!
//! Stage 4 — the loading cache `D` ([`LoadingCache::get_or_load`]; a *flight* is one run of a
//! loader for one key, started by a miss at clock reading `t`):
//!
//! - Single flight: while a flight for a key runs, every other `get_or_load` of that key waits
//!   for it instead of running its own loader, and every caller gets the flight's value; the
//!   value is then cached, so a later call runs no loader (rule `cache/single-flight`).
//! - A loader's error is returned to every caller that waited on the flight, as
//!   [`GetError::Load`] with the loader's own [`LoadError`] (rule `cache/load-error-shared`),
//!   and it is not cached: the next call runs a loader again (rule
//!   `cache/load-error-not-cached`).
//! - A loader that panics releases every waiter with [`GetError::LoaderPanicked`] (the caller
//!   that ran it gets the same error, or the panic itself), and the key is not poisoned: the
//!   next call runs a loader again (rule `cache/loader-panic-releases`).
//! - A loader still running at `t + load_timeout` releases every waiter with
//!   [`GetError::TimedOut`] once the clock reads `t + load_timeout`: a waiter notices it by
//!   re-reading the clock while it waits, or is released by the next call into the cache —
//!   either way without sleeping on real time. The key is not poisoned either: a call after the
//!   deadline starts a fresh flight instead of joining the hung one (rule
//!   `cache/load-deadline`). What the hung loader's own caller gets when it finally returns is
//!   not fixed.
//!
//! Stage 5 — the scan-resistant cache `P` (S3-FIFO, W-TinyLFU, SLRU, 2Q, ARC… the candidate
//! chooses and argues):
//!
//! - A one-off scan does not flush a hot working set: in a cache of capacity `c ≥ 20`, after a
//!   hot set `H` of at most `c / 4` keys, each put and then read twice with `get` (one key at a
//!   time), and then a scan of any number of fresh keys, each put once and never read, at least
//!   half of `H` is present (rule `cache/scan-resistant`). Plain LRU keeps none of it once the
//!   scan is `c` keys long.
//! - `P` never holds more than `capacity` entries, holds a key right after its put, returns
//!   from `get` and `remove` only `None` or the latest live value put, and keeps the rules
//!   `cache/zero-capacity`, `cache/zero-ttl`, `cache/ttl-boundary` and `cache/expired-absent`;
//!   which entry it evicts is its policy's business (rule `cache/smart-basics`).
//!
//! ## Why the design is shaped like this
//!
//! - **Fixed key and value types** ([`Key`], [`Value`] = `u64`): the interesting parts —
//!   recency bookkeeping, eviction, expiry, races — are the same for any `K: Hash + Eq` and
//!   `V: Clone`, and fixed types keep the stub, the model and the failure messages small. A
//!   generic cache is a talking point, not a rubric line.
//! - **`&self` everywhere and `Send + Sync`** from stage 1: stage 3 shares the cache between
//!   threads, so the locking strategy is the implementation's business from the start.
//! - **Time is injected** (`Arc<dyn Clock>`): the expiry boundary is testable to the nanosecond
//!   without sleeping.
//! - **[`Cache::contains`] is a peek**: it lets a caller (and the rubric) see what the cache holds
//!   without disturbing the order it is asked about.

pub mod conformance;
pub mod exercise;
// Not in the library's own unit-test build, which never grades a mutant (see Cargo.toml).
#[cfg(all(feature = "mutants", not(test)))]
pub mod mutants;
pub mod reference;

use crate::clock::Clock;
use crate::grading::{Check, Kata, ManualCriterion};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// A cache key.
pub type Key = u64;

/// A cached value.
pub type Value = u64;

/// How a cache is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// The most entries the cache holds at once; at least 1.
    pub capacity: usize,
}

impl CacheConfig {
    /// A cache of `capacity` entries.
    pub const fn with_capacity(capacity: usize) -> Self {
        Self { capacity }
    }
}

/// Why a cache cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// A capacity of zero would hold nothing (rule `cache/zero-capacity`).
    #[error("a cache must hold at least one entry (capacity 0 given)")]
    ZeroCapacity,
}

/// Why a put was refused. A refused put changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PutError {
    /// A time-to-live of zero would expire before the put returned (rule `cache/zero-ttl`).
    #[error("a time-to-live must be at least 1 ns (0 given)")]
    ZeroTtl,
}

/// A bounded in-memory cache from [`Key`] to [`Value`].
///
/// Every method takes `&self`: the cache is shared between threads (stage 3), and the locking
/// strategy is the implementation's. Time comes only from the clock given to [`Cache::new`].
/// The rules each method must keep are listed, with their ids, in the [module docs](self).
pub trait Cache: Send + Sync + Sized {
    /// An empty cache of `config.capacity` entries that reads time only from `clock`.
    ///
    /// # Errors
    /// [`ConfigError::ZeroCapacity`] for a capacity of 0.
    fn new(config: CacheConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError>;

    /// The value of `key` if it is present and alive; a hit makes `key` the most recently used.
    fn get(&self, key: Key) -> Option<Value>;

    /// Stores `value` under `key`, with no expiry. The key becomes the most recently used; a new
    /// key in a full cache evicts the least recently used entry.
    fn put(&self, key: Key, value: Value);

    /// Like [`Cache::put`], but the entry expires `ttl` after the clock reading taken by this
    /// call.
    ///
    /// # Errors
    /// [`PutError::ZeroTtl`] for a `ttl` of zero; the cache is unchanged.
    fn put_with_ttl(&self, key: Key, value: Value, ttl: Duration) -> Result<(), PutError>;

    /// Removes `key`, returning its value if it was present and alive.
    fn remove(&self, key: Key) -> Option<Value>;

    /// Whether `key` is present and alive, without changing any recency.
    fn contains(&self, key: Key) -> bool;

    /// The number of live entries (expired ones excluded), without changing any recency.
    fn len(&self) -> usize;

    /// True when no live entry is held.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why a loader could not produce a value: a code of the loader's own, handed back unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the loader failed with code {0}")]
pub struct LoadError(pub u64);

/// Why [`LoadingCache::get_or_load`] returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum GetError {
    /// The flight's loader returned this error (rule `cache/load-error-shared`).
    #[error("loading the value failed: {0}")]
    Load(LoadError),
    /// The flight's loader panicked (rule `cache/loader-panic-releases`).
    #[error("the loader panicked")]
    LoaderPanicked,
    /// The flight's loader was still running at its deadline (rule `cache/load-deadline`).
    #[error("the loader did not finish before its deadline")]
    TimedOut,
}

/// A loader: produces the value of a key on a miss. It runs on the thread of the call that
/// started the flight.
pub type Loader<'a> = &'a dyn Fn(Key) -> Result<Value, LoadError>;

/// A cache that loads what it misses, running one loader per key at a time (stage 4).
///
/// Design note: the loader is a plain `&dyn Fn` run by the first caller that misses, so no
/// thread pool is needed and a panic unwinds on a thread the cache can catch it on; the
/// deadline is measured on the injected clock, so a hung loader's waiters are released by the
/// clock, not by real time.
pub trait LoadingCache: Send + Sync + Sized {
    /// An empty loading cache of `config.capacity` entries whose waiters give up on a flight
    /// `load_timeout` after it started (on `clock`).
    ///
    /// # Errors
    /// [`ConfigError::ZeroCapacity`] for a capacity of 0.
    fn new(
        config: CacheConfig,
        load_timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConfigError>;

    /// The cached value of `key`, or the value `loader` produces for it — loaded once however
    /// many callers miss at the same time.
    ///
    /// # Errors
    /// [`GetError::Load`], [`GetError::LoaderPanicked`] or [`GetError::TimedOut`] for the
    /// flight this call ran or waited on.
    fn get_or_load(&self, key: Key, loader: Loader<'_>) -> Result<Value, GetError>;
}

/// Stage titles, in order.
pub const STAGES: &[&str] = &[
    "bounded LRU: get, put, remove, exact recency, eviction, typed errors",
    "expiry: per-entry time-to-live on the injected clock, reclaimed entries",
    "many threads: a shared cache, no lost update, capacity kept under races",
    "a loading cache: single flight, errors and panics shared and not cached, a deadline for hung loaders",
    "a smarter eviction policy: a one-off scan does not flush the hot set",
];

/// Manual criteria specific to this kata.
pub const MANUAL: &[ManualCriterion] = &[
    ManualCriterion {
        name: "O(1) argument",
        look_for: "The candidate can say why get, put and remove are O(1) (a hash map into an intrusive doubly linked list or a slab of nodes), and what expiry costs (a timer wheel or an ordered index by deadline, or lazy checks plus bounded reclamation).",
        weight: 3,
    },
    ManualCriterion {
        name: "Concurrency design",
        look_for: "The shared cache avoids one global lock on the hot path (shards, or reads that do not take a write lock), and the candidate can say what recency guarantee is given up for it and why capacity still holds.",
        weight: 3,
    },
];

/// This kata, as the grader and the command line see it.
pub fn kata() -> Kata {
    Kata {
        id: "cache",
        title: "Bounded LRU cache with expiry, shared between threads, loading without a stampede, scan-resistant",
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
        reference::LruCache,
        reference::ShardedCache,
        reference::LoadingLru,
        reference::S3FifoCache,
    >()
}

#[doc = include_str!("PROMPT.md")]
pub mod prompt {}
