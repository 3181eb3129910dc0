//! Helpers for concurrency criteria: gate threads released together by a barrier.
//!
//! A race shows itself only when two threads are inside the window at once. Releasing every
//! thread from one [`Barrier`] lines them up at the window's entrance; the checks then repeat
//! rounds until a known racy solution is caught on every run, also on one CPU (where the
//! scheduler rarely preempts a thread mid-window, so the checks also read time through a
//! [`YieldingClock`](crate::clock::YieldingClock)).

use std::panic;
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Runs `work(thread_index)` on `threads` scoped threads released at the same instant, and
/// returns their results in thread order.
///
/// If a thread panics, the panic is resumed on the caller with its original payload, so a
/// `todo!()` inside a worker still reads as `not_implemented`.
pub fn run_gated<T, F>(threads: usize, work: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize) -> T + Sync,
{
    let barrier = Barrier::new(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let barrier = &barrier;
                let work = &work;
                scope.spawn(move || {
                    barrier.wait();
                    work(i)
                })
            })
            .collect();
        let mut results = Vec::with_capacity(threads);
        let mut first_panic = None;
        for h in handles {
            match h.join() {
                Ok(v) => results.push(v),
                Err(payload) => {
                    first_panic.get_or_insert(payload);
                }
            }
        }
        if let Some(payload) = first_panic {
            panic::resume_unwind(payload);
        }
        results
    })
}

/// A barrier for lining threads up before *every* operation, not just once per round.
///
/// Waiting spins briefly, then yields, so threads leave it within nanoseconds of each other on a
/// multi-core machine — which is what puts two of them inside a short race window at once. Any
/// thread can [`abandon`](SpinBarrier::abandon) it (say, because the solution panicked), which
/// releases every waiter for good, so a failure never turns into a hang.
#[derive(Debug)]
pub struct SpinBarrier {
    parties: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
    abandoned: AtomicBool,
}

impl SpinBarrier {
    /// A barrier for `parties` threads.
    pub fn new(parties: usize) -> Self {
        Self {
            parties: parties.max(1),
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            abandoned: AtomicBool::new(false),
        }
    }

    /// Waits until every party has arrived. Returns `false` once the barrier is abandoned.
    pub fn wait(&self) -> bool {
        if self.abandoned.load(Ordering::Acquire) {
            return false;
        }
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.parties {
            // Reset before publishing the new generation, so early arrivals of the next round
            // count from zero.
            self.arrived.store(0, Ordering::Release);
            self.generation.fetch_add(1, Ordering::AcqRel);
            return true;
        }
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == generation {
            if self.abandoned.load(Ordering::Acquire) {
                return false;
            }
            if spins < 2_000 {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
        true
    }

    /// Releases every current and future waiter.
    pub fn abandon(&self) {
        self.abandoned.store(true, Ordering::Release);
    }
}

/// Runs `op` under `catch_unwind`; on a panic, abandons `barrier` and resumes the panic.
pub fn or_abandon<T>(barrier: &SpinBarrier, op: impl FnOnce() -> T) -> T {
    match panic::catch_unwind(panic::AssertUnwindSafe(op)) {
        Ok(v) => v,
        Err(payload) => {
            barrier.abandon();
            panic::resume_unwind(payload)
        }
    }
}
