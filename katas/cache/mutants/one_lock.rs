//! A sharded cache with one more lock around it: correct on every key, but every call on any
//! key waits for the one before it.

use super::*;

/// The reference [`ShardedCache`] behind one cache-wide mutex, taken before the shard's lock
/// and held while the shard reads the clock.
pub struct OneLockForAll {
    whole: Mutex<()>,
    shards: ShardedCache,
}

impl Cache for OneLockForAll {
    fn new(config: CacheConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        Ok(Self {
            whole: Mutex::new(()),
            shards: ShardedCache::new(config, clock)?,
        })
    }

    fn get(&self, key: Key) -> Option<Value> {
        let _whole = self.whole.lock();
        self.shards.get(key)
    }

    fn put(&self, key: Key, value: Value) {
        let _whole = self.whole.lock();
        self.shards.put(key, value);
    }

    fn put_with_ttl(&self, key: Key, value: Value, ttl: Duration) -> Result<(), PutError> {
        let _whole = self.whole.lock();
        self.shards.put_with_ttl(key, value, ttl)
    }

    fn remove(&self, key: Key) -> Option<Value> {
        let _whole = self.whole.lock();
        self.shards.remove(key)
    }

    fn contains(&self, key: Key) -> bool {
        let _whole = self.whole.lock();
        self.shards.contains(key)
    }

    fn len(&self) -> usize {
        let _whole = self.whole.lock();
        self.shards.len()
    }
}
