//! The obviously-correct bulkhead the stage 4 checks compare with: a counter, a FIFO list of
//! (id, deadline) and the set of waiters a slot was passed to, in the contract's words.

use std::collections::{BTreeSet, VecDeque};
use std::time::Duration;

/// What the model's `enter` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelEntry {
    /// A slot.
    Slot,
    /// Queued, as waiter `id`.
    Queued(u64),
}

/// The model bulkhead. Every method takes the reading the real one would take.
#[derive(Debug, Clone, Default)]
pub struct BulkheadModel {
    max_concurrent: u32,
    max_queued: u32,
    in_flight: u32,
    queue: VecDeque<(u64, Duration)>,
    handed: BTreeSet<u64>,
    next_id: u64,
}

impl BulkheadModel {
    /// An empty bulkhead with these limits.
    pub fn new(max_concurrent: u32, max_queued: u32) -> Self {
        Self {
            max_concurrent,
            max_queued,
            ..Self::default()
        }
    }

    fn sweep(&mut self, now: Duration) {
        self.queue.retain(|&(_, deadline)| deadline > now);
    }

    /// `enter(deadline)` at `now`.
    pub fn enter(
        &mut self,
        deadline: Duration,
        now: Duration,
    ) -> Result<ModelEntry, super::super::Shed> {
        use super::super::Shed;
        self.sweep(now);
        if self.in_flight < self.max_concurrent && self.queue.is_empty() {
            self.in_flight += 1;
            return Ok(ModelEntry::Slot);
        }
        if self.queue.len() >= self.max_queued as usize {
            return Err(Shed::Full);
        }
        if deadline <= now {
            return Err(Shed::Expired);
        }
        let id = self.next_id;
        self.next_id += 1;
        self.queue.push_back((id, deadline));
        Ok(ModelEntry::Queued(id))
    }

    /// A slot dropped at `now`.
    pub fn release(&mut self, now: Duration) {
        self.sweep(now);
        match self.queue.pop_front() {
            Some((id, _)) => {
                self.handed.insert(id);
            }
            None => self.in_flight -= 1,
        }
    }

    /// `poll` of waiter `id` (deadline `deadline`) at `now`: `Ok(true)` a slot, `Ok(false)`
    /// still queued.
    pub fn poll(
        &mut self,
        id: u64,
        deadline: Duration,
        now: Duration,
    ) -> Result<bool, super::super::Shed> {
        self.sweep(now);
        if self.handed.remove(&id) {
            return Ok(true);
        }
        if deadline <= now {
            return Err(super::super::Shed::Expired);
        }
        Ok(false)
    }

    /// Waiter `id` dropped at `now`.
    pub fn drop_waiter(&mut self, id: u64, now: Duration) {
        if self.handed.remove(&id) {
            self.release(now);
        } else {
            self.queue.retain(|&(i, _)| i != id);
        }
    }

    /// `in_flight()`.
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }

    /// `queued()` at `now`.
    pub fn queued(&mut self, now: Duration) -> u32 {
        self.sweep(now);
        self.queue.len() as u32
    }
}
