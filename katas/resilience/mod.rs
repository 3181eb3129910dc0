//! # Resilience — the contract
//!
//! > "Protect a service from a failing dependency: a circuit breaker with sliding windows,
//! > slow-call detection and a half-open state that can never get stuck, and a bulkhead that
//! > sheds load instead of queueing it without bound."
//!
//! This module is the contract every solution implements: the [`CircuitBreaker`] trait, the
//! [`Permit`] a protected call holds while it runs, the policy ([`BreakerConfig`], [`Window`],
//! [`SlowCalls`]), what a caller can observe ([`BreakerState`]) and the typed errors
//! ([`Rejected`], [`ConfigError`]); and, for stage 4, the [`Bulkhead`] with its [`Waiter`],
//! [`Entry`], [`BulkheadConfig`] and [`Shed`]. The prompt, stage by stage, is in `PROMPT.md`
//! (`kata prompt resilience`); it is also rendered at the end of this page.
//!
//! The semantics follow the usual circuit-breaker vocabulary (count- and time-based sliding
//! windows, a minimum number of calls, failure-rate and slow-call-rate thresholds, a wait in the
//! open state, a fixed number of probe calls in half-open), made exact so that a model can
//! predict every answer.
//!
//! ## The rules, precisely
//!
//! **Calls and outcomes.** A call asks [`CircuitBreaker::try_acquire`] for a [`Permit`], runs,
//! and reports through the permit: [`Permit::success`] or [`Permit::failure`]. A permit dropped
//! without a report (a panic unwinding through it, an early return) reports a failure, at the
//! instant it is dropped (rule `resilience/dropped-permit-fails`). The call's *duration* is the
//! clock reading taken at the report minus the reading taken by `try_acquire` (zero if the
//! clock went backwards); both readings come from the injected clock, never from the system's
//! (rule `resilience/slow-timed-on-clock`). A call is *slow* when [`SlowCalls`] is configured
//! and its duration is strictly greater than [`SlowCalls::threshold`]; a call of exactly the
//! threshold is not slow. A failed call can be slow too: it then counts in both rates (rule
//! `resilience/slow-calls`).
//!
//! **Generations.** An outcome counts only in the state its permit was issued in: a permit
//! issued while closed that reports after the breaker opened (or half-opened, or closed again),
//! or a probe that reports after its half-open period ended, is ignored (rule
//! `resilience/stale-outcomes-ignored`). Every transition below starts a new period.
//!
//! **Closed.** Every `try_acquire` is granted. Each outcome is recorded in the window, and then
//! — after every recorded outcome, at the reading of its report — the window is evaluated: with
//! `calls` outcomes in the window, of which `failures` failed and `slow` were slow, the breaker
//! opens when `calls >= minimum_calls` (rule `resilience/minimum-calls`) and either
//! `failures * 100 >= failure_rate_pct * calls` or `slow * 100 >= slow.rate_pct * calls`. Rates
//! are compared in integers, exactly: a rate equal to the threshold opens (rule
//! `resilience/rate-at-threshold`), and the threshold is a *rate* of the calls in the window,
//! not a count (rule `resilience/failure-rate-opens`).
//!
//! **Windows.** [`Window::Count`] holds the last `calls` outcomes recorded since the window was
//! last cleared: the newest one pushes the oldest out (rule `resilience/count-window-slides`).
//! [`Window::Time`] cuts time into buckets of `span / buckets` nanoseconds, bucket `i` holding
//! the outcomes reported at readings in `[i·w, (i+1)·w)`; at a reading `t` the window holds the
//! outcomes of bucket `t / w` and of the `buckets - 1` buckets before it. So an outcome reported
//! in bucket `i` counts until the reading reaches `(i + buckets)·w`, and from that instant on it
//! does not (rule `resilience/time-window-buckets`).
//!
//! **Open.** When the breaker opens at reading `t` (the reading of the report that tripped it),
//! it clears its window and refuses every call with [`Rejected::Open`] whose `retry_at` is
//! `t + open_wait` (saturating) — the wait is counted from the transition, not from any earlier
//! outcome (rule `resilience/open-wait`). At any reading `>= retry_at` the breaker is half-open
//! (the instant the wait ends included), and [`CircuitBreaker::state`] says so.
//!
//! **Half-open.** Exactly `half_open_probes` calls (K) are granted in a half-open period, in
//! total — whether or not earlier probes have reported; every further `try_acquire` is refused
//! with [`Rejected::ProbesTaken`] (rule `resilience/half-open-probes`), also under contention:
//! never K + 1 (rule `resilience/probes-exact-under-contention`). The verdict waits for all K
//! outcomes (rule `resilience/half-open-verdict`): at the K-th report, with `failures` and
//! `slow` among the K, the breaker re-opens (from that reading, as above) when
//! `failures * 100 >= failure_rate_pct * K` or `slow * 100 >= slow.rate_pct * K`, and closes
//! otherwise. Closing starts with an empty window (rule `resilience/window-cleared`).
//!
//! **Many threads.** Every method takes `&self` and may be called from any number of threads at
//! once. No outcome is lost: the breaker behaves as if the reports arrived one at a time, in
//! some order (rule `resilience/no-lost-outcome`).
//!
//! **Configuration.** [`CircuitBreaker::new`] refuses, with its [`ConfigError`], a count window
//! of zero calls or a time window of zero span, zero buckets, or a span that is not a whole
//! number of nanoseconds per bucket ([`ConfigError::Window`]); a `minimum_calls` of zero, or
//! above a count window's size ([`ConfigError::MinimumCalls`]); a rate threshold of 0 or above
//! 100 ([`ConfigError::Rate`]); zero half-open probes ([`ConfigError::Probes`]) — checked in
//! that order (rule `resilience/config-errors`).
//!
//! ## The bulkhead, precisely
//!
//! A [`Bulkhead`] lets at most `max_concurrent` calls (C) run at once and at most `max_queued`
//! (Q) wait, first come first served. It never blocks: [`Bulkhead::enter`] answers at once with
//! a slot, a place in the queue ([`Waiter`]), or a refusal; a waiter is polled; the test (or a
//! production timer) decides when. Every operation that reads the clock — `enter`, dropping a
//! slot, `poll`, `queued` — first removes from the queue every waiter whose deadline is at or
//! before the reading: that waiter has given up (rule `resilience/bulkhead-deadline`).
//!
//! - `enter(deadline)` at reading `now`: a slot if fewer than C are in flight and nobody waits;
//!   else [`Shed::Full`] if Q are waiting; else [`Shed::Expired`] if `deadline <= now`; else a
//!   place at the back of the queue. So at most C slots and at most Q waiters exist at any time
//!   (rule `resilience/bulkhead-limits`), also under contention (rule
//!   `resilience/bulkhead-exact-under-contention`).
//! - Dropping a slot releases it: if anybody waits, the slot passes to the waiter at the head
//!   of the queue (it stays in flight, counted by [`Bulkhead::in_flight`]), so a released slot
//!   always wakes the next waiter and is never left idle while somebody waits (rule
//!   `resilience/bulkhead-handoff`); slots pass in arrival order (rule
//!   `resilience/bulkhead-fifo`).
//! - [`Waiter::poll`] at reading `now`: the slot, if one was passed to it; else
//!   [`Shed::Expired`] if `deadline <= now` (it has left the queue); else the waiter back, still
//!   queued. Dropping a waiter leaves the queue; a slot already passed to it is released as
//!   above.
//! - [`BulkheadConfig::max_concurrent`] of 0 is [`BulkheadConfigError::NoSlots`] (rule
//!   `resilience/bulkhead-limits`); `max_queued` may be 0 (shed whatever cannot run at once).
//!
//! ## Why the design is shaped like this
//!
//! - **A permit, not a callback.** `try_acquire` returns a guard the caller holds for the
//!   duration of the call. It reads the clock at both ends (so slow calls are measured on the
//!   injected clock), and its `Drop` is what makes the breaker impossible to wedge: a probe
//!   whose caller panicked or returned early still reports. [`call`] is the closure form on top.
//! - **Generations** make late reports harmless, so the half-open verdict counts exactly the
//!   probes it admitted.
//! - **Integer rates** (`failures * 100 >= pct * calls`) leave no rounding to argue about.
//! - **`&self` everywhere**: one breaker guards one dependency for every thread of a service.
//! - **A bulkhead that never blocks**: a blocking `acquire(timeout)` would make "the waiter gave
//!   up at its deadline" and "the release woke the next waiter" depend on a real sleep. With
//!   `enter` / `poll` the caller owns the waiting (park on a condvar, an async waker, a timer
//!   thread that polls), and every rule is checkable on the injected clock, deterministically.

pub mod conformance;
pub mod exercise;
// Not in the library's own unit-test build, which never grades a mutant (see Cargo.toml).
#[cfg(all(feature = "mutants", not(test)))]
pub mod mutants;
pub mod reference;

use crate::clock::Clock;
use crate::grading::{Check, Kata, ManualCriterion};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// Which recent calls the closed breaker judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The last `calls` outcomes recorded since the window was last cleared.
    Count {
        /// Window size, in calls (at least 1).
        calls: u32,
    },
    /// The outcomes reported in the current bucket and the `buckets - 1` before it; buckets are
    /// `span / buckets` long and aligned to the clock's origin.
    Time {
        /// The window's length (non-zero, a whole number of nanoseconds per bucket).
        span: Duration,
        /// How many buckets the span is cut into (at least 1).
        buckets: u32,
    },
}

/// Slow-call detection: a call longer than `threshold` is slow, and a slow-call rate of at
/// least `rate_pct` percent opens the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlowCalls {
    /// A call whose duration is strictly greater than this is slow.
    pub threshold: Duration,
    /// Slow-call rate that opens the breaker, in percent (1..=100).
    pub rate_pct: u8,
}

/// A breaker's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Which recent calls are judged while closed.
    pub window: Window,
    /// No verdict while the window holds fewer outcomes than this (at least 1; at most a
    /// count window's size).
    pub minimum_calls: u32,
    /// Failure rate that opens the breaker, in percent (1..=100).
    pub failure_rate_pct: u8,
    /// Slow-call detection, if any; `None`: no call is slow.
    pub slow: Option<SlowCalls>,
    /// How long the breaker stays open before it lets probes through.
    pub open_wait: Duration,
    /// How many probe calls a half-open period grants (at least 1).
    pub half_open_probes: u32,
}

/// What the breaker is doing, as of the clock's current reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through and their outcomes are judged.
    Closed,
    /// Calls are refused until `retry_at` (a reading of the breaker's clock).
    Open {
        /// The first reading at which probes are let through.
        retry_at: Duration,
    },
    /// Up to `half_open_probes` probe calls go through; their outcomes decide.
    HalfOpen,
}

/// Why [`CircuitBreaker::try_acquire`] refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Rejected {
    /// The breaker is open.
    #[error("circuit open: calls are refused until {retry_at:?} on the breaker's clock")]
    Open {
        /// The first reading at which a call may be let through (as a probe).
        retry_at: Duration,
    },
    /// The breaker is half-open and every probe of this period has been granted.
    #[error("circuit half-open: every probe call is taken; wait for their outcomes")]
    ProbesTaken,
}

/// Why a [`BreakerConfig`] was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// A count window of zero calls, or a time window of zero span or buckets, or a span that
    /// does not divide into whole nanoseconds per bucket.
    #[error("invalid window: {0:?}")]
    Window(Window),
    /// `minimum_calls` is zero, or larger than the count window.
    #[error("minimum_calls must be at least 1 and at most a count window's size, got {0}")]
    MinimumCalls(u32),
    /// A rate threshold of 0 or above 100 percent.
    #[error("a rate threshold must be 1..=100 percent, got {0}")]
    Rate(u8),
    /// Zero half-open probes.
    #[error("half_open_probes must be at least 1")]
    Probes,
}

/// A granted call, held while it runs. Report its outcome by consuming it; dropping it without
/// a report records a failure (rule `resilience/dropped-permit-fails`).
pub trait Permit {
    /// The call succeeded.
    fn success(self);
    /// The call failed.
    fn failure(self);
}

/// A circuit breaker guarding one dependency, shared by every thread that calls it.
///
/// Every reading of time comes from the clock handed to [`new`](CircuitBreaker::new).
pub trait CircuitBreaker: Send + Sync + Sized {
    /// The guard of one granted call.
    type Permit<'a>: Permit
    where
        Self: 'a;

    /// A closed breaker with an empty window, or the first [`ConfigError`] in the documented
    /// order.
    fn new(config: BreakerConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError>;

    /// Grants a call (reading the clock: the call's start) or refuses it with the reason.
    fn try_acquire(&self) -> Result<Self::Permit<'_>, Rejected>;

    /// The state as of the clock's current reading (an open breaker whose wait has ended reads
    /// [`BreakerState::HalfOpen`]).
    fn state(&self) -> BreakerState;
}

/// A bulkhead's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkheadConfig {
    /// At most this many calls in flight (at least 1).
    pub max_concurrent: u32,
    /// At most this many calls waiting (0: shed whatever cannot run at once).
    pub max_queued: u32,
}

/// Why a call got no slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Shed {
    /// Every slot is taken and the queue is full: shed at once.
    #[error("bulkhead full: every slot is taken and the queue is full")]
    Full,
    /// The deadline passed before a slot was passed to the call.
    #[error("gave up waiting: the deadline passed before a slot was free")]
    Expired,
}

/// Why a [`BulkheadConfig`] was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum BulkheadConfigError {
    /// `max_concurrent` is 0.
    #[error("max_concurrent must be at least 1")]
    NoSlots,
}

/// What [`Bulkhead::enter`] and [`Waiter::poll`] answer when they do not refuse.
#[derive(Debug)]
pub enum Entry<S, W> {
    /// Run now; drop the slot when the call ends.
    Slot(S),
    /// Wait: poll this waiter again later.
    Queued(W),
}

/// A place in a bulkhead's queue. Dropping it leaves the queue.
pub trait Waiter: Sized {
    /// The slot it turns into.
    type Slot;
    /// The slot if one was passed to this waiter; else [`Shed::Expired`] once the clock has
    /// reached its deadline; else the waiter back, still queued.
    fn poll(self) -> Result<Entry<Self::Slot, Self>, Shed>;
}

/// At most C calls in flight and Q waiting, first come first served, shared by every thread.
pub trait Bulkhead: Send + Sync + Sized {
    /// A running call's slot; dropping it releases the slot.
    type Slot<'a>
    where
        Self: 'a;
    /// A waiting call's place in the queue.
    type Waiter<'a>: Waiter<Slot = Self::Slot<'a>>
    where
        Self: 'a;

    /// An empty bulkhead, or [`BulkheadConfigError::NoSlots`].
    fn new(config: BulkheadConfig, clock: Arc<dyn Clock>) -> Result<Self, BulkheadConfigError>;

    /// A slot now, a place in the queue until `deadline` (a reading of the clock), or the
    /// reason there is neither.
    #[allow(clippy::type_complexity)]
    fn enter(&self, deadline: Duration) -> Result<Entry<Self::Slot<'_>, Self::Waiter<'_>>, Shed>;

    /// Slots held or passed to a waiter, right now.
    fn in_flight(&self) -> u32;

    /// Waiters in the queue as of the clock's current reading (overdue ones removed first).
    fn queued(&self) -> u32;
}

/// Runs `f` under `breaker`: refused calls never run; `Ok` reports a success, `Err` a failure,
/// and a panic inside `f` unwinds through the permit, which reports a failure.
///
/// ```
/// use lld_katas::clock::ManualClock;
/// use lld_katas::resilience::{call, BreakerConfig, CircuitBreaker, Window};
/// use lld_katas::resilience::reference::Breaker;
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let config = BreakerConfig {
///     window: Window::Count { calls: 4 },
///     minimum_calls: 2,
///     failure_rate_pct: 50,
///     slow: None,
///     open_wait: Duration::from_secs(30),
///     half_open_probes: 1,
/// };
/// let breaker = Breaker::new(config, Arc::new(ManualClock::new())).unwrap();
/// assert_eq!(call(&breaker, || Ok::<_, ()>(1)), Ok(Ok(1)));
/// assert_eq!(call(&breaker, || Err::<u32, _>("down")), Ok(Err("down")));
/// assert!(call(&breaker, || Ok::<_, ()>(2)).is_err(), "1 failure in 2 calls is 50%: open");
/// ```
pub fn call<B: CircuitBreaker, T, E>(
    breaker: &B,
    f: impl FnOnce() -> Result<T, E>,
) -> Result<Result<T, E>, Rejected> {
    let permit = breaker.try_acquire()?;
    let outcome = f();
    match &outcome {
        Ok(_) => permit.success(),
        Err(_) => permit.failure(),
    }
    Ok(outcome)
}

/// Stage titles, in order.
pub const STAGES: &[&str] = &[
    "circuit breaker, count-based window: closed, open, half-open",
    "time-based window and slow calls",
    "many threads: exactly K probes, dropped permits, no lost outcome",
    "bulkhead with backpressure: C in flight, Q waiting, FIFO, deadlines, no lost wake-up",
];

/// Manual criteria specific to this kata.
pub const MANUAL: &[ManualCriterion] = &[
    ManualCriterion {
        name: "State machine",
        look_for: "The three states and every transition are in one place, each with the reading it happens at; late outcomes are handled on purpose (generations or an equivalent), not by accident.",
        weight: 3,
    },
    ManualCriterion {
        name: "Window bookkeeping",
        look_for: "Recording and judging an outcome is O(1) or O(buckets), not a scan of every call: a ring of outcomes with running counts, buckets with counts; the candidate can say how buckets age.",
        weight: 2,
    },
];

/// This kata, as the grader and the command line see it.
pub fn kata() -> Kata {
    Kata {
        id: "resilience",
        title: "Circuit breaker with sliding windows, slow calls and a half-open state that cannot stick; a bulkhead with backpressure",
        prompt: include_str!("PROMPT.md"),
        stages: STAGES,
        criteria: conformance::CRITERIA,
        rules: conformance::RULES,
        manual: MANUAL,
        reference: reference_suite,
        exercise: exercise::suite,
        stub: include_str!("exercise.rs"),
        #[cfg(all(feature = "mutants", not(test)))]
        mutants: mutants::catalogue,
        #[cfg(not(all(feature = "mutants", not(test))))]
        mutants: Vec::new,
        analyze: None,
    }
}

fn reference_suite() -> Vec<Check> {
    conformance::suite::<reference::Breaker, reference::Bulkhead>()
}

#[doc = include_str!("PROMPT.md")]
pub mod prompt {}
