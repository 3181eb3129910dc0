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

/// What happened in [`race_while_held`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interleaving {
    /// `first` read no clock (or finished before it could be held): the calls ran one after
    /// the other.
    FirstNotHeld,
    /// `second` completed while `first` was held inside the clock, after its reading.
    SecondInsideFirst,
    /// `second` did not complete within the patience while `first` was held (it waits for
    /// something `first` holds); `first` was let go and both completed after.
    SecondWaited,
}

impl Interleaving {
    /// How the interleaving reads in a failure message.
    pub fn describe(self) -> &'static str {
        match self {
            Self::FirstNotHeld => "the first call read no clock to be held in: one after the other",
            Self::SecondInsideFirst => {
                "the second call completed while the first was held inside clock.now()"
            }
            Self::SecondWaited => "the second call waited for the first (which was then let go)",
        }
    }
}

/// Runs `first` on a thread until it is held inside `clock.now()` — after its reading — then
/// runs `second` on another thread while `first` is held, waits at most `patience` for it, and
/// lets `first` go. Returns both results and the interleaving that happened.
///
/// This drives a check-then-act race whose window holds a clock reading on every run, on any
/// number of CPUs: `first` is stopped inside its window while `second` runs. A correct design
/// either lets `second` complete (nothing of `first`'s is half-done) or makes it wait for a
/// lock `first` holds; the patience then only decides which of those two interleavings the
/// check sees, so a verdict that accepts every correct outcome of both never depends on it.
/// The clock must be armed by the caller; a panic in either call is resumed on the caller.
pub fn race_while_held<C, A, B, FA, FB>(
    clock: &crate::clock::HoldingClock<C>,
    first: FA,
    second: FB,
    patience: std::time::Duration,
) -> (A, B, Interleaving)
where
    C: crate::clock::Clock,
    A: Send,
    B: Send,
    FA: FnOnce() -> A + Send,
    FB: FnOnce() -> B + Send,
{
    let (go, wait_for_go) = std::sync::mpsc::channel::<()>();
    let (done, wait_for_done) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        let a = s.spawn(|| {
            super::quiet::mark_current_thread();
            first()
        });
        let b = s.spawn(move || {
            super::quiet::mark_current_thread();
            let _ = wait_for_go.recv();
            let got = second();
            let _ = done.send(());
            got
        });
        // Wait for `first` to be held, or to finish (or fail) without reading the clock.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut held = false;
        while !a.is_finished() && std::time::Instant::now() < deadline {
            if clock.wait_for_hold(std::time::Duration::from_millis(20)) {
                held = true;
                break;
            }
        }
        if !held {
            // Nobody to hold: `second` must not be held in `first`'s place.
            clock.release();
        }
        let _ = go.send(());
        let interleaving = if !held {
            Interleaving::FirstNotHeld
        } else if wait_for_done.recv_timeout(patience).is_ok() {
            Interleaving::SecondInsideFirst
        } else {
            Interleaving::SecondWaited
        };
        clock.release();
        let a = a.join().unwrap_or_else(|p| panic::resume_unwind(p));
        let b = b.join().unwrap_or_else(|p| panic::resume_unwind(p));
        (a, b, interleaving)
    })
}
