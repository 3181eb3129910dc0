//! # Token-bucket rate limiter — the contract
//!
//! > "Design and code a token bucket rate limiter with burst handling and fairness."
//!
//! This module is the contract every solution implements: the [`RateLimiter`] and
//! [`Reservation`] traits, the [`BucketConfig`], and the typed errors. The prompt, stage by
//! stage, is in `PROMPT.md` (`kata prompt rate-limiter`); it is also rendered at the end of this
//! page.
//!
//! ## The model, precisely
//!
//! A bucket holds at most `capacity` tokens and starts full. It regains `refill_tokens` tokens
//! every `refill_period`, **continuously**: one token every `refill_period / refill_tokens`,
//! fractions carried forward exactly, never a lump at the end of each period. Over any window of
//! length `t`, a bucket grants at most `capacity + floor(refill_tokens · t / refill_period)`
//! tokens.
//!
//! All arithmetic is on integers: time is whole nanoseconds read from the injected
//! [`Clock`]. A convenient exact unit is a *grain*: one token is worth
//! `refill_period` (in ns) grains, and the bucket gains `refill_tokens` grains per nanosecond.
//!
//! ## Why the design is shaped like this
//!
//! - **Time is injected** (`Arc<dyn Clock>`), so every rule above is testable to the nanosecond
//!   without sleeping, and a clock that jumps backwards can be simulated.
//! - **`&self` everywhere**: one limiter is shared by every request thread (stage 2), so the
//!   trait requires `Send + Sync` and leaves the locking strategy to the implementation.
//! - **Denial is an error value, not a panic or a bool**: callers need the exact wait
//!   (`retry_after`), and "can never succeed" ([`AcquireError::ExceedsCapacity`]) must be told
//!   apart from "not yet".
//! - **Reservations borrow the limiter** (`Reservation<'a>`), so dropping one can give its tokens
//!   back (stage 3) without reference counting.

pub mod conformance;
pub mod exercise;
pub mod mutants;
pub mod reference;

use crate::clock::Clock;
use crate::grading::{Check, Kata, ManualCriterion};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// Configuration of one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BucketConfig {
    /// Most tokens the bucket holds: the largest burst. The bucket starts full.
    pub capacity: u64,
    /// Tokens regained per `refill_period`, spread evenly over the period.
    pub refill_tokens: u64,
    /// The period over which `refill_tokens` are regained.
    pub refill_period: Duration,
}

impl BucketConfig {
    /// `capacity` tokens, refilled at `refill_tokens` per `refill_period`.
    pub const fn new(capacity: u64, refill_tokens: u64, refill_period: Duration) -> Self {
        Self {
            capacity,
            refill_tokens,
            refill_period,
        }
    }
}

/// Why a configuration is rejected. Checked in this order.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// `capacity` is 0: such a bucket could never grant anything.
    #[error("capacity must be at least 1 token")]
    ZeroCapacity,
    /// `refill_tokens` is 0: the bucket would never refill.
    #[error("refill_tokens must be at least 1 token per period")]
    ZeroRefillTokens,
    /// `refill_period` is shorter than 1 ns.
    #[error("refill_period must be at least 1 ns")]
    ZeroRefillPeriod,
    /// `capacity × refill_period` (in nanoseconds) exceeds `u64::MAX`, so the bucket's exact
    /// state (in grains) would not fit in 64 bits.
    #[error(
        "capacity × refill_period is too large: {capacity} tokens × {refill_period:?} exceeds u64::MAX ns"
    )]
    TooLarge {
        /// The configured capacity.
        capacity: u64,
        /// The configured period.
        refill_period: Duration,
    },
}

/// Why a request for tokens is not granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum AcquireError {
    /// Not enough tokens now. Retrying the same request after exactly `retry_after` succeeds,
    /// provided nothing else takes tokens meanwhile; retrying 1 ns earlier does not.
    #[error("rate limited: retry after {retry_after:?}")]
    RateLimited {
        /// The exact wait, rounded up to the nanosecond.
        retry_after: Duration,
    },
    /// More tokens than the bucket can ever hold: retrying can never succeed.
    #[error(
        "requested {requested} tokens but the bucket holds at most {capacity}; this can never succeed"
    )]
    ExceedsCapacity {
        /// Tokens requested.
        requested: u64,
        /// The bucket's capacity.
        capacity: u64,
    },
}

/// A token bucket shared by many threads.
///
/// Every method takes `&self`; implementations choose their own synchronisation (a mutex,
/// atomics, …) — the conformance suite only observes behaviour.
pub trait RateLimiter: Send + Sync + Sized {
    /// A place in the queue for tokens (stage 3). Borrows the limiter so that dropping it can
    /// return its tokens.
    type Reservation<'a>: Reservation
    where
        Self: 'a;

    /// A full bucket reading time from `clock`.
    ///
    /// # Errors
    /// The first [`ConfigError`] (in declaration order) that `config` violates.
    fn new(config: BucketConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError>;

    /// Takes `tokens` now, all or nothing.
    ///
    /// - `tokens == 0` always succeeds and takes nothing (even from an empty bucket, even while
    ///   reservations wait: it takes nothing from anyone).
    /// - A denial changes nothing.
    /// - While earlier reservations are still waiting for their tokens, those tokens are theirs:
    ///   `try_acquire` does not jump the queue.
    ///
    /// # Errors
    /// - [`AcquireError::ExceedsCapacity`] when `tokens > capacity` (whatever the bucket holds).
    /// - [`AcquireError::RateLimited`] with the exact wait otherwise.
    fn try_acquire(&self, tokens: u64) -> Result<(), AcquireError>;

    /// Joins the queue for `tokens` (stage 3): the tokens are set aside for this caller behind
    /// every earlier reservation, in arrival order (FIFO), and the returned reservation says when
    /// they are ready. Later callers — reservations or `try_acquire` — can never take them.
    ///
    /// At or after [`Reservation::ready_at`] the tokens belong to the holder; the holder simply
    /// proceeds (dropping the reservation then changes nothing). Dropping the reservation *before*
    /// `ready_at` cancels it and gives its tokens back to the bucket (up to capacity).
    ///
    /// `reserve(0)` is ready at once.
    ///
    /// # Errors
    /// [`AcquireError::ExceedsCapacity`] when `tokens > capacity`. A reservation is never
    /// `RateLimited`: it waits instead.
    fn reserve(&self, tokens: u64) -> Result<Self::Reservation<'_>, AcquireError>;
}

/// Tokens set aside in a [`RateLimiter`]'s queue. Dropping it before it is ready cancels it.
pub trait Reservation {
    /// Clock time at which the reserved tokens exist and belong to the holder.
    ///
    /// Fixed when the reservation is made; cancellations ahead in the queue may bring it
    /// earlier, never later.
    fn ready_at(&self) -> Duration;

    /// Tokens reserved.
    fn tokens(&self) -> u64;
}

/// Stage titles, in order.
pub const STAGES: &[&str] = &[
    "one bucket: burst, continuous refill, exact retry_after",
    "thread safety: many threads, one bucket",
    "fairness: FIFO reservations, no queue jumping, cancellation",
];

/// Manual criteria specific to this kata.
pub const MANUAL: &[ManualCriterion] = &[
    ManualCriterion {
        name: "Concurrency argument",
        look_for: "The candidate can say why no two threads can both spend the last token (lock scope, or CAS on one word), and why the lock is never held while waiting.",
        weight: 3,
    },
    ManualCriterion {
        name: "Integer arithmetic",
        look_for: "No floats; overflow considered (huge idle times, large configs); rounding direction of retry_after argued, not guessed.",
        weight: 2,
    },
];

/// This kata, as the grader and the command line see it.
pub fn kata() -> Kata {
    Kata {
        id: "rate-limiter",
        title: "Token-bucket rate limiter with burst handling and fairness",
        prompt: include_str!("PROMPT.md"),
        stages: STAGES,
        criteria: conformance::CRITERIA,
        manual: MANUAL,
        reference: reference_suite,
        exercise: exercise_suite,
        mutants: mutants::catalogue,
        analyze: None,
    }
}

fn reference_suite() -> Vec<Check> {
    conformance::suite::<reference::TokenBucket>()
}

fn exercise_suite() -> Vec<Check> {
    conformance::suite::<exercise::TokenBucket>()
}

#[doc = include_str!("PROMPT.md")]
pub mod prompt {}
