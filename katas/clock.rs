//! Injected time.
//!
//! Every kata that reads time takes a [`Clock`]. A clock answers one question, "how much time has
//! passed since your origin?", as a [`Duration`] with nanosecond resolution. The origin is
//! arbitrary: only differences between two readings mean anything.
//!
//! Solutions never call [`std::time::Instant::now`] themselves. That single rule is what makes
//! every time-dependent property testable without sleeping:
//!
//! - [`ManualClock`] is the test clock. Tests move it forwards, and also *backwards*, to prove
//!   that a solution survives a clock that misbehaves (NTP steps, VM migration, a bug elsewhere).
//! - [`SystemClock`] is real monotonic time, for production use and benches.
//! - [`YieldingClock`] wraps a clock and sometimes yields the calling thread while it is being
//!   read. Concurrency checks use it to widen race windows: a solution that reads shared state,
//!   then the clock, then writes the state back is preempted right inside its race, even on a
//!   machine with a single CPU.
//! - [`HoldingClock`] wraps a clock and, once armed, holds the first thread that reads it —
//!   after it has taken its reading — until the test releases it or a bounded wait passes.
//!   Concurrency checks use it to let another call complete while a reading ages: a solution
//!   that decides on a reading older than the state it meets is caught deterministically, and
//!   one whose lock the held thread owns simply makes the other call wait.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// A source of monotonic-ish time with nanosecond resolution and an arbitrary origin.
///
/// `now` is expected to move forwards, but a robust solution must not panic, overflow or mint
/// resources when it does not: tests wind [`ManualClock`] backwards on purpose.
pub trait Clock: Send + Sync {
    /// Time elapsed since this clock's origin.
    fn now(&self) -> Duration;

    /// [`now`](Clock::now) in whole nanoseconds, saturating at `u64::MAX` (584 years).
    ///
    /// The same reading, for code that computes in integer nanoseconds and reads the clock on
    /// every request (a rate limiter's hot path): a clock that counts nanoseconds overrides it
    /// and skips building a `Duration` only to take it apart again.
    fn now_nanos(&self) -> u64 {
        saturating_nanos(self.now())
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Duration {
        (**self).now()
    }

    fn now_nanos(&self) -> u64 {
        (**self).now_nanos()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Duration {
        (**self).now()
    }

    fn now_nanos(&self) -> u64 {
        (**self).now_nanos()
    }
}

/// Real monotonic time, measured from the moment the clock was created.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A clock that only moves when told to. Cheap to clone: clones share one reading.
///
/// Time is stored as whole nanoseconds in a `u64`, so it spans about 584 years from the origin;
/// moves past either end saturate instead of wrapping.
///
/// ```
/// use lld_katas::clock::{Clock, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(clock.now(), Duration::from_secs(2));
/// clock.rewind(Duration::from_secs(5)); // saturates at the origin
/// assert_eq!(clock.now(), Duration::ZERO);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at its origin.
    pub fn new() -> Self {
        Self::default()
    }

    /// A clock standing at `at`.
    pub fn starting_at(at: Duration) -> Self {
        let clock = Self::new();
        clock.set(at);
        clock
    }

    /// Jumps to `at`, forwards or backwards.
    pub fn set(&self, at: Duration) {
        self.nanos.store(saturating_nanos(at), Ordering::SeqCst);
    }

    /// Moves forwards by `by` (saturating).
    pub fn advance(&self, by: Duration) {
        let by = saturating_nanos(by);
        // fetch_update never fails with a closure that always returns Some.
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(by))
            });
    }

    /// Moves backwards by `by` (saturating at the origin).
    pub fn rewind(&self, by: Duration) {
        let by = saturating_nanos(by);
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_sub(by))
            });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.now_nanos())
    }

    fn now_nanos(&self) -> u64 {
        self.nanos.load(Ordering::SeqCst)
    }
}

fn saturating_nanos(d: Duration) -> u64 {
    // 64-bit arithmetic: cheaper than going through the `u128` of `Duration::as_nanos`.
    d.as_secs()
        .checked_mul(1_000_000_000)
        .and_then(|ns| ns.checked_add(u64::from(d.subsec_nanos())))
        .unwrap_or(u64::MAX)
}

/// Wraps a clock and, on roughly one read in `1 / ratio`, yields the reading thread first.
///
/// Yielding is decided by a cheap deterministic hash of a per-clock read counter, so there is no
/// hidden source of randomness: the seed chooses which reads yield.
#[derive(Debug)]
pub struct YieldingClock<C> {
    inner: C,
    seed: u64,
    reads: AtomicU64,
    /// Yield when `hash % every == 0`.
    every: u64,
}

impl<C: Clock> YieldingClock<C> {
    /// Yields on about one read in `every` (`every` = 1 yields on every read).
    pub fn new(inner: C, seed: u64, every: u64) -> Self {
        Self {
            inner,
            seed,
            reads: AtomicU64::new(0),
            every: every.max(1),
        }
    }
}

impl<C: Clock> Clock for YieldingClock<C> {
    fn now(&self) -> Duration {
        let read = self.reads.fetch_add(1, Ordering::Relaxed);
        if mix(self.seed ^ read).is_multiple_of(self.every) {
            std::thread::yield_now();
        }
        let now = self.inner.now();
        // Yield on the way out too: the window a racy solution leaves open is usually *after*
        // it has read the clock and *before* it writes its state back.
        if mix(self.seed.rotate_left(17) ^ read).is_multiple_of(self.every) {
            std::thread::yield_now();
        }
        now
    }
}

/// Wraps a clock; once [armed](HoldingClock::arm), holds the next thread that reads it, after
/// it has taken its reading and before `now` returns, until [`release`](HoldingClock::release)
/// or a bounded wait passes. Every reading is recorded with the thread that took it.
///
/// The wait is bounded so that a test can never hang on it: it may decide which interleaving
/// a test observes, never whether a correct solution passes.
///
/// ```
/// use lld_katas::clock::{Clock, HoldingClock, ManualClock};
/// use std::time::Duration;
///
/// let manual = ManualClock::new();
/// let clock = HoldingClock::new(manual.clone());
/// clock.arm(Duration::from_secs(5));
/// std::thread::scope(|s| {
///     let held = s.spawn(|| clock.now());
///     assert!(clock.wait_for_hold(Duration::from_secs(5)));
///     manual.advance(Duration::from_nanos(7)); // time passes while the reader is held
///     clock.release();
///     assert_eq!(held.join().unwrap(), Duration::ZERO, "the reading was taken before the hold");
/// });
/// assert_eq!(clock.readings().len(), 1);
/// ```
#[derive(Debug)]
pub struct HoldingClock<C> {
    inner: C,
    state: Mutex<Hold>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Hold {
    /// The longest the next reader is held, when armed.
    armed: Option<Duration>,
    /// The thread being held (or that was held last).
    held: Option<ThreadId>,
    /// Whether the held thread has been let go.
    released: bool,
    /// Every reading, in the order taken.
    readings: Vec<(ThreadId, Duration)>,
}

impl<C: Clock> HoldingClock<C> {
    /// A clock that reads `inner` and holds nobody until armed.
    pub fn new(inner: C) -> Self {
        Self {
            inner,
            state: Mutex::new(Hold::default()),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Hold> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Holds the next thread that reads the clock for at most `at_most`, and forgets the
    /// readings taken so far.
    pub fn arm(&self, at_most: Duration) {
        let mut hold = self.lock();
        *hold = Hold {
            armed: Some(at_most),
            ..Hold::default()
        };
    }

    /// Waits (at most `patience`) until a reader is being held; false if none was by then, or
    /// if it was already let go.
    pub fn wait_for_hold(&self, patience: Duration) -> bool {
        let hold = self.lock();
        let (hold, _) = self
            .changed
            .wait_timeout_while(hold, patience, |h| h.held.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        hold.held.is_some() && !hold.released
    }

    /// Waits (at most `patience`) until at least `count` readings have been taken since
    /// [`arm`](Self::arm); returns whether they were.
    pub fn wait_for_readings(&self, count: usize, patience: Duration) -> bool {
        let hold = self.lock();
        let (hold, _) = self
            .changed
            .wait_timeout_while(hold, patience, |h| h.readings.len() < count)
            .unwrap_or_else(PoisonError::into_inner);
        hold.readings.len() >= count
    }

    /// Lets the held thread go (if any) and disarms the clock.
    pub fn release(&self) {
        let mut hold = self.lock();
        hold.armed = None;
        hold.released = true;
        self.changed.notify_all();
    }

    /// Every reading taken since [`arm`](Self::arm), with the thread that took it.
    pub fn readings(&self) -> Vec<(ThreadId, Duration)> {
        self.lock().readings.clone()
    }
}

impl<C: Clock> Clock for HoldingClock<C> {
    fn now(&self) -> Duration {
        let now = self.inner.now();
        let mut hold = self.lock();
        hold.readings.push((std::thread::current().id(), now));
        if let Some(at_most) = hold.armed.take() {
            hold.held = Some(std::thread::current().id());
            hold.released = false;
            self.changed.notify_all();
            let (mut hold, _) = self
                .changed
                .wait_timeout_while(hold, at_most, |h| !h.released)
                .unwrap_or_else(PoisonError::into_inner);
            hold.released = true;
        } else {
            self.changed.notify_all();
        }
        now
    }
}

/// SplitMix64 finaliser: a fast, well-distributed 64-bit mix.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_both_ways_and_saturates() {
        let c = ManualClock::starting_at(Duration::from_nanos(10));
        c.advance(Duration::from_nanos(5));
        assert_eq!(c.now(), Duration::from_nanos(15));
        c.rewind(Duration::from_nanos(20));
        assert_eq!(c.now(), Duration::ZERO);
        c.advance(Duration::MAX);
        assert_eq!(c.now(), Duration::from_nanos(u64::MAX));
    }

    #[test]
    fn now_nanos_is_now_in_nanoseconds_through_every_wrapper() {
        /// A clock with only `now`: the trait's default `now_nanos`.
        struct Fixed(Duration);
        impl Clock for Fixed {
            fn now(&self) -> Duration {
                self.0
            }
        }
        let at = Duration::new(3, 250);
        assert_eq!(Fixed(at).now_nanos(), 3_000_000_250);
        assert_eq!(Fixed(Duration::MAX).now_nanos(), u64::MAX, "saturates");
        let manual = Arc::new(ManualClock::starting_at(at));
        let shared: Arc<dyn Clock> = manual.clone();
        let yielding = YieldingClock::new(&*manual, 7, 1);
        for clock in [&*shared, &yielding as &dyn Clock] {
            assert_eq!(clock.now_nanos(), 3_000_000_250);
            assert_eq!(Duration::from_nanos(clock.now_nanos()), clock.now());
        }
    }

    #[test]
    fn clones_share_one_reading() {
        let a = ManualClock::new();
        let b = a.clone();
        a.advance(Duration::from_secs(1));
        assert_eq!(b.now(), Duration::from_secs(1));
    }

    #[test]
    fn yielding_clock_reads_through() {
        let m = ManualClock::starting_at(Duration::from_nanos(7));
        let y = YieldingClock::new(m.clone(), 1, 1);
        assert_eq!(y.now(), Duration::from_nanos(7));
    }
}
