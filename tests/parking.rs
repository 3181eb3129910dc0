//! The parking rubric, one `#[test]` per criterion.
//!
//! Runs against the reference by default; against your `exercise.rs` with
//! `cargo test --features exercise --test parking` (add `stage1` to run one stage).

#[cfg(not(feature = "exercise"))]
use lld_katas::parking::reference::Lot as Solution;

#[cfg(feature = "exercise")]
use lld_katas::parking::exercise::Lot as Solution;

lld_katas::conformance_tests! {
    suite: lld_katas::parking::conformance::suite::<Solution>,
    stage1_entry_exit_model => "parking/stage1/entry-exit-model",
    stage1_capacity => "parking/stage1/capacity",
    stage1_typed_errors => "parking/stage1/typed-errors",
    stage1_no_spot_leaks => "parking/stage1/no-spot-leaks",
    stage2_fit_rules => "parking/stage2/fit-rules",
    stage2_allocation_order => "parking/stage2/allocation-order",
    stage2_board => "parking/stage2/board",
    stage2_charging_allocation => "parking/stage2/charging-allocation",
    stage2_chargers_kept_for_charging => "parking/stage2/chargers-kept-for-charging",
    stage2_charging_errors => "parking/stage2/charging-errors",
    stage3_hourly_rounding => "parking/stage3/hourly-rounding",
    stage3_exact_fees => "parking/stage3/exact-fees",
    stage3_grace_edge => "parking/stage3/grace-edge",
    stage3_daily_cap => "parking/stage3/daily-cap",
    stage3_monotonic_fee => "parking/stage3/monotonic-fee",
    stage3_tariff_at_entry => "parking/stage3/tariff-at-entry",
    stage3_lost_ticket => "parking/stage3/lost-ticket",
    stage3_charging_fee => "parking/stage3/charging-fee",
    stage3_clock_backwards => "parking/stage3/clock-backwards",
    stage3_saturating_fees => "parking/stage3/saturating-fees",
    stage3_priced_by_vehicle => "parking/stage3/priced-by-vehicle",
    stage4_last_spots_race => "parking/stage4/last-spots-race",
    stage4_gates_churn => "parking/stage4/gates-churn",
    stage4_same_plate_race => "parking/stage4/same-plate-race",
    stage4_exit_versus_lost_ticket => "parking/stage4/exit-versus-lost-ticket",
}
