//! The model answers: [`LruCache`], an exact LRU behind one mutex (stages 1–2),
//! [`ShardedCache`], the same core split into independently locked shards (stage 3), and
//! [`LoadingLru`], a read-through cache with single flight (stage 4), and [`S3FifoCache`], a
//! scan-resistant cache after S3-FIFO (stage 5).
//!
//! Both are built on [`Lru`], a single-threaded exact LRU with expiry, written once.

mod core;
mod loading;
mod s3fifo;
mod sharded;

pub use core::Lru;
pub use loading::LoadingLru;
pub use s3fifo::S3FifoCache;
pub use sharded::ShardedCache;

use super::{Cache, CacheConfig, ConfigError, Key, PutError, Value};
use crate::clock::Clock;
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;

/// An exact LRU cache with expiry: one [`Lru`] behind one mutex.
///
/// The clock is read before the lock is taken, so a slow clock never lengthens the critical
/// section; the reading then stands for the instant of the call.
pub struct LruCache {
    inner: Mutex<Lru>,
    clock: Arc<dyn Clock>,
}

impl Cache for LruCache {
    fn new(config: CacheConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        Ok(Self {
            inner: Mutex::new(Lru::new(config.capacity)?),
            clock,
        })
    }

    fn get(&self, key: Key) -> Option<Value> {
        let now = self.clock.now_nanos();
        self.inner.lock().get(key, now)
    }

    fn put(&self, key: Key, value: Value) {
        let now = self.clock.now_nanos();
        self.inner.lock().put(key, value, None, now);
    }

    fn put_with_ttl(&self, key: Key, value: Value, ttl: Duration) -> Result<(), PutError> {
        let now = self.clock.now_nanos();
        let deadline = core::deadline(now, ttl)?;
        self.inner.lock().put(key, value, deadline, now);
        Ok(())
    }

    fn remove(&self, key: Key) -> Option<Value> {
        let now = self.clock.now_nanos();
        self.inner.lock().remove(key, now)
    }

    fn contains(&self, key: Key) -> bool {
        let now = self.clock.now_nanos();
        self.inner.lock().contains(key, now)
    }

    fn len(&self) -> usize {
        let now = self.clock.now_nanos();
        self.inner.lock().len(now)
    }
}
