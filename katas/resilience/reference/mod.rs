//! The model answers, one file per solution: the circuit breaker (stages 1–3) and the
//! bulkhead (stage 4).

mod breaker;
mod bulkhead;

pub use breaker::*;
pub use bulkhead::*;
