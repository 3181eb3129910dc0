//! Stage 2 checks: time windows and slow calls.

use super::super::{BreakerConfig, CircuitBreaker, SlowCalls, Window};
use super::describe::{Outcome, Step, parse};
use super::scenario::{counted, run_steps};
use super::stage1::rate_pct;
use super::{BUCKET_AGING, SLOW_CALLS, TIME_MODEL};
use crate::grading::{Failure, check_property};
use proptest::prelude::*;
use std::time::Duration;

/// A time-window policy.
pub fn timed(
    width_ns: u64,
    buckets: u32,
    minimum_calls: u32,
    failure_rate_pct: u8,
    slow: Option<SlowCalls>,
) -> BreakerConfig {
    BreakerConfig {
        window: Window::Time {
            span: Duration::from_nanos(width_ns * u64::from(buckets)),
            buckets,
        },
        minimum_calls,
        failure_rate_pct,
        slow,
        open_wait: Duration::from_nanos(1_000),
        half_open_probes: 2,
    }
}

fn slow_policy() -> impl Strategy<Value = Option<SlowCalls>> {
    prop_oneof![
        1 => Just(None),
        3 => (prop::sample::select(vec![0u64, 1, 50, 1_000]), rate_pct()).prop_map(|(t, pct)| {
            Some(SlowCalls { threshold: Duration::from_nanos(t), rate_pct: pct })
        }),
    ]
}

fn time_config() -> impl Strategy<Value = BreakerConfig> {
    (
        1u32..=4,
        prop::sample::select(vec![1u64, 7, 100, 500]),
        1u32..=6,
        rate_pct(),
        slow_policy(),
        prop::sample::select(vec![0u64, 1, 1_000]),
        1u32..=3,
    )
        .prop_map(
            |(buckets, width, minimum, pct, slow, wait, probes)| BreakerConfig {
                open_wait: Duration::from_nanos(wait),
                half_open_probes: probes,
                ..timed(width, buckets, minimum, pct, slow)
            },
        )
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        4 => Just(Outcome::Success),
        3 => Just(Outcome::Failure),
        1 => Just(Outcome::Dropped),
    ]
}

fn time_steps() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => outcome().prop_map(Step::Call),
        4 => (outcome(), -1i8..=1).prop_map(|(o, e)| Step::Timed(o, e)),
        1 => Just(Step::Hold),
        2 => (0usize..4, outcome()).prop_map(|(i, o)| Step::Report(i, o)),
        2 => (0u64..1_200).prop_map(Step::Advance),
        3 => (-1i8..=1).prop_map(Step::ToBucketEdge),
        2 => (-1i8..=1).prop_map(Step::ToRetry),
    ]
}

/// Random sequences on time windows with slow calls behave exactly like the model.
pub fn time_window_model<B: CircuitBreaker>() -> Result<(), Failure> {
    check_property(
        &TIME_MODEL,
        160,
        (
            time_config(),
            prop_oneof![Just(0u64), 0u64..10_000],
            prop::collection::vec(time_steps(), 1..60),
        ),
        |(config, start, steps)| {
            run_steps::<B>(
                config,
                Duration::from_nanos(start),
                &steps,
                TIME_MODEL.property,
            )
        },
    )
}

/// An outcome counts until its bucket is `buckets` old, wherever in its bucket it was
/// reported.
pub fn bucket_aging<B: CircuitBreaker>() -> Result<(), Failure> {
    // Width 100 ns, 3 buckets, 2 failures needed at 100%.
    for buckets in [1u32, 3] {
        let config = timed(100, buckets, 2, 100, None);
        let span = 100 * u64::from(buckets);
        for at in [0u64, 1, 50, 99] {
            // Reported at `at` (bucket 0); the second failure comes just before / exactly at
            // the instant bucket 0 leaves the window, i.e. reading `span`.
            for second in [span - 1, span, span + 1] {
                let steps = parse(&format!("w{at} F w{} F", second - at));
                run_steps::<B>(config, Duration::ZERO, &steps, BUCKET_AGING.property)?;
            }
        }
        // Ages bucket by bucket: the oldest of several leaves first.
        let steps = parse("F B F B F B-1 F B F");
        run_steps::<B>(
            timed(100, buckets, 3, 75, None),
            Duration::from_nanos(40),
            &steps,
            BUCKET_AGING.property,
        )?;
    }
    // A time window never ages by the outcomes' own timestamps.
    let steps = parse("w60 F w290 S F");
    run_steps::<B>(
        timed(100, 3, 3, 60, None),
        Duration::ZERO,
        &steps,
        BUCKET_AGING.property,
    )
}

/// Slow calls: strictly above the threshold, on the injected clock; both rates count.
pub fn slow_calls<B: CircuitBreaker>() -> Result<(), Failure> {
    // A threshold of an hour: real time between try_acquire and the report never reaches it,
    // so only the injected clock can make a call slow.
    let hour = Duration::from_secs(3_600);
    let slow = |pct| {
        Some(SlowCalls {
            threshold: hour,
            rate_pct: pct,
        })
    };
    let count = |calls, minimum, failure_pct, slow_pct| BreakerConfig {
        slow: slow(slow_pct),
        ..counted(calls, minimum, failure_pct, 1_000, 2)
    };
    let table: Vec<(BreakerConfig, &str)> = vec![
        (count(4, 2, 100, 50), "t t t t"),
        (count(4, 2, 100, 50), "t s"),
        (count(4, 2, 100, 50), "s t"),
        (count(4, 4, 100, 75), "s s t s"),
        (count(4, 4, 100, 76), "s s t s"),
        // A slow failure counts in both rates.
        (count(4, 2, 50, 100), "S f"),
        (count(4, 2, 100, 50), "S f"),
        // Slow probes re-open a half-open breaker; fast ones close it.
        (count(4, 2, 100, 50), "s s R s t"),
        (count(4, 2, 100, 50), "s s R t t S S s"),
        (count(4, 2, 100, 100), "s s R s t"),
    ];
    for (config, script) in &table {
        run_steps::<B>(*config, Duration::ZERO, &parse(script), SLOW_CALLS.property)?;
    }
    // The same on a time window.
    let config = timed(7_200_000_000_000, 2, 2, 100, slow(50));
    run_steps::<B>(config, Duration::ZERO, &parse("t t s"), SLOW_CALLS.property)
}
