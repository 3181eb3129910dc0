//! [`ShardedCache`]: the stage-3 answer. Keys are spread over independently locked shards, each
//! an exact [`Lru`], so threads working on different keys rarely meet on a lock.
//!
//! The price is the recency order: each shard evicts its own least recently used entry, so the
//! cache may evict before it is full (rule `cache/shared-capacity` allows it). The capacity is
//! split so that the shards' capacities add up to exactly the cache's: it is never exceeded.
//! Each operation reads the clock first and then locks exactly one shard, so it is
//! linearizable per key; `len` adds up the shards one at a time.

use super::super::{Cache, CacheConfig, ConfigError, Key, PutError, Value};
use super::Lru;
use super::core::deadline;
use crate::clock::Clock;
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;

/// At most this many shards; fewer for small capacities, so every shard holds at least
/// [`MIN_SHARD_CAPACITY`] entries and a tiny cache stays (almost) exact.
const MAX_SHARDS: usize = 16;
const MIN_SHARD_CAPACITY: usize = 64;

/// A cache of independently locked LRU shards.
pub struct ShardedCache {
    shards: Box<[Mutex<Lru>]>,
    clock: Arc<dyn Clock>,
}

impl ShardedCache {
    fn shard(&self, key: Key) -> &Mutex<Lru> {
        // Fibonacci hashing: the high bits of a multiplicative hash spread sequential keys.
        let h = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let n = self.shards.len() as u64;
        // Multiply-shift instead of `%`: maps the 64-bit hash onto 0..n without a division.
        let i = ((u128::from(h) * u128::from(n)) >> 64) as usize;
        &self.shards[i]
    }
}

impl Cache for ShardedCache {
    fn new(config: CacheConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let capacity = config.capacity;
        if capacity == 0 {
            return Err(ConfigError::ZeroCapacity);
        }
        let n = (capacity / MIN_SHARD_CAPACITY).clamp(1, MAX_SHARDS);
        // The first `capacity % n` shards take one entry more: the sum is exactly `capacity`.
        let shards = (0..n)
            .map(|i| {
                let cap = capacity / n + usize::from(i < capacity % n);
                Lru::new(cap).map(Mutex::new)
            })
            .collect::<Result<Box<[_]>, _>>()?;
        Ok(Self { shards, clock })
    }

    fn get(&self, key: Key) -> Option<Value> {
        let now = self.clock.now_nanos();
        self.shard(key).lock().get(key, now)
    }

    fn put(&self, key: Key, value: Value) {
        let now = self.clock.now_nanos();
        self.shard(key).lock().put(key, value, None, now);
    }

    fn put_with_ttl(&self, key: Key, value: Value, ttl: Duration) -> Result<(), PutError> {
        let now = self.clock.now_nanos();
        let deadline = deadline(now, ttl)?;
        self.shard(key).lock().put(key, value, deadline, now);
        Ok(())
    }

    fn remove(&self, key: Key) -> Option<Value> {
        let now = self.clock.now_nanos();
        self.shard(key).lock().remove(key, now)
    }

    fn contains(&self, key: Key) -> bool {
        let now = self.clock.now_nanos();
        self.shard(key).lock().contains(key, now)
    }

    fn len(&self) -> usize {
        let now = self.clock.now_nanos();
        self.shards.iter().map(|s| s.lock().len(now)).sum()
    }
}
