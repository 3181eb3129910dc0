//! How policies, steps and answers are written in failure messages.

use super::super::{BreakerConfig, BreakerState, Rejected, Window};
use std::fmt;
use std::time::Duration;

/// How a call ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `permit.success()`.
    Success,
    /// `permit.failure()`.
    Failure,
    /// The permit is dropped without a report.
    Dropped,
}

impl Outcome {
    /// Whether the breaker must count it as a failure.
    pub fn failed(self) -> bool {
        !matches!(self, Self::Success)
    }

    fn verb(self) -> &'static str {
        match self {
            Self::Success => "success()",
            Self::Failure => "failure()",
            Self::Dropped => "drop without a report",
        }
    }
}

/// One step of a scenario, on one thread, with a manual clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// try_acquire, and if granted report at once (no time passes).
    Call(Outcome),
    /// try_acquire, advance the clock by the slow threshold plus `extra` ns (`extra` ≥ -1),
    /// report.
    Timed(Outcome, i8),
    /// try_acquire and hold the permit.
    Hold,
    /// Report the held permit `index` (modulo how many are held; nothing if none).
    Report(usize, Outcome),
    /// Advance the clock by this many nanoseconds.
    Advance(u64),
    /// Set the clock to the model's `retry_at` plus `offset` ns, when open and that is later.
    ToRetry(i8),
    /// Advance the clock to the next bucket boundary plus `offset` ns (time windows).
    ToBucketEdge(i8),
}

/// Parses a scenario written as space-separated tokens:
/// `S`/`F`/`D` a call reported at once (success, failure, dropped); `s`/`f` a call slower than
/// the threshold by 1 ns; `t` a success of exactly the threshold; `h` hold a permit;
/// `r<i><S|F|D>` report held permit i; `w<ns>` advance; `R`, `R-1`, `R+1` to retry_at;
/// `B`, `B-1` to the next bucket edge.
pub fn parse(script: &str) -> Vec<Step> {
    script
        .split_whitespace()
        .map(|token| {
            let outcome = |c: char| match c {
                'S' => Outcome::Success,
                'F' => Outcome::Failure,
                'D' => Outcome::Dropped,
                _ => panic!("bad outcome in {token}"),
            };
            let offset = |rest: &str| rest.parse::<i8>().unwrap_or(0);
            match token.chars().next() {
                Some(c @ ('S' | 'F' | 'D')) => Step::Call(outcome(c)),
                Some('s') => Step::Timed(Outcome::Success, 1),
                Some('f') => Step::Timed(Outcome::Failure, 1),
                Some('t') => Step::Timed(Outcome::Success, 0),
                Some('h') => Step::Hold,
                Some('r') => {
                    let index = token[1..token.len() - 1].parse().unwrap_or(0);
                    Step::Report(index, outcome(token.chars().next_back().unwrap_or('S')))
                }
                Some('w') => Step::Advance(token[1..].parse().unwrap_or(0)),
                Some('R') => Step::ToRetry(offset(&token[1..])),
                Some('B') => Step::ToBucketEdge(offset(&token[1..])),
                _ => panic!("bad step {token}"),
            }
        })
        .collect()
}

/// A policy, in one line.
pub fn describe_config(c: &BreakerConfig) -> String {
    let window = match c.window {
        Window::Count { calls } => format!("count window of {calls} calls"),
        Window::Time { span, buckets } => {
            format!(
                "time window of {span:?} in {buckets} buckets of {:?}",
                span / buckets.max(1)
            )
        }
    };
    let slow = match c.slow {
        None => "no slow-call detection".to_string(),
        Some(s) => format!("slow above {:?}, slow rate ≥ {}%", s.threshold, s.rate_pct),
    };
    format!(
        "{window}, minimum {} calls, failure rate ≥ {}%, {slow}, open_wait {:?}, {} half-open probe(s)",
        c.minimum_calls, c.failure_rate_pct, c.open_wait, c.half_open_probes
    )
}

/// A `try_acquire` answer.
pub fn describe_grant(r: &Result<(), Rejected>) -> String {
    match r {
        Ok(()) => "granted".to_string(),
        Err(Rejected::Open { retry_at }) => format!("Rejected::Open {{ retry_at: {retry_at:?} }}"),
        Err(Rejected::ProbesTaken) => "Rejected::ProbesTaken".to_string(),
    }
}

/// A state.
pub fn describe_state(s: &BreakerState) -> String {
    match s {
        BreakerState::Closed => "Closed".to_string(),
        BreakerState::Open { retry_at } => format!("Open {{ retry_at: {retry_at:?} }}"),
        BreakerState::HalfOpen => "HalfOpen".to_string(),
    }
}

/// A step as a transcript line (without its result).
pub struct ShowStep<'a>(pub &'a Step, pub Duration);

impl fmt::Display for ShowStep<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.1;
        match self.0 {
            Step::Call(o) => write!(f, "t={at:?}: try_acquire, then {}", o.verb()),
            Step::Timed(o, extra) => write!(
                f,
                "t={at:?}: try_acquire, clock + threshold {extra:+} ns, then {}",
                o.verb()
            ),
            Step::Hold => write!(f, "t={at:?}: try_acquire and hold the permit"),
            Step::Report(i, o) => write!(f, "t={at:?}: held permit #{i}: {}", o.verb()),
            Step::Advance(ns) => write!(f, "advance {ns} ns"),
            Step::ToRetry(o) => write!(f, "clock to retry_at {o:+} ns"),
            Step::ToBucketEdge(o) => write!(f, "clock to the next bucket edge {o:+} ns"),
        }
    }
}
