//! Helpers for concurrency criteria: gate threads released together by a barrier.
//!
//! A race shows itself only when two threads are inside the window at once. Releasing every
//! thread from one [`Barrier`] lines them up at the window's entrance; the checks then repeat
//! rounds until a known racy solution is caught on every run, also on one CPU (where the
//! scheduler rarely preempts a thread mid-window, so the checks also read time through a
//! [`YieldingClock`](crate::clock::YieldingClock)).

use std::panic;
use std::sync::Barrier;

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
                    super::quiet::mark_current_thread();
                    barrier.wait();
                    panic::catch_unwind(panic::AssertUnwindSafe(|| work(i)))
                        .map_err(|payload| (payload, super::quiet::take_location()))
                })
            })
            .collect();
        let mut results = Vec::with_capacity(threads);
        let mut first_panic = None;
        for h in handles {
            match h.join() {
                Ok(Ok(v)) => results.push(v),
                Ok(Err(caught)) => {
                    first_panic.get_or_insert(caught);
                }
                // The worker caught its own panic; only a panic while unwinding lands here.
                Err(payload) => {
                    first_panic.get_or_insert((payload, None));
                }
            }
        }
        if let Some((payload, location)) = first_panic {
            super::quiet::set_location(location);
            panic::resume_unwind(payload);
        }
        results
    })
}
