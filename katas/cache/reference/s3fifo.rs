//! [`S3FifoCache`]: the stage-5 answer, a scan-resistant cache after S3-FIFO (Yang et al.,
//! SOSP 2023): three FIFO queues instead of one recency list.
//!
//! - **Small** (a thirty-second of the capacity): every new key enters here. Most keys are read once
//!   and leave from here without ever disturbing the rest — which is what makes a scan
//!   harmless.
//! - **Main** (the rest): a key read again while in Small moves here when it reaches Small's
//!   end. Main evicts in FIFO order, but a key read since it last came round gets another lap
//!   (its read count is decremented instead).
//! - **Ghost**: the keys (no values) that recently left Small unread, three for every ten
//!   entries of capacity. A key put again while its ghost is remembered skips Small and goes
//!   straight into Main.
//!
//! The two sizes are tuned on the Zipf traces of `benches/cache.rs`: the paper's tenth for
//! Small and a Main's worth of ghosts cost 0.1–1.0 points of hit ratio there; a smaller Small
//! still passes every scan, because a key read twice leaves it for Main however small it is.
//!
//! A hit only bumps a saturating counter (0..=3): no list is relinked on a read, which is why
//! FIFO queues scale better than LRU under many readers. Removal and expiry leave stale slots
//! in the queues, recognised by a generation number and skipped when they come up; queues are
//! compacted when stale slots outnumber live ones, so memory stays within a constant factor of
//! the capacity.

use super::super::{Cache, CacheConfig, ConfigError, Key, PutError, Value};
use super::core::deadline;
use crate::clock::Clock;
use foldhash::fast::RandomState;
use parking_lot::Mutex;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

/// A read count saturates here.
const MAX_FREQ: u8 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queue {
    Small,
    Main,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    value: Value,
    deadline: Option<u64>,
    freq: u8,
    queue: Queue,
    /// Which queue slot is this entry's: slots of an older generation are stale.
    generation: u64,
}

#[derive(Debug)]
struct S3Fifo {
    capacity: usize,
    small_capacity: usize,
    entries: HashMap<Key, Entry, RandomState>,
    small: VecDeque<(Key, u64)>,
    main: VecDeque<(Key, u64)>,
    small_len: usize,
    main_len: usize,
    ghost: VecDeque<(Key, u64)>,
    ghost_index: HashMap<Key, u64, RandomState>,
    expiries: BTreeSet<(u64, Key)>,
    next_generation: u64,
}

impl S3Fifo {
    fn new(capacity: usize) -> Result<Self, ConfigError> {
        if capacity == 0 {
            return Err(ConfigError::ZeroCapacity);
        }
        Ok(Self {
            capacity,
            small_capacity: (capacity / 32).max(1),
            entries: HashMap::default(),
            small: VecDeque::new(),
            main: VecDeque::new(),
            small_len: 0,
            main_len: 0,
            ghost: VecDeque::new(),
            ghost_index: HashMap::default(),
            expiries: BTreeSet::new(),
            next_generation: 0,
        })
    }

    fn generation(&mut self) -> u64 {
        self.next_generation += 1;
        self.next_generation
    }

    /// Drops every entry expired at `now`.
    fn expire(&mut self, now: u64) {
        while self.expiries.first().is_some_and(|&(d, _)| d <= now) {
            if let Some((_, key)) = self.expiries.pop_first() {
                self.forget(key);
            }
        }
    }

    /// Takes `key` out of the map (its queue slot goes stale); returns its entry.
    fn forget(&mut self, key: Key) -> Option<Entry> {
        let e = self.entries.remove(&key)?;
        if let Some(d) = e.deadline {
            self.expiries.remove(&(d, key));
        }
        match e.queue {
            Queue::Small => self.small_len -= 1,
            Queue::Main => self.main_len -= 1,
        }
        self.compact();
        Some(e)
    }

    /// Whether the slot `(key, generation)` still holds the entry of `queue`.
    fn live_slot(&self, key: Key, generation: u64, queue: Queue) -> bool {
        self.entries
            .get(&key)
            .is_some_and(|e| e.generation == generation && e.queue == queue)
    }

    /// Drops stale slots once they outnumber live ones.
    fn compact(&mut self) {
        let entries = &self.entries;
        let live = |queue: Queue| {
            move |&(k, g): &(Key, u64)| {
                entries
                    .get(&k)
                    .is_some_and(|e| e.generation == g && e.queue == queue)
            }
        };
        if self.small.len() > 2 * self.small_len + 16 {
            self.small.retain(live(Queue::Small));
        }
        if self.main.len() > 2 * self.main_len + 16 {
            self.main.retain(live(Queue::Main));
        }
    }

    fn get(&mut self, key: Key, now: u64) -> Option<Value> {
        self.expire(now);
        let e = self.entries.get_mut(&key)?;
        e.freq = (e.freq + 1).min(MAX_FREQ);
        Some(e.value)
    }

    fn put(&mut self, key: Key, value: Value, deadline: Option<u64>, now: u64) {
        self.expire(now);
        if let Some(e) = self.entries.get_mut(&key) {
            let old = e.deadline;
            e.value = value;
            e.deadline = deadline;
            // Writing a key is a use of it, like a read.
            e.freq = (e.freq + 1).min(MAX_FREQ);
            if let Some(d) = old {
                self.expiries.remove(&(d, key));
            }
            if let Some(d) = deadline {
                self.expiries.insert((d, key));
            }
            return;
        }
        while self.small_len + self.main_len >= self.capacity {
            self.evict();
        }
        let generation = self.generation();
        let queue = if self.ghost_index.remove(&key).is_some() {
            Queue::Main
        } else {
            Queue::Small
        };
        match queue {
            Queue::Small => {
                self.small.push_back((key, generation));
                self.small_len += 1;
            }
            Queue::Main => {
                self.main.push_back((key, generation));
                self.main_len += 1;
            }
        }
        self.entries.insert(
            key,
            Entry {
                value,
                deadline,
                freq: 0,
                queue,
                generation,
            },
        );
        if let Some(d) = deadline {
            self.expiries.insert((d, key));
        }
    }

    /// Frees one slot: from Small while it is over its share (or Main is empty), else from Main.
    fn evict(&mut self) {
        if self.small_len >= self.small_capacity || self.main_len == 0 {
            self.evict_small();
        } else {
            self.evict_main();
        }
    }

    fn evict_small(&mut self) {
        while let Some((key, generation)) = self.small.pop_front() {
            if !self.live_slot(key, generation, Queue::Small) {
                continue;
            }
            let freq = self.entries[&key].freq;
            self.small_len -= 1;
            if freq > 0 && self.capacity > self.small_capacity {
                // Read again while on probation: promote. Main makes room for it first, so
                // the total does not change and at least one slot is freed overall only when
                // Main evicts — loop until a slot really is free.
                if self.main_len >= self.capacity - self.small_capacity {
                    self.evict_main();
                }
                let generation = self.generation();
                if let Some(e) = self.entries.get_mut(&key) {
                    e.queue = Queue::Main;
                    e.freq = 0;
                    e.generation = generation;
                }
                self.main.push_back((key, generation));
                self.main_len += 1;
                if self.small_len + self.main_len < self.capacity {
                    return;
                }
                continue;
            }
            if let Some(e) = self.entries.remove(&key)
                && let Some(d) = e.deadline
            {
                self.expiries.remove(&(d, key));
            }
            self.remember_ghost(key);
            return;
        }
        // Small held only stale slots.
        self.small_len = 0;
        if self.main_len > 0 {
            self.evict_main();
        }
    }

    fn evict_main(&mut self) {
        while let Some((key, generation)) = self.main.pop_front() {
            if !self.live_slot(key, generation, Queue::Main) {
                continue;
            }
            let e = self.entries.get_mut(&key).expect("live slot");
            if e.freq > 0 {
                // Used since its last lap: another lap, one use fewer.
                e.freq -= 1;
                self.main.push_back((key, generation));
                continue;
            }
            if let Some(d) = e.deadline {
                self.expiries.remove(&(d, key));
            }
            self.entries.remove(&key);
            self.main_len -= 1;
            return;
        }
        self.main_len = 0;
    }

    fn remember_ghost(&mut self, key: Key) {
        let generation = self.generation();
        self.ghost.push_back((key, generation));
        self.ghost_index.insert(key, generation);
        // Three ghosts for every ten entries: enough to recognise a key that comes back soon,
        // few enough that one-off keys are forgotten before they crowd Main.
        let limit = (self.capacity / 10 * 3).max(1);
        while self.ghost_index.len() > limit || self.ghost.len() > 2 * limit + 16 {
            let Some((k, g)) = self.ghost.pop_front() else {
                break;
            };
            if self.ghost_index.get(&k) == Some(&g) {
                self.ghost_index.remove(&k);
            }
        }
    }

    fn remove(&mut self, key: Key, now: u64) -> Option<Value> {
        self.expire(now);
        self.forget(key).map(|e| e.value)
    }

    fn contains(&mut self, key: Key, now: u64) -> bool {
        self.expire(now);
        self.entries.contains_key(&key)
    }

    fn len(&mut self, now: u64) -> usize {
        self.expire(now);
        self.entries.len()
    }
}

/// A scan-resistant cache (S3-FIFO) behind one mutex.
pub struct S3FifoCache {
    inner: Mutex<S3Fifo>,
    clock: Arc<dyn Clock>,
}

impl Cache for S3FifoCache {
    fn new(config: CacheConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        Ok(Self {
            inner: Mutex::new(S3Fifo::new(config.capacity)?),
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
        let deadline = deadline(now, ttl)?;
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
