//! [`Lru`]: an exact LRU map with per-entry expiry, single-threaded, O(1) per operation plus
//! O(log n) for entries that carry a time-to-live.
//!
//! Entries live in a slab (`Vec<Node>`) threaded into a doubly linked recency list by index —
//! the intrusive list of the textbook, without `unsafe` or `Rc<RefCell<…>>`. A hash map finds a
//! key's node; freed nodes go on a free list, so the slab never grows past the capacity.
//! Entries with a deadline are also indexed by `(deadline, key)` in an ordered set, so every
//! call first drops whatever has expired: expired entries never take room, and `len` is exact.

use super::super::{ConfigError, Key, PutError, Value};
use foldhash::fast::RandomState;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

/// No node: the end of the recency list.
const NIL: usize = usize::MAX;

#[derive(Debug, Clone)]
struct Node {
    key: Key,
    value: Value,
    /// Clock reading (ns) from which the entry is expired; `None` never expires.
    deadline: Option<u64>,
    /// Towards the most recently used end.
    newer: usize,
    /// Towards the least recently used end.
    older: usize,
}

/// An exact LRU map with expiry. Time is passed in by the caller (a clock reading in ns).
#[derive(Debug)]
pub struct Lru {
    capacity: usize,
    nodes: Vec<Node>,
    free: Vec<usize>,
    index: HashMap<Key, usize, RandomState>,
    /// `(deadline, key)` of every entry that can expire.
    expiries: BTreeSet<(u64, Key)>,
    /// Most recently used node, or `NIL`.
    newest: usize,
    /// Least recently used node, or `NIL`.
    oldest: usize,
}

/// The reading from which an entry put at `now` with `ttl` is expired; `None` when the sum does
/// not fit (rule `cache/ttl-saturates`: it never expires).
pub(super) fn deadline(now: u64, ttl: Duration) -> Result<Option<u64>, PutError> {
    if ttl.is_zero() {
        return Err(PutError::ZeroTtl);
    }
    Ok(u64::try_from(ttl.as_nanos())
        .ok()
        .and_then(|ttl| now.checked_add(ttl)))
}

impl Lru {
    /// An empty map of `capacity` entries.
    ///
    /// # Errors
    /// [`ConfigError::ZeroCapacity`] for a capacity of 0.
    pub fn new(capacity: usize) -> Result<Self, ConfigError> {
        if capacity == 0 {
            return Err(ConfigError::ZeroCapacity);
        }
        // Reserve lazily: a cache of a billion entries should not allocate them up front.
        Ok(Self {
            capacity,
            nodes: Vec::new(),
            free: Vec::new(),
            index: HashMap::default(),
            expiries: BTreeSet::new(),
            newest: NIL,
            oldest: NIL,
        })
    }

    /// The value of `key`, if alive at `now`; a hit becomes the most recently used.
    pub fn get(&mut self, key: Key, now: u64) -> Option<Value> {
        self.expire(now);
        let i = *self.index.get(&key)?;
        self.unlink(i);
        self.push_newest(i);
        Some(self.nodes[i].value)
    }

    /// Stores `value` under `key` with `deadline`, as the most recently used entry.
    pub fn put(&mut self, key: Key, value: Value, deadline: Option<u64>, now: u64) {
        self.expire(now);
        if let Some(&i) = self.index.get(&key) {
            let node = &mut self.nodes[i];
            if let Some(old) = node.deadline {
                self.expiries.remove(&(old, key));
            }
            node.value = value;
            node.deadline = deadline;
            if let Some(d) = deadline {
                self.expiries.insert((d, key));
            }
            self.unlink(i);
            self.push_newest(i);
            return;
        }
        if self.index.len() == self.capacity {
            self.detach(self.oldest);
        }
        let node = Node {
            key,
            value,
            deadline,
            newer: NIL,
            older: NIL,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.nodes[i] = node;
                i
            }
            None => {
                self.nodes.push(node);
                self.nodes.len() - 1
            }
        };
        self.index.insert(key, i);
        if let Some(d) = deadline {
            self.expiries.insert((d, key));
        }
        self.push_newest(i);
    }

    /// Removes `key`, returning its value if it was alive at `now`.
    pub fn remove(&mut self, key: Key, now: u64) -> Option<Value> {
        self.expire(now);
        let i = *self.index.get(&key)?;
        Some(self.detach(i))
    }

    /// Whether `key` is alive at `now`; touches no recency.
    pub fn contains(&mut self, key: Key, now: u64) -> bool {
        self.expire(now);
        self.index.contains_key(&key)
    }

    /// Live entries at `now`.
    pub fn len(&mut self, now: u64) -> usize {
        self.expire(now);
        self.index.len()
    }

    /// Whether no entry is alive at `now`.
    pub fn is_empty(&mut self, now: u64) -> bool {
        self.len(now) == 0
    }

    /// Drops every entry whose deadline is at or before `now` (rule `cache/ttl-boundary`: gone
    /// at exactly `inserted + ttl`).
    fn expire(&mut self, now: u64) {
        while self.expiries.first().is_some_and(|&(d, _)| d <= now) {
            if let Some((_, key)) = self.expiries.pop_first()
                && let Some(&i) = self.index.get(&key)
            {
                self.detach(i);
            }
        }
    }

    /// Takes node `i` out of the list, the index and the expiry set; returns its value.
    fn detach(&mut self, i: usize) -> Value {
        self.unlink(i);
        let node = &self.nodes[i];
        let (key, value, deadline) = (node.key, node.value, node.deadline);
        self.index.remove(&key);
        if let Some(d) = deadline {
            self.expiries.remove(&(d, key));
        }
        self.free.push(i);
        value
    }

    fn unlink(&mut self, i: usize) {
        let (newer, older) = (self.nodes[i].newer, self.nodes[i].older);
        match newer {
            NIL => self.newest = older,
            n => self.nodes[n].older = older,
        }
        match older {
            NIL => self.oldest = newer,
            o => self.nodes[o].newer = newer,
        }
        self.nodes[i].newer = NIL;
        self.nodes[i].older = NIL;
    }

    fn push_newest(&mut self, i: usize) {
        self.nodes[i].older = self.newest;
        self.nodes[i].newer = NIL;
        match self.newest {
            NIL => self.oldest = i,
            n => self.nodes[n].newer = i,
        }
        self.newest = i;
    }
}
