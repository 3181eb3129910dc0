//! Your solution. Fill in every `todo!()`; keep the signatures.
//!
//! Run the suite against this file with
//! `cargo test --features exercise --test resilience` (add `stage1`, `stage2`, … to run one
//! stage), and grade it with `cargo run --release -- grade resilience`.
//!
//! The contract — every rule, with its id — is documented on the trait and types in
//! `resilience/mod.rs` (`cargo doc --open`, module `resilience`), and the prompt is in
//! `resilience/PROMPT.md`. Add any fields, types and helpers you need.

use super::{
    BreakerConfig, BreakerState, Bulkhead, BulkheadConfig, BulkheadConfigError, CircuitBreaker,
    ConfigError, Entry, Permit, Rejected, Shed, Waiter,
};
use crate::clock::Clock;
use std::sync::Arc;
use std::time::Duration;

/// Your circuit breaker.
pub struct Breaker {
    // Your state goes here.
}

impl CircuitBreaker for Breaker {
    type Permit<'a> = Call<'a>;

    fn new(config: BreakerConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let _ = clock;
        todo!(
            "validate {config:?} (Window, MinimumCalls, Rate, Probes — in that order) and build a \
             closed breaker with an empty window that reads time only from `clock`"
        )
    }

    fn try_acquire(&self) -> Result<Call<'_>, Rejected> {
        todo!(
            "read the clock (the call's start); closed: grant; open before retry_at: \
             Rejected::Open {{ retry_at }}; from retry_at on, half-open: grant exactly \
             half_open_probes calls in total, then Rejected::ProbesTaken — never one more, \
             however many threads ask at once"
        )
    }

    fn state(&self) -> BreakerState {
        todo!("Closed, Open {{ retry_at }}, or HalfOpen once the clock has reached retry_at")
    }
}

/// One granted call of your breaker.
pub struct Call<'a> {
    breaker: &'a Breaker,
}

impl Permit for Call<'_> {
    fn success(self) {
        let _ = self.breaker;
        todo!(
            "record a success at the clock's reading (slow if it took longer than the threshold), \
             unless the breaker has left the state this permit was granted in; then judge"
        )
    }

    fn failure(self) {
        todo!("record a failure, as for success")
    }
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        // A permit dropped without a report must report a failure (once). Until you write
        // that, this does nothing — which leaves a half-open breaker stuck.
    }
}

/// Your bulkhead (stage 4).
pub struct Pool {
    // Your state goes here.
}

impl Bulkhead for Pool {
    type Slot<'a> = Slot<'a>;
    type Waiter<'a> = Place<'a>;

    fn new(config: BulkheadConfig, clock: Arc<dyn Clock>) -> Result<Self, BulkheadConfigError> {
        let _ = clock;
        todo!("an empty bulkhead for {config:?} (max_concurrent 0 is NoSlots)")
    }

    fn enter(&self, deadline: Duration) -> Result<Entry<Slot<'_>, Place<'_>>, Shed> {
        todo!(
            "sweep out waiters whose deadline has passed; a slot if one is free and nobody waits; \
             else Shed::Full if the queue is full; else Shed::Expired if {deadline:?} is not after \
             now; else a place at the back of the queue"
        )
    }

    fn in_flight(&self) -> u32 {
        todo!("slots held, plus slots passed to a waiter that has not polled yet")
    }

    fn queued(&self) -> u32 {
        todo!("waiters in the queue, once overdue ones are swept out")
    }
}

/// A running call's slot: dropping it must release it (to the head waiter, if any).
pub struct Slot<'a> {
    pool: &'a Pool,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let _ = self.pool;
        // Release the slot: pass it to the head waiter if anybody waits, else free it.
    }
}

/// A waiting call's place in the queue.
pub struct Place<'a> {
    pool: &'a Pool,
}

impl<'a> Waiter for Place<'a> {
    type Slot = Slot<'a>;

    fn poll(self) -> Result<Entry<Slot<'a>, Self>, Shed> {
        let _ = self.pool;
        todo!(
            "the slot if one was passed to this place; Shed::Expired from its deadline on; else itself"
        )
    }
}

/// This solution's conformance suite: every criterion of the rubric, bound to the types above.
/// `cargo test` and `kata grade` run it; leave it as it is.
pub fn suite() -> Vec<crate::grading::Check> {
    super::conformance::suite::<Breaker, Pool>()
}
