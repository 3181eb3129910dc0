//! Stage 3 checks: many threads.

use super::super::{BreakerState, CircuitBreaker, Permit, call};
use super::describe::{describe_config, describe_state};
use super::scenario::counted;
use super::{DROPPED_PERMIT, NO_LOST_OUTCOME, PROBES_RACE};
use crate::clock::{Clock, ManualClock, YieldingClock};
use crate::grading::stress::run_gated;
use crate::grading::{Failure, Transcript};
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Barrier};
use std::time::Duration;

const THREADS: usize = 6;

/// Threads released together race for the probes of one half-open period.
pub fn probes_race<B: CircuitBreaker>() -> Result<(), Failure> {
    for probes in 1u32..=3 {
        let config = counted(2, 1, 100, 10, probes);
        for round in 0..60u64 {
            let manual = ManualClock::new();
            let clock = Arc::new(YieldingClock::new(manual.clone(), round, 1));
            let breaker = B::new(config, clock).map_err(|e| {
                Failure::new(describe_config(&config), "a breaker", format!("{e:?}"))
            })?;
            // Trip it, then move to the end of the wait: half-open.
            let _ = call(&breaker, || Err::<(), ()>(()));
            manual.advance(Duration::from_nanos(10));
            let all_asked = Barrier::new(THREADS);
            let granted: usize = run_gated(THREADS, |_| {
                let permit = breaker.try_acquire();
                // Every thread asks before any probe reports.
                all_asked.wait();
                match permit {
                    Ok(p) => {
                        p.success();
                        1
                    }
                    Err(_) => 0,
                }
            })
            .into_iter()
            .sum();
            if granted != probes as usize {
                let mut t = Transcript::new(describe_config(&config));
                t.step("t=0: try_acquire, then failure() → Open { retry_at: 10ns }");
                t.step("t=10ns (the wait has ended): half-open");
                t.step(format!(
                    "{THREADS} threads released together each call try_acquire once (round {round}, clock yields on every read)"
                ));
                return Err(Failure::new(
                    t,
                    format!("{}: exactly {probes} granted", PROBES_RACE.property),
                    format!("{granted} granted"),
                ));
            }
        }
    }
    Ok(())
}

/// Probes whose calls panic or return early still report (a failure).
pub fn dropped_permit<B: CircuitBreaker>() -> Result<(), Failure> {
    let wait = Duration::from_nanos(100);
    for probes in [1u32, 3] {
        for early_return in [false, true] {
            let config = counted(4, 2, 50, 100, probes);
            let manual = ManualClock::new();
            let breaker = B::new(config, Arc::new(manual.clone())).map_err(|e| {
                Failure::new(describe_config(&config), "a breaker", format!("{e:?}"))
            })?;
            let mut t = Transcript::new(describe_config(&config));
            let _ = call(&breaker, || Err::<(), ()>(()));
            let _ = call(&breaker, || Err::<(), ()>(()));
            t.step("t=0: two calls fail → open, retry_at 100ns");
            manual.advance(wait);
            for probe in 0..probes {
                manual.advance(Duration::from_nanos(1));
                if early_return {
                    if let Ok(permit) = breaker.try_acquire() {
                        drop(permit);
                    }
                    t.step(format!(
                        "t={:?}: probe {probe}: try_acquire, then the permit is dropped (an early return)",
                        manual.now()
                    ));
                } else {
                    let unwound = panic::catch_unwind(AssertUnwindSafe(|| {
                        call(&breaker, || -> Result<(), ()> {
                            panic!("the dependency's client panicked")
                        })
                    }));
                    let _ = unwound;
                    t.step(format!(
                        "t={:?}: probe {probe}: call(..) whose closure panics (the permit is dropped while unwinding)",
                        manual.now()
                    ));
                }
            }
            let now = manual.now();
            let want = BreakerState::Open {
                retry_at: now + wait,
            };
            let got = breaker.state();
            if got != want {
                t.step(format!("t={now:?}: state()"));
                return Err(Failure::new(
                    t,
                    format!("{}: {}", DROPPED_PERMIT.property, describe_state(&want)),
                    describe_state(&got),
                ));
            }
        }
    }
    // In closed, two dropped permits of two calls are a 100% failure rate.
    let config = counted(4, 2, 50, 100, 1);
    let manual = ManualClock::new();
    let breaker = B::new(config, Arc::new(manual.clone()))
        .map_err(|e| Failure::new(describe_config(&config), "a breaker", format!("{e:?}")))?;
    for _ in 0..2 {
        if let Ok(permit) = breaker.try_acquire() {
            drop(permit);
        }
    }
    let got = breaker.state();
    let want = BreakerState::Open { retry_at: wait };
    if got != want {
        let mut t = Transcript::new(describe_config(&config));
        t.step("t=0: try_acquire, then drop the permit — twice");
        t.step("t=0: state()");
        return Err(Failure::new(
            t,
            format!("{}: {}", DROPPED_PERMIT.property, describe_state(&want)),
            describe_state(&got),
        ));
    }
    Ok(())
}

/// Concurrent reports on a closed breaker: every one is counted.
pub fn no_lost_outcome<B: CircuitBreaker>() -> Result<(), Failure> {
    const THREADS: usize = 4;
    const CALLS: usize = 25;
    // 2 failures in every 5 calls: 40 of 100, exactly the 40% threshold.
    let total = (THREADS * CALLS) as u32;
    let config = counted(total, total, 40, 1_000, 1);
    for round in 0..40u64 {
        let manual = ManualClock::new();
        let clock = Arc::new(YieldingClock::new(manual.clone(), round, 2));
        let breaker = B::new(config, clock)
            .map_err(|e| Failure::new(describe_config(&config), "a breaker", format!("{e:?}")))?;
        let refused: usize = run_gated(THREADS, |_| {
            let mut refused = 0;
            for j in 0..CALLS {
                match breaker.try_acquire() {
                    Ok(p) if j % 5 < 2 => p.failure(),
                    Ok(p) => p.success(),
                    Err(_) => refused += 1,
                }
            }
            refused
        })
        .into_iter()
        .sum();
        let got = breaker.state();
        let want = BreakerState::Open {
            retry_at: Duration::from_nanos(1_000),
        };
        if got != want || refused != 0 {
            let mut t = Transcript::new(describe_config(&config));
            t.step(format!(
                "{THREADS} threads released together each make {CALLS} calls at t=0, calls 0 and 1 of every 5 failing (round {round}, clock yields on reads)"
            ));
            t.step("state()");
            return Err(Failure::new(
                t,
                format!(
                    "{}: every call granted, then {}",
                    NO_LOST_OUTCOME.property,
                    describe_state(&want)
                ),
                format!("{refused} refused, then {}", describe_state(&got)),
            ));
        }
    }
    Ok(())
}
