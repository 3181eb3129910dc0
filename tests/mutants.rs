//! The rubric's own tests: it accepts the reference, reports the stub as not implemented, and
//! rejects every realistic mutant on the criteria named for it — twenty runs in a row.
//!
//! These run for every registered kata; adding a kata adds nothing here.
//! Hostile mutants (panic, deadlock, spin, abort) are graded through the real binary in
//! `tests/cli.rs`, where a process boundary contains them.

use lld_katas::grading::{self, Check, Kata, Status, run_with_watchdog, test_timeout};
use std::thread;

/// How many times each (mutant, criterion) pair must be caught in a row.
const RUNS: usize = 20;

/// The runs of one pair are split into jobs of this many, so that a pair whose catch waits out
/// a timeout (a hung store, a held clock) does not hold one worker for all twenty.
const RUNS_PER_JOB: usize = 5;

/// Every registered kata, or only those named in `KATA_ONLY` (comma-separated ids, e.g.
/// `KATA_ONLY=parking cargo test --test mutants`) while working on one kata.
fn katas() -> Vec<Kata> {
    let only = std::env::var("KATA_ONLY").unwrap_or_default();
    let only: Vec<&str> = only
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    lld_katas::katas()
        .into_iter()
        .filter(|k| only.is_empty() || only.contains(&k.id))
        .collect()
}

/// Runs `jobs` on eight threads. Many checks mostly wait — for a server to start, for a hung
/// store's timeout, for a held clock's patience — so eight workers keep two cores busy.
fn parallel<T: Send>(jobs: Vec<Box<dyn FnOnce() -> T + Send>>) -> Vec<T> {
    let jobs = std::sync::Mutex::new(jobs.into_iter().enumerate().collect::<Vec<_>>());
    let results = std::sync::Mutex::new(Vec::new());
    thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                loop {
                    let Some((i, job)) = jobs.lock().unwrap().pop() else {
                        break;
                    };
                    let r = job();
                    results.lock().unwrap().push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

#[test]
fn every_kata_is_consistent() {
    // Every kata's problems at once, so one kata's cannot hide another's.
    let problems: Vec<String> = katas()
        .iter()
        .flat_map(|kata| {
            grading::audit(kata)
                .into_iter()
                .map(move |p| format!("{}: {p}", kata.id))
        })
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_reference_passes_every_criterion() {
    for kata in katas() {
        for check in (kata.reference)() {
            let v = run_with_watchdog(&check, test_timeout());
            assert_eq!(v.status, Status::Pass, "{}", v.explain(check.criterion));
        }
    }
}

#[test]
fn the_stub_is_not_implemented_on_every_criterion() {
    for kata in katas() {
        for check in (kata.exercise)() {
            let v = run_with_watchdog(&check, test_timeout());
            assert_eq!(
                v.status,
                Status::NotImplemented,
                "the untouched stub should read not_implemented:\n{}",
                v.explain(check.criterion)
            );
        }
    }
}

#[test]
fn every_realistic_mutant_fails_its_named_criteria_every_time() {
    let mut jobs: Vec<Box<dyn FnOnce() -> Result<(), String> + Send>> = Vec::new();
    for kata in katas() {
        for mutant in (kata.mutants)().into_iter().filter(|m| !m.hostile) {
            let suite: Vec<Check> = (mutant.suite)();
            for id in mutant.must_fail {
                let check = *suite
                    .iter()
                    .find(|c| c.criterion.id == *id)
                    .unwrap_or_else(|| {
                        panic!("mutant {} names unknown criterion {id}", mutant.name)
                    });
                let name = mutant.name;
                for first in (1..=RUNS).step_by(RUNS_PER_JOB) {
                    let runs = first..=(first + RUNS_PER_JOB - 1).min(RUNS);
                    jobs.push(Box::new(move || run_caught(&check, name, id, runs)));
                }
            }
        }
    }
    let misses: Vec<String> = parallel(jobs).into_iter().filter_map(Result::err).collect();
    assert!(
        misses.is_empty(),
        "mutants not caught:\n{}",
        misses.join("\n")
    );
}

/// Runs `check` once for each of `runs`; every run must fail, stating the property.
fn run_caught(
    check: &Check,
    name: &str,
    id: &str,
    runs: std::ops::RangeInclusive<usize>,
) -> Result<(), String> {
    for run in runs {
        let v = run_with_watchdog(check, test_timeout());
        if !matches!(v.status, Status::Fail | Status::Crash) {
            return Err(format!(
                "mutant `{name}` got `{}` on {id} in run {run} of {RUNS}",
                v.status
            ));
        }
        let explained = v.explain(check.criterion);
        if !explained.contains(check.criterion.property) {
            return Err(format!(
                "the failure of {id} for `{name}` does not state the property:\n{explained}"
            ));
        }
    }
    Ok(())
}
