//! The snake-and-ladder rubric, one `#[test]` per criterion.
//!
//! Runs against the reference by default; against your `exercise.rs` with
//! `cargo test --features exercise --test snake_ladder` (add `stage1` to run one stage).

#[cfg(not(feature = "exercise"))]
use lld_katas::snake_ladder::reference::Board as Solution;

#[cfg(feature = "exercise")]
use lld_katas::snake_ladder::exercise::Board as Solution;

lld_katas::conformance_tests! {
    suite: lld_katas::snake_ladder::conformance::suite::<Solution>,
    stage1_valid_boards_accepted => "snake-ladder/stage1/valid-boards-accepted",
    stage1_invalid_boards_rejected => "snake-ladder/stage1/invalid-boards-rejected",
    stage1_chains_and_cycles => "snake-ladder/stage1/chains-and-cycles",
    stage1_unreachable_last_square => "snake-ladder/stage1/unreachable-last-square",
    stage1_board_file => "snake-ladder/stage1/board-file",
    stage2_turn_order => "snake-ladder/stage2/turn-order",
    stage2_dice => "snake-ladder/stage2/dice",
    stage2_overshoot => "snake-ladder/stage2/overshoot",
    stage2_win_on_last_square => "snake-ladder/stage2/win-on-last-square",
    stage2_extra_turns => "snake-ladder/stage2/extra-turns",
    stage2_chained_jumps => "snake-ladder/stage2/chained-jumps",
    stage2_replay_from_seed => "snake-ladder/stage2/replay-from-seed",
    stage3_long_chains => "snake-ladder/stage3/long-chains",
    stage3_many_players => "snake-ladder/stage3/many-players",
    stage4_expected_turns_exact => "snake-ladder/stage4/expected-turns-exact",
    stage4_distribution_exact => "snake-ladder/stage4/distribution-exact",
    stage4_monte_carlo_agreement => "snake-ladder/stage4/monte-carlo-agreement",
    stage4_analysis_at_scale => "snake-ladder/stage4/analysis-at-scale",
}
