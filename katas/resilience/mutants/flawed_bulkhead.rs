//! One plain bulkhead — a counter and a queue behind one mutex — with the bulkhead knobs of
//! [`Flaw`]: each bulkhead mutant switches exactly one on.

use super::super::{Bulkhead, BulkheadConfig, BulkheadConfigError, Entry, Shed, Waiter};
use super::flawed::Flaw;
use crate::clock::Clock;
use parking_lot::Mutex;
use std::collections::{BTreeSet, VecDeque};
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

#[derive(Default)]
struct State {
    in_flight: u32,
    queue: VecDeque<(u64, Duration)>,
    handed: BTreeSet<u64>,
    next_id: u64,
}

/// A bulkhead with one flaw `F`.
pub struct FlawedBulkhead<F> {
    config: BulkheadConfig,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    flaw: PhantomData<F>,
}

impl<F: Flaw> FlawedBulkhead<F> {
    fn sweep(state: &mut State, now: Duration) {
        if !F::DEADLINE_IGNORED {
            state.queue.retain(|&(_, d)| d > now);
        }
    }

    fn release(state: &mut State, now: Duration) {
        Self::sweep(state, now);
        let next = if F::LOST_WAKEUP {
            None
        } else if F::LIFO {
            state.queue.pop_back()
        } else {
            state.queue.pop_front()
        };
        match next {
            Some((id, _)) => {
                state.handed.insert(id);
            }
            None => state.in_flight -= 1,
        }
    }
}

impl<F: Flaw> Bulkhead for FlawedBulkhead<F> {
    type Slot<'a> = FlawedSlot<'a, F>;
    type Waiter<'a> = FlawedWaiter<'a, F>;

    fn new(config: BulkheadConfig, clock: Arc<dyn Clock>) -> Result<Self, BulkheadConfigError> {
        if config.max_concurrent == 0 {
            return Err(BulkheadConfigError::NoSlots);
        }
        Ok(Self {
            config,
            clock,
            state: Mutex::new(State::default()),
            flaw: PhantomData,
        })
    }

    fn enter(
        &self,
        deadline: Duration,
    ) -> Result<Entry<FlawedSlot<'_, F>, FlawedWaiter<'_, F>>, Shed> {
        let now = self.clock.now();
        let mut state = self.state.lock();
        Self::sweep(&mut state, now);
        // The lost-wake-up flaw frees slots while calls wait: a free slot is taken whoever waits.
        let nobody_waits = state.queue.is_empty() || F::LOST_WAKEUP;
        if state.in_flight < self.config.max_concurrent && nobody_waits {
            if F::SLOT_CHECKED_APART {
                drop(state);
                let _started = self.clock.now();
                self.state.lock().in_flight += 1;
            } else {
                state.in_flight += 1;
            }
            return Ok(Entry::Slot(FlawedSlot { bulkhead: self }));
        }
        if state.queue.len() >= self.config.max_queued as usize && !F::UNBOUNDED_QUEUE {
            return Err(Shed::Full);
        }
        if deadline <= now && !F::DEADLINE_IGNORED {
            return Err(Shed::Expired);
        }
        let id = state.next_id;
        state.next_id += 1;
        state.queue.push_back((id, deadline));
        Ok(Entry::Queued(FlawedWaiter {
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
        Self::sweep(&mut state, now);
        state.queue.len() as u32
    }
}

/// The flawed bulkhead's slot.
pub struct FlawedSlot<'a, F: Flaw> {
    bulkhead: &'a FlawedBulkhead<F>,
}

impl<F: Flaw> Drop for FlawedSlot<'_, F> {
    fn drop(&mut self) {
        let now = self.bulkhead.clock.now();
        FlawedBulkhead::<F>::release(&mut self.bulkhead.state.lock(), now);
    }
}

/// The flawed bulkhead's waiter.
pub struct FlawedWaiter<'a, F: Flaw> {
    bulkhead: &'a FlawedBulkhead<F>,
    id: u64,
    deadline: Duration,
    done: bool,
}

impl<'a, F: Flaw> Waiter for FlawedWaiter<'a, F> {
    type Slot = FlawedSlot<'a, F>;

    fn poll(mut self) -> Result<Entry<FlawedSlot<'a, F>, Self>, Shed> {
        let now = self.bulkhead.clock.now();
        let mut state = self.bulkhead.state.lock();
        FlawedBulkhead::<F>::sweep(&mut state, now);
        if state.handed.remove(&self.id) {
            self.done = true;
            return Ok(Entry::Slot(FlawedSlot {
                bulkhead: self.bulkhead,
            }));
        }
        if self.deadline <= now && !F::DEADLINE_IGNORED {
            self.done = true;
            return Err(Shed::Expired);
        }
        drop(state);
        Ok(Entry::Queued(self))
    }
}

impl<F: Flaw> Drop for FlawedWaiter<'_, F> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let now = self.bulkhead.clock.now();
        let mut state = self.bulkhead.state.lock();
        if state.handed.remove(&self.id) {
            FlawedBulkhead::<F>::release(&mut state, now);
        } else {
            state.queue.retain(|&(id, _)| id != self.id);
        }
    }
}
