//! Your solution. Fill in every `todo!()`; keep the signatures.
//!
//! Run the suite against this file with
//! `cargo test --features exercise --test cache` (add `stage1`, `stage2`, … to run one
//! stage), and grade it with `cargo run --release -- grade cache`.
//!
//! The contract — what each method must do, exactly — is documented on the trait and types in
//! `cache/mod.rs` (`cargo doc --open`, module `cache`), and the prompt is in
//! `cache/PROMPT.md`. Four types: `Lru` (stages 1–2, exact recency), `Shared` (stage 3, for
//! many threads, with no lock that every key waits for), `Loading` (stage 4, a loading cache)
//! and `Smart` (stage 5, scan-resistant). Add any fields,
//! types and helpers you need.

use super::{
    Cache, CacheConfig, ConfigError, GetError, Key, Loader, LoadingCache, PutError, Value,
};
use crate::clock::Clock;
use std::sync::Arc;
use std::time::Duration;

/// Your exact LRU cache (stages 1 and 2).
pub struct Lru {
    // Your state goes here.
}

impl Cache for Lru {
    fn new(config: CacheConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let _ = clock;
        todo!(
            "build an empty cache of {} entries (0 is ConfigError::ZeroCapacity) that reads time \
             only from `clock`",
            config.capacity
        )
    }

    fn get(&self, key: Key) -> Option<Value> {
        todo!(
            "return the latest value put under {key} if it is present and not expired, making \
             it the most recently used; a miss changes nothing"
        )
    }

    fn put(&self, key: Key, value: Value) {
        todo!(
            "store {value} under {key} with no expiry as the most recently used entry: a \
             present key keeps its one slot; a new key in a full cache evicts the least \
             recently used live entry (an expired one first)"
        )
    }

    fn put_with_ttl(&self, key: Key, value: Value, ttl: Duration) -> Result<(), PutError> {
        todo!(
            "like put, for {key} = {value}, alive until 1 ns before now + {ttl:?} (saturating: \
             never expires if it does not fit); a zero ttl is PutError::ZeroTtl and changes \
             nothing"
        )
    }

    fn remove(&self, key: Key) -> Option<Value> {
        todo!("take {key} out and return its value if it was present and alive, freeing its slot")
    }

    fn contains(&self, key: Key) -> bool {
        todo!("whether {key} is present and alive, without touching its recency")
    }

    fn len(&self) -> usize {
        todo!("the number of live entries — expired ones do not count")
    }
}

/// Your cache for many threads (stage 3).
pub struct Shared {
    // Your state goes here.
}

impl Cache for Shared {
    fn new(config: CacheConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let _ = clock;
        todo!(
            "build an empty shared cache of {} entries (0 is ConfigError::ZeroCapacity) that \
             never holds more than that, also while puts race",
            config.capacity
        )
    }

    fn get(&self, key: Key) -> Option<Value> {
        todo!("the latest value put under {key}, or None — never an older value or another key's")
    }

    fn put(&self, key: Key, value: Value) {
        todo!(
            "store {value} under {key}: one entry per key and at most `capacity` entries, \
             whatever other threads do at the same time"
        )
    }

    fn put_with_ttl(&self, key: Key, value: Value, ttl: Duration) -> Result<(), PutError> {
        todo!(
            "like put, for {key} = {value} expiring after {ttl:?}; a zero ttl is PutError::ZeroTtl"
        )
    }

    fn remove(&self, key: Key) -> Option<Value> {
        todo!("take {key} out and return its value if it was present and alive")
    }

    fn contains(&self, key: Key) -> bool {
        todo!("whether {key} is present and alive")
    }

    fn len(&self) -> usize {
        todo!("the number of live entries, never more than the capacity")
    }
}

/// Your loading cache (stage 4).
pub struct Loading {
    // Your state goes here.
}

impl LoadingCache for Loading {
    fn new(
        config: CacheConfig,
        load_timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConfigError> {
        let _ = clock;
        todo!(
            "build an empty loading cache of {} entries whose waiters give up on a load              {load_timeout:?} (on `clock`) after it started",
            config.capacity
        )
    }

    fn get_or_load(&self, key: Key, loader: Loader<'_>) -> Result<Value, GetError> {
        let _ = loader;
        todo!(
            "return {key}'s cached value, or load it: one loader per key at a time, its value              (cached) or error (not cached) to every waiter, LoaderPanicked if it panics,              TimedOut for waiters once the clock passes its deadline — never a poisoned key"
        )
    }
}

/// Your scan-resistant cache (stage 5).
pub struct Smart {
    // Your state goes here.
}

impl Cache for Smart {
    fn new(config: CacheConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let _ = clock;
        todo!(
            "build an empty scan-resistant cache of {} entries (0 is ConfigError::ZeroCapacity):              a one-off scan of fresh keys must not flush keys that were read again",
            config.capacity
        )
    }

    fn get(&self, key: Key) -> Option<Value> {
        todo!("the latest live value put under {key}, or None; a hit is a sign that {key} is hot")
    }

    fn put(&self, key: Key, value: Value) {
        todo!(
            "store {value} under {key}, present right after; a new key in a full cache evicts              the entry your policy chooses — a key seen once before one read again"
        )
    }

    fn put_with_ttl(&self, key: Key, value: Value, ttl: Duration) -> Result<(), PutError> {
        todo!(
            "like put, for {key} = {value} expiring after {ttl:?}; a zero ttl is PutError::ZeroTtl"
        )
    }

    fn remove(&self, key: Key) -> Option<Value> {
        todo!("take {key} out and return its value if it was present and alive")
    }

    fn contains(&self, key: Key) -> bool {
        todo!("whether {key} is present and alive, changing nothing")
    }

    fn len(&self) -> usize {
        todo!("the number of live entries, never more than the capacity")
    }
}

/// This solution's conformance suite: every criterion of the rubric, bound to the types above.
/// `cargo test` and `kata grade` run it; leave it as it is.
pub fn suite() -> Vec<crate::grading::Check> {
    super::conformance::suite::<Lru, Shared, Loading, Smart>()
}
