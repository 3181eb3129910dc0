//! The model answer for the bulkhead: one mutex around a counter and a FIFO queue.
//!
//! A released slot is *passed* to the head waiter inside the same critical section that
//! releases it — the in-flight count does not even change — so no other call can slip into the
//! gap, and no waiter can miss its turn: there is no "wake up and race for it" step to lose.
//! Overdue waiters are swept out of the queue at every clock reading, so a waiter whose deadline
//! has passed never holds a place another call could have had.

use super::super::{
    Bulkhead as BulkheadTrait, BulkheadConfig, BulkheadConfigError, Entry, Shed,
    Waiter as WaiterTrait,
};
use crate::clock::Clock;
use parking_lot::Mutex;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

/// The reference bulkhead.
pub struct Bulkhead {
    config: BulkheadConfig,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Slots held, plus slots passed to a waiter that has not polled yet.
    in_flight: u32,
    /// Waiting calls, oldest first: (id, deadline).
    queue: VecDeque<(u64, Duration)>,
    /// Waiters a slot has been passed to.
    handed: HashSet<u64>,
    next_id: u64,
}

impl State {
    /// Removes every waiter whose deadline is at or before `now`.
    fn sweep(&mut self, now: Duration) {
        self.queue.retain(|&(_, deadline)| deadline > now);
    }

    /// One slot released: passed to the head waiter, or freed.
    fn release(&mut self, now: Duration) {
        self.sweep(now);
        match self.queue.pop_front() {
            Some((id, _)) => {
                self.handed.insert(id);
            }
            None => self.in_flight -= 1,
        }
    }
}

impl BulkheadTrait for Bulkhead {
    type Slot<'a> = Slot<'a>;
    type Waiter<'a> = Waiter<'a>;

    fn new(config: BulkheadConfig, clock: Arc<dyn Clock>) -> Result<Self, BulkheadConfigError> {
        if config.max_concurrent == 0 {
            return Err(BulkheadConfigError::NoSlots);
        }
        Ok(Self {
            config,
            clock,
            state: Mutex::new(State::default()),
        })
    }

    fn enter(&self, deadline: Duration) -> Result<Entry<Slot<'_>, Waiter<'_>>, Shed> {
        let now = self.clock.now();
        let mut state = self.state.lock();
        state.sweep(now);
        if state.in_flight < self.config.max_concurrent && state.queue.is_empty() {
            state.in_flight += 1;
            return Ok(Entry::Slot(Slot { bulkhead: self }));
        }
        if state.queue.len() >= self.config.max_queued as usize {
            return Err(Shed::Full);
        }
        if deadline <= now {
            return Err(Shed::Expired);
        }
        let id = state.next_id;
        state.next_id += 1;
        state.queue.push_back((id, deadline));
        Ok(Entry::Queued(Waiter {
            bulkhead: self,
            id,
            deadline,
            done: false,
        }))
    }

    fn in_flight(&self) -> u32 {
        self.state.lock().in_flight
    }

    fn queued(&self) -> u32 {
        let now = self.clock.now();
        let mut state = self.state.lock();
        state.sweep(now);
        u32::try_from(state.queue.len()).unwrap_or(u32::MAX)
    }
}

/// A running call's slot in the reference bulkhead.
pub struct Slot<'a> {
    bulkhead: &'a Bulkhead,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let now = self.bulkhead.clock.now();
        self.bulkhead.state.lock().release(now);
    }
}

/// A waiting call in the reference bulkhead.
pub struct Waiter<'a> {
    bulkhead: &'a Bulkhead,
    id: u64,
    deadline: Duration,
    /// Turned into a slot or expired: nothing left to clean up on drop.
    done: bool,
}

impl<'a> WaiterTrait for Waiter<'a> {
    type Slot = Slot<'a>;

    fn poll(mut self) -> Result<Entry<Slot<'a>, Self>, Shed> {
        let now = self.bulkhead.clock.now();
        let mut state = self.bulkhead.state.lock();
        state.sweep(now);
        if state.handed.remove(&self.id) {
            self.done = true;
            return Ok(Entry::Slot(Slot {
                bulkhead: self.bulkhead,
            }));
        }
        if self.deadline <= now {
            self.done = true;
            return Err(Shed::Expired);
        }
        drop(state);
        Ok(Entry::Queued(self))
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let now = self.bulkhead.clock.now();
        let mut state = self.bulkhead.state.lock();
        if state.handed.remove(&self.id) {
            // A slot was passed to a waiter that left: release it to the next one.
            state.release(now);
        } else {
            state.queue.retain(|&(id, _)| id != self.id);
        }
    }
}
