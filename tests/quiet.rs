//! What a candidate sees when a criterion fails: its explanation, once, and nothing else —
//! no panic message per property case, no backtrace, with or without `RUST_BACKTRACE=1`.
//!
//! `every_stage1_failure_of_the_stub_is_one_short_explanation` re-runs this test binary on
//! `stage1_through_the_test_path`, in the mode that grades the untouched stub, and counts the
//! lines it prints.

use lld_katas::grading::{Kata, assert_criterion};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::Command;

/// Set in the child run: grade the stub instead of the reference.
const STUB_MODE: &str = "KATA_QUIET_TEST_STUB";

/// Lines an explained failure may take (the shape has seven fields; long inputs wrap).
const LINES_PER_CRITERION: usize = 15;

fn stage1_ids(kata: &Kata) -> Vec<&'static str> {
    kata.criteria
        .iter()
        .filter(|c| c.stage == 1)
        .map(|c| c.id)
        .collect()
}

/// Runs every kata's stage-1 criteria through `assert_criterion`, the body of each generated
/// `#[test]`: on the reference every one passes; in the stub mode every one must fail.
#[test]
fn stage1_through_the_test_path() {
    let stub = std::env::var_os(STUB_MODE).is_some();
    for kata in lld_katas::katas() {
        let suite = if stub { kata.exercise } else { kata.reference };
        for id in stage1_ids(&kata) {
            let outcome = catch_unwind(AssertUnwindSafe(|| assert_criterion(suite, id)));
            assert_eq!(
                outcome.is_err(),
                stub,
                "{id}: expected {}",
                if stub { "a failure" } else { "a pass" }
            );
        }
    }
}

#[test]
fn every_stage1_failure_of_the_stub_is_one_short_explanation() {
    let exe = std::env::current_exe().unwrap();
    for backtrace in ["0", "1"] {
        let out = Command::new(&exe)
            .args([
                "stage1_through_the_test_path",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(STUB_MODE, "1")
            .env("RUST_BACKTRACE", backtrace)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "the child run failed:\n{text}");
        let criteria: Vec<&str> = lld_katas::katas().iter().flat_map(stage1_ids).collect();
        for id in &criteria {
            let told = text.matches(&format!(" {id} — ")).count();
            assert_eq!(told, 1, "{id} was explained {told} times:\n{text}");
        }
        assert!(
            !text.contains("panicked at") && !text.contains("stack backtrace"),
            "a panic reached the terminal (RUST_BACKTRACE={backtrace}):\n{text}"
        );
        // The harness adds a few lines of its own around the explanations.
        let budget = LINES_PER_CRITERION * criteria.len() + 10;
        let lines = text.lines().count();
        assert!(
            lines <= budget,
            "{lines} lines for {} failing criteria (budget {budget}, RUST_BACKTRACE={backtrace}):\n{text}",
            criteria.len()
        );
        assert!(text.contains("fill in the todo!()"), "{text}");
    }
}
