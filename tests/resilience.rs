//! The resilience rubric, one `#[test]` per criterion.
//!
//! Runs against the reference by default; against your `exercise.rs` with
//! `cargo test --features exercise --test resilience` (add `stage1` to run one stage).

#[cfg(not(feature = "exercise"))]
use lld_katas::resilience::reference::{Breaker as Solution, Bulkhead as Pool};

#[cfg(feature = "exercise")]
use lld_katas::resilience::exercise::{Breaker as Solution, Pool};

lld_katas::conformance_tests! {
    suite: lld_katas::resilience::conformance::suite::<Solution, Pool>,
    stage1_count_window_model => "resilience/stage1/count-window-model",
    stage1_failure_rate => "resilience/stage1/failure-rate",
    stage1_rate_at_threshold => "resilience/stage1/rate-at-threshold",
    stage1_minimum_calls => "resilience/stage1/minimum-calls",
    stage1_window_slides => "resilience/stage1/window-slides",
    stage1_open_wait => "resilience/stage1/open-wait",
    stage1_half_open_probes => "resilience/stage1/half-open-probes",
    stage1_half_open_verdict => "resilience/stage1/half-open-verdict",
    stage1_fresh_periods => "resilience/stage1/fresh-periods",
    stage1_config_errors => "resilience/stage1/config-errors",
    stage2_time_window_model => "resilience/stage2/time-window-model",
    stage2_bucket_aging => "resilience/stage2/bucket-aging",
    stage2_slow_calls => "resilience/stage2/slow-calls",
    stage3_probes_race => "resilience/stage3/probes-race",
    stage3_dropped_permit => "resilience/stage3/dropped-permit",
    stage3_no_lost_outcome => "resilience/stage3/no-lost-outcome",
    stage4_bulkhead_model => "resilience/stage4/bulkhead-model",
    stage4_bulkhead_limits => "resilience/stage4/bulkhead-limits",
    stage4_bulkhead_fifo => "resilience/stage4/bulkhead-fifo",
    stage4_bulkhead_deadline => "resilience/stage4/bulkhead-deadline",
    stage4_bulkhead_handoff => "resilience/stage4/bulkhead-handoff",
    stage4_bulkhead_race => "resilience/stage4/bulkhead-race",
}

/// A second correct design — every outcome of the period in a list, the window recomputed on
/// each report (the mutants' base with no flaw switched on) — scores full marks too: the rubric
/// checks what the contract says, not how the reference does it.
#[cfg(all(feature = "mutants", not(feature = "exercise")))]
mod second_design {
    use lld_katas::resilience::mutants::{Flawed, FlawedBulkhead, NoFlaw};

    lld_katas::conformance_tests! {
        suite: lld_katas::resilience::conformance::suite::<Flawed<NoFlaw>, FlawedBulkhead<NoFlaw>>,
        stage1_count_window_model => "resilience/stage1/count-window-model",
        stage1_failure_rate => "resilience/stage1/failure-rate",
        stage1_rate_at_threshold => "resilience/stage1/rate-at-threshold",
        stage1_minimum_calls => "resilience/stage1/minimum-calls",
        stage1_window_slides => "resilience/stage1/window-slides",
        stage1_open_wait => "resilience/stage1/open-wait",
        stage1_half_open_probes => "resilience/stage1/half-open-probes",
        stage1_half_open_verdict => "resilience/stage1/half-open-verdict",
        stage1_fresh_periods => "resilience/stage1/fresh-periods",
        stage1_config_errors => "resilience/stage1/config-errors",
        stage2_time_window_model => "resilience/stage2/time-window-model",
        stage2_bucket_aging => "resilience/stage2/bucket-aging",
        stage2_slow_calls => "resilience/stage2/slow-calls",
        stage3_probes_race => "resilience/stage3/probes-race",
        stage3_dropped_permit => "resilience/stage3/dropped-permit",
        stage3_no_lost_outcome => "resilience/stage3/no-lost-outcome",
        stage4_bulkhead_model => "resilience/stage4/bulkhead-model",
        stage4_bulkhead_limits => "resilience/stage4/bulkhead-limits",
        stage4_bulkhead_fifo => "resilience/stage4/bulkhead-fifo",
        stage4_bulkhead_deadline => "resilience/stage4/bulkhead-deadline",
        stage4_bulkhead_handoff => "resilience/stage4/bulkhead-handoff",
        stage4_bulkhead_race => "resilience/stage4/bulkhead-race",
    }
}
