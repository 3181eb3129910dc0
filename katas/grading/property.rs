//! Property checks on proptest with fixed seeds and minimal counterexamples.
//!
//! Every property criterion calls [`check_property`]. The seed is derived from the criterion id,
//! so `cargo test` and `kata grade` explore the same inputs and the same code always gets the
//! same verdict. When a case fails, proptest shrinks it; the minimal input is then replayed once
//! more to collect its full [`Failure`] (expected / got / transcript).

use super::criterion::{Criterion, Failure};
use super::verdict::caught_panic_message;
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::fmt::Debug;
use std::panic::{self, AssertUnwindSafe};

/// Runs `test` on `cases` inputs drawn from `strategy`, seeded from `criterion.id`.
///
/// `test` returns `Err(Failure)` when the property is broken. A panic inside `test` (in the
/// solution under test) is reported as a crash with the minimal input that triggers it.
pub fn check_property<S>(
    criterion: &Criterion,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), Failure>,
) -> Result<(), Failure>
where
    S: Strategy,
    S::Value: Clone + Debug,
{
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4_096,
        // Never let proptest's environment variables change what a grade means.
        max_global_rejects: 4_096,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, seeded_rng(criterion.id));
    let run_one = |value: S::Value| -> Result<(), Failure> {
        match panic::catch_unwind(AssertUnwindSafe(|| test(value.clone()))) {
            Ok(r) => r,
            Err(payload) => Err(Failure::panicked(
                format!("{value:?}"),
                caught_panic_message(payload.as_ref()),
            )),
        }
    };
    let outcome = runner.run(&strategy, |value| {
        run_one(value).map_err(|f| TestCaseError::fail(f.got))
    });
    match outcome {
        Ok(()) => Ok(()),
        Err(TestError::Fail(reason, minimal)) => match run_one(minimal.clone()) {
            Err(f) => Err(f),
            // The minimal case passed on replay: the failure depends on timing. Report what
            // proptest saw rather than nothing.
            Ok(()) => Err(Failure::new(
                format!("{minimal:?}"),
                criterion.property,
                format!("{reason} (did not reproduce on replay: timing-dependent?)"),
            )),
        },
        Err(TestError::Abort(reason)) => Err(Failure::new(
            "(input generation)",
            "the property check to run",
            format!("aborted: {reason}"),
        )),
    }
}

/// A ChaCha RNG whose seed is a hash of `label`.
pub fn seeded_rng(label: &str) -> TestRng {
    let mut seed = [0u8; 32];
    for (i, chunk) in seed.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&fnv1a(label, i as u64).to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &seed)
}

/// FNV-1a, salted: stable across platforms and Rust versions (unlike `DefaultHasher`).
pub fn fnv1a(label: &str, salt: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for b in label.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}
