//! How configurations and answers are written in failure messages and transcripts.

use super::*;

pub(super) fn ns(d: Duration) -> String {
    format!("{} ns", d.as_nanos())
}

pub(super) fn describe(config: &BucketConfig) -> String {
    format!(
        "capacity {}, refill {} token{} / {}",
        config.capacity,
        config.refill_tokens,
        if config.refill_tokens == 1 { "" } else { "s" },
        ns(config.refill_period)
    )
}

/// How a result reads in a transcript.
pub fn outcome(r: &Result<(), AcquireError>) -> String {
    match r {
        Ok(()) => "granted".into(),
        Err(AcquireError::RateLimited { retry_after }) => {
            format!("denied, retry_after = {}", ns(*retry_after))
        }
        Err(AcquireError::ExceedsCapacity {
            requested,
            capacity,
        }) => format!("ExceedsCapacity {{ requested: {requested}, capacity: {capacity} }}"),
    }
}
