//! Stage 1 checks: the count window and the three states.

use super::super::{BreakerConfig, CircuitBreaker, ConfigError, SlowCalls, Window};
use super::describe::{Outcome, Step, describe_config};
use super::model::model_validate;
use super::scenario::{counted, run_steps, run_table};
use super::{
    CONFIG_ERRORS, COUNT_MODEL, FAILURE_RATE, FRESH_PERIODS, HALF_OPEN_PROBES, HALF_OPEN_VERDICT,
    MINIMUM_CALLS, OPEN_WAIT, RATE_AT_THRESHOLD, WINDOW_SLIDES,
};
use crate::clock::ManualClock;
use crate::grading::{Failure, check_property};
use proptest::prelude::*;
use std::sync::Arc;
use std::time::Duration;

/// Rate thresholds with the edges a wrong comparison trips on mixed in.
pub fn rate_pct() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(vec![1u8, 25, 33, 34, 50, 66, 67, 100]),
        1 => 1u8..=100,
    ]
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        4 => Just(Outcome::Success),
        4 => Just(Outcome::Failure),
        1 => Just(Outcome::Dropped),
    ]
}

/// Random count-window policies: sizes 1..=8, minimum from 1 to the size (both edges mixed in).
pub fn count_config() -> impl Strategy<Value = BreakerConfig> {
    (
        1u32..=8,
        0u32..=8,
        rate_pct(),
        prop::sample::select(vec![0u64, 1, 1_000]),
        1u32..=3,
    )
        .prop_map(|(calls, m, pct, wait, probes)| {
            let minimum = match m {
                0 => 1,
                8 => calls,
                m => m.min(calls),
            };
            counted(calls, minimum, pct, wait, probes)
        })
}

/// Random steps of a count-window scenario.
pub fn count_steps() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => outcome().prop_map(Step::Call),
        1 => Just(Step::Hold),
        2 => (0usize..4, outcome()).prop_map(|(i, o)| Step::Report(i, o)),
        1 => (0u64..2_000).prop_map(Step::Advance),
        3 => (-1i8..=1).prop_map(Step::ToRetry),
    ]
}

/// Random sequences on count windows behave exactly like the model.
pub fn count_window_model<B: CircuitBreaker>() -> Result<(), Failure> {
    check_property(
        &COUNT_MODEL,
        160,
        (count_config(), prop::collection::vec(count_steps(), 1..60)),
        |(config, steps)| run_steps::<B>(config, Duration::ZERO, &steps, COUNT_MODEL.property),
    )
}

/// Windows that are not full yet: the rate is of the calls in the window.
pub fn failure_rate<B: CircuitBreaker>() -> Result<(), Failure> {
    run_table::<B>(
        &[
            (counted(10, 4, 50, 1_000, 1), "S S F F S"),
            (counted(10, 4, 50, 1_000, 1), "S F S F"),
            (counted(10, 2, 50, 1_000, 1), "S F"),
            (counted(10, 3, 34, 1_000, 1), "S S F"),
            (counted(20, 5, 60, 1_000, 1), "S S F F F"),
            (counted(6, 3, 50, 1_000, 1), "S S S S F F F"),
            (counted(100, 1, 100, 1_000, 1), "S S F"),
            (counted(100, 1, 1, 1_000, 1), "S S S S S S S S S F"),
        ],
        FAILURE_RATE.property,
    )
}

/// A rate exactly at the threshold opens, one percent more does not.
pub fn rate_at_threshold<B: CircuitBreaker>() -> Result<(), Failure> {
    let mut table: Vec<(BreakerConfig, String)> = Vec::new();
    for calls in 1u32..=20 {
        for failures in 1..=calls {
            if (failures * 100) % calls != 0 {
                continue;
            }
            let pct = u8::try_from(failures * 100 / calls).unwrap_or(100);
            // Successes first, failures last: the verdict is at the c-th call.
            let script: String = std::iter::repeat_n("S ", (calls - failures) as usize)
                .chain(std::iter::repeat_n("F ", failures as usize))
                .collect();
            table.push((counted(calls, calls, pct, 1_000, 1), script.clone()));
            if pct < 100 {
                table.push((counted(calls, calls, pct + 1, 1_000, 1), script));
            }
        }
    }
    let table: Vec<(BreakerConfig, &str)> = table.iter().map(|(c, s)| (*c, s.as_str())).collect();
    run_table::<B>(&table, RATE_AT_THRESHOLD.property)
}

/// No verdict below the minimum; the minimum-th outcome is judged.
pub fn minimum_calls<B: CircuitBreaker>() -> Result<(), Failure> {
    let mut table: Vec<(BreakerConfig, String)> = Vec::new();
    for m in 1u32..=6 {
        let failures: String = std::iter::repeat_n("F ", (m - 1) as usize).collect();
        table.push((counted(8, m, 50, 1_000, 1), format!("{failures}S")));
        table.push((counted(8, m, 50, 1_000, 1), format!("{failures}F")));
        table.push((counted(m, m, 100, 1_000, 1), format!("{failures}F")));
    }
    let table: Vec<(BreakerConfig, &str)> = table.iter().map(|(c, s)| (*c, s.as_str())).collect();
    run_table::<B>(&table, MINIMUM_CALLS.property)
}

/// Old outcomes leave a count window one by one.
pub fn window_slides<B: CircuitBreaker>() -> Result<(), Failure> {
    run_table::<B>(
        &[
            (counted(4, 4, 50, 1_000, 1), "F S S S S S F F"),
            (counted(4, 4, 50, 1_000, 1), "F S S S S F S F"),
            (counted(4, 2, 50, 1_000, 1), "S S S S S S F F"),
            (counted(4, 2, 50, 1_000, 1), "S S S F F"),
            (counted(3, 3, 67, 1_000, 1), "F F S S F F"),
            (counted(2, 2, 100, 1_000, 1), "F S F S F F"),
            (counted(5, 5, 40, 1_000, 1), "F S S S S S S S F S F"),
        ],
        WINDOW_SLIDES.property,
    )
}

/// retry_at is the tripping report's reading + open_wait; the wait ends exactly there.
pub fn open_wait<B: CircuitBreaker>() -> Result<(), Failure> {
    run_table::<B>(
        &[
            (counted(4, 3, 50, 1_000, 1), "F w500 S w300 F S R-1 S R S"),
            (counted(4, 2, 50, 1_000, 1), "F w700 F R-1 S R h"),
            (
                counted(2, 2, 50, 5, 2),
                "S w9 F w1 S w3 S R-1 S R S F R-1 S R S S",
            ),
            (counted(1, 1, 100, 0, 1), "F S F S"),
            (counted(3, 3, 100, 1, 1), "F F w2 F S R-1 S R F R S"),
        ],
        OPEN_WAIT.property,
    )
}

/// Exactly K probes per half-open period, reported or not.
pub fn half_open_probes<B: CircuitBreaker>() -> Result<(), Failure> {
    run_table::<B>(
        &[
            (counted(2, 1, 100, 10, 3), "F R h h h h S r0S r0S S"),
            (counted(2, 1, 100, 10, 1), "F R h S S r0S S"),
            (counted(2, 1, 100, 10, 2), "F R S h S r0F R h S h S"),
            (counted(2, 1, 100, 10, 4), "F R S S S h h S"),
        ],
        HALF_OPEN_PROBES.property,
    )
}

/// The half-open verdict after all K probes.
pub fn half_open_verdict<B: CircuitBreaker>() -> Result<(), Failure> {
    run_table::<B>(
        &[
            (counted(2, 1, 50, 10, 3), "F R S S S S"),
            (counted(2, 1, 50, 10, 3), "F R S F S S"),
            (counted(2, 1, 50, 10, 2), "F R S F R S S S"),
            (counted(2, 1, 34, 10, 3), "F R S S w5 F R S"),
            (counted(2, 1, 100, 10, 2), "F R h h r1S w3 r0F S"),
            (counted(2, 1, 100, 10, 2), "F R D w4 D R-1 S R S"),
        ],
        HALF_OPEN_VERDICT.property,
    )
}

/// Closing starts an empty window; late reports change nothing.
pub fn fresh_periods<B: CircuitBreaker>() -> Result<(), Failure> {
    run_table::<B>(
        &[
            // The window is empty after closing.
            (counted(4, 2, 50, 10, 1), "S F R S F S"),
            (counted(4, 3, 50, 10, 1), "F F F R S F S F"),
            // A permit of the closed period reports after the breaker opened / half-opened /
            // closed again.
            (counted(2, 2, 50, 10, 2), "h S F R h r0F S r0S F"),
            (counted(2, 2, 50, 10, 1), "h S F R S r0F F"),
            (counted(4, 2, 50, 10, 1), "h S F r0F R S"),
            // A probe that reports after its half-open period ended.
            (counted(2, 1, 100, 10, 2), "F R h F S R h r0F S"),
        ],
        FRESH_PERIODS.property,
    )
}

/// Bad policies are refused with their error, first in the documented order.
pub fn config_errors<B: CircuitBreaker>() -> Result<(), Failure> {
    let ok = counted(4, 2, 50, 10, 1);
    let time = |span_ns: u64, buckets: u32| Window::Time {
        span: Duration::from_nanos(span_ns),
        buckets,
    };
    let slow = |rate_pct: u8| {
        Some(SlowCalls {
            threshold: Duration::from_nanos(5),
            rate_pct,
        })
    };
    let cases: Vec<(BreakerConfig, Result<(), ConfigError>)> = vec![
        (ok, Ok(())),
        (
            counted(u32::MAX >> 12, u32::MAX >> 12, 100, u64::MAX, u32::MAX),
            Ok(()),
        ),
        (counted(1, 1, 1, 0, 1), Ok(())),
        (
            BreakerConfig {
                window: Window::Count { calls: 0 },
                minimum_calls: 0,
                ..ok
            },
            Err(ConfigError::Window(Window::Count { calls: 0 })),
        ),
        (
            BreakerConfig {
                window: time(0, 1),
                ..ok
            },
            Err(ConfigError::Window(time(0, 1))),
        ),
        (
            BreakerConfig {
                window: time(10, 0),
                ..ok
            },
            Err(ConfigError::Window(time(10, 0))),
        ),
        (
            BreakerConfig {
                window: time(10, 3),
                ..ok
            },
            Err(ConfigError::Window(time(10, 3))),
        ),
        (
            BreakerConfig {
                window: time(10, 10),
                minimum_calls: 1_000,
                ..ok
            },
            Ok(()),
        ),
        (
            BreakerConfig {
                window: time(12, 3),
                slow: slow(100),
                ..ok
            },
            Ok(()),
        ),
        (
            BreakerConfig {
                minimum_calls: 0,
                ..ok
            },
            Err(ConfigError::MinimumCalls(0)),
        ),
        (
            BreakerConfig {
                minimum_calls: 5,
                ..ok
            },
            Err(ConfigError::MinimumCalls(5)),
        ),
        (
            BreakerConfig {
                minimum_calls: 4,
                ..ok
            },
            Ok(()),
        ),
        (
            BreakerConfig {
                minimum_calls: 5,
                failure_rate_pct: 0,
                ..ok
            },
            Err(ConfigError::MinimumCalls(5)),
        ),
        (
            BreakerConfig {
                failure_rate_pct: 0,
                ..ok
            },
            Err(ConfigError::Rate(0)),
        ),
        (
            BreakerConfig {
                failure_rate_pct: 101,
                ..ok
            },
            Err(ConfigError::Rate(101)),
        ),
        (
            BreakerConfig {
                failure_rate_pct: 100,
                ..ok
            },
            Ok(()),
        ),
        (
            BreakerConfig {
                slow: slow(0),
                ..ok
            },
            Err(ConfigError::Rate(0)),
        ),
        (
            BreakerConfig {
                slow: slow(101),
                ..ok
            },
            Err(ConfigError::Rate(101)),
        ),
        (
            BreakerConfig {
                slow: slow(7),
                failure_rate_pct: 200,
                ..ok
            },
            Err(ConfigError::Rate(200)),
        ),
        (
            BreakerConfig {
                half_open_probes: 0,
                ..ok
            },
            Err(ConfigError::Probes),
        ),
        (
            BreakerConfig {
                half_open_probes: 0,
                failure_rate_pct: 0,
                ..ok
            },
            Err(ConfigError::Rate(0)),
        ),
        (
            BreakerConfig {
                window: time(10, 3),
                minimum_calls: 0,
                half_open_probes: 0,
                ..ok
            },
            Err(ConfigError::Window(time(10, 3))),
        ),
    ];
    for (config, want) in cases {
        debug_assert_eq!(model_validate(&config), want, "the rubric's own table");
        let got = B::new(config, Arc::new(ManualClock::new())).map(|_| ());
        if got != want {
            return Err(Failure::new(
                format!("new({})", describe_config(&config)),
                format!("{}: {want:?}", CONFIG_ERRORS.property),
                format!("{got:?}"),
            ));
        }
    }
    Ok(())
}
