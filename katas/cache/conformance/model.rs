//! The obviously-correct model the checks compare with: a vector of entries ordered from least
//! to most recently used, scanned on every call. Slow, and easy to believe.

use super::super::{Key, Value};

/// One entry of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    key: Key,
    value: Value,
    /// Clock reading (ns) from which the entry is expired; `None` never expires.
    deadline: Option<u64>,
}

/// An exact LRU cache with expiry, as the contract states it.
#[derive(Debug, Clone)]
pub struct Model {
    capacity: usize,
    /// Least recently used first.
    entries: Vec<Entry>,
}

impl Model {
    /// An empty model of `capacity` (≥ 1) entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Vec::new(),
        }
    }

    /// Drops what is expired at `now` (gone at exactly `inserted + ttl`).
    fn expire(&mut self, now: u64) {
        self.entries
            .retain(|e| e.deadline.is_none_or(|deadline| now < deadline));
    }

    fn position(&self, key: Key) -> Option<usize> {
        self.entries.iter().position(|e| e.key == key)
    }

    /// `get` at `now`.
    pub fn get(&mut self, key: Key, now: u64) -> Option<Value> {
        self.expire(now);
        let i = self.position(key)?;
        let e = self.entries.remove(i);
        self.entries.push(e);
        Some(e.value)
    }

    /// `put` (`ttl_ns` = `None`) or `put_with_ttl` (a non-zero `ttl_ns`) at `now`.
    pub fn put(&mut self, key: Key, value: Value, ttl_ns: Option<u64>, now: u64) {
        self.expire(now);
        let deadline = ttl_ns.and_then(|t| now.checked_add(t));
        if let Some(i) = self.position(key) {
            self.entries.remove(i);
        } else if self.entries.len() == self.capacity {
            self.entries.remove(0);
        }
        self.entries.push(Entry {
            key,
            value,
            deadline,
        });
    }

    /// `remove` at `now`.
    pub fn remove(&mut self, key: Key, now: u64) -> Option<Value> {
        self.expire(now);
        let i = self.position(key)?;
        Some(self.entries.remove(i).value)
    }

    /// `contains` at `now`.
    pub fn contains(&mut self, key: Key, now: u64) -> bool {
        self.expire(now);
        self.position(key).is_some()
    }

    /// `len` at `now`.
    pub fn len(&mut self, now: u64) -> usize {
        self.expire(now);
        self.entries.len()
    }

    /// Live keys at `now`, least recently used first.
    pub fn keys(&mut self, now: u64) -> Vec<Key> {
        self.expire(now);
        self.entries.iter().map(|e| e.key).collect()
    }
}
