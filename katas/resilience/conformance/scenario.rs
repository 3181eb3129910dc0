//! Runs a scenario (a list of [`Step`]s on one thread) on a solution and on the [`Model`] in
//! lockstep, comparing every `try_acquire` answer and the state after every step.

use super::super::{BreakerConfig, BreakerState, CircuitBreaker, Permit, Window};
use super::describe::{Outcome, ShowStep, Step, describe_config, describe_grant, describe_state};
use super::model::{Model, ModelPermit};
use crate::clock::{Clock, ManualClock};
use crate::grading::{Failure, Transcript};
use std::sync::Arc;
use std::time::Duration;

/// Reports `permit`'s outcome.
pub fn report<P: Permit>(permit: P, outcome: Outcome) {
    match outcome {
        Outcome::Success => permit.success(),
        Outcome::Failure => permit.failure(),
        Outcome::Dropped => drop(permit),
    }
}

/// Builds a breaker on a fresh manual clock standing at `start`; a refused valid policy is a
/// failure.
pub fn build<B: CircuitBreaker>(
    config: BreakerConfig,
    start: Duration,
) -> Result<(B, ManualClock), Failure> {
    let clock = ManualClock::starting_at(start);
    match B::new(config, Arc::new(clock.clone())) {
        Ok(b) => Ok((b, clock)),
        Err(e) => Err(Failure::new(
            describe_config(&config),
            "a breaker (the policy is valid)",
            format!("{e:?}"),
        )),
    }
}

fn shifted(at: Duration, offset: i8) -> Duration {
    let magnitude = Duration::from_nanos(u64::from(offset.unsigned_abs()));
    if offset < 0 {
        at.saturating_sub(magnitude)
    } else {
        at.saturating_add(magnitude)
    }
}

/// Runs `steps` with the clock starting at `start`; `property` is what the failure says
/// was expected.
pub fn run_steps<B: CircuitBreaker>(
    config: BreakerConfig,
    start: Duration,
    steps: &[Step],
    property: &str,
) -> Result<(), Failure> {
    let (breaker, clock) = build::<B>(config, start)?;
    let mut model = Model::new(config).map_err(|e| {
        Failure::new(
            describe_config(&config),
            "a valid policy in the rubric",
            format!("{e:?}"),
        )
    })?;
    let mut transcript = Transcript::new(format!(
        "{}; clock starts at {start:?}",
        describe_config(&config)
    ));
    let mut held: Vec<(B::Permit<'_>, ModelPermit)> = Vec::new();
    let threshold = config.slow.map_or(Duration::ZERO, |s| s.threshold);
    let fail = |transcript: &Transcript, expected: String, got: String| {
        Err(Failure::new(
            transcript.to_string(),
            format!("{expected} ({property})"),
            got,
        ))
    };
    for step in steps {
        let now = clock.now();
        let mut line = ShowStep(step, now).to_string();
        match *step {
            Step::Report(..) if held.is_empty() => line.push_str(" (nothing held: skipped)"),
            Step::Call(_) | Step::Timed(..) | Step::Hold => {
                let got = breaker.try_acquire();
                let want = model.acquire(now);
                let got_shown = describe_grant(&got.as_ref().map(|_| ()).map_err(|e| *e));
                let want_shown = describe_grant(&want.map(|_| ()));
                if got_shown != want_shown {
                    line.push_str(" → try_acquire answered ");
                    line.push_str(&got_shown);
                    transcript.step(line);
                    return fail(
                        &transcript,
                        format!("try_acquire at t={now:?} → {want_shown}"),
                        got_shown,
                    );
                }
                line.push_str(&format!(" → {got_shown}"));
                if let (Ok(permit), Ok(model_permit)) = (got, want) {
                    match *step {
                        Step::Hold => held.push((permit, model_permit)),
                        Step::Timed(outcome, extra) => {
                            // Never backwards: a threshold of 0 less 1 ns is 0.
                            clock.set(shifted(now.saturating_add(threshold), extra).max(now));
                            let end = clock.now();
                            report(permit, outcome);
                            model.report(model_permit, outcome.failed(), end);
                        }
                        Step::Call(outcome) => {
                            report(permit, outcome);
                            model.report(model_permit, outcome.failed(), now);
                        }
                        _ => {}
                    }
                }
            }
            Step::Report(index, outcome) => {
                let (permit, model_permit) = held.remove(index % held.len());
                report(permit, outcome);
                model.report(model_permit, outcome.failed(), now);
            }
            Step::Advance(ns) => clock.advance(Duration::from_nanos(ns)),
            Step::ToRetry(offset) => {
                if let Some(retry_at) = model.retry_at() {
                    let target = shifted(retry_at, offset);
                    if target > now {
                        clock.set(target);
                    }
                }
            }
            Step::ToBucketEdge(offset) => {
                if let Window::Time { span, buckets } = config.window {
                    let width = span.as_nanos() / u128::from(buckets);
                    let next = (now.as_nanos() / width + 1) * width;
                    let target = shifted(
                        Duration::from_nanos(u64::try_from(next).unwrap_or(u64::MAX)),
                        offset,
                    );
                    if target > now {
                        clock.set(target);
                    }
                }
            }
        }
        let now = clock.now();
        let got: BreakerState = breaker.state();
        let want = model.state(now);
        line.push_str(&format!(
            "; state() at t={now:?} → {}",
            describe_state(&got)
        ));
        transcript.step(line);
        if got != want {
            return fail(
                &transcript,
                format!("state() at t={now:?} → {}", describe_state(&want)),
                describe_state(&got),
            );
        }
    }
    Ok(())
}

/// Runs a table of scripted scenarios (see [`parse`](super::describe::parse)).
pub fn run_table<B: CircuitBreaker>(
    table: &[(BreakerConfig, &str)],
    property: &str,
) -> Result<(), Failure> {
    for (config, script) in table {
        run_steps::<B>(
            *config,
            Duration::ZERO,
            &super::describe::parse(script),
            property,
        )?;
    }
    Ok(())
}

/// A count-window policy without slow-call detection.
pub const fn counted(
    calls: u32,
    minimum_calls: u32,
    failure_rate_pct: u8,
    open_wait_ns: u64,
    half_open_probes: u32,
) -> BreakerConfig {
    BreakerConfig {
        window: Window::Count { calls },
        minimum_calls,
        failure_rate_pct,
        slow: None,
        open_wait: Duration::from_nanos(open_wait_ns),
        half_open_probes,
    }
}
