//! # lld-katas
//!
//! Backend low-level-design interview katas, each with a conformance suite that can tell a
//! correct solution from a subtly wrong one — including under concurrency — and a grader that
//! turns the suite into a score card.
//!
//! # Bird's-eye view
//!
//! A *kata* is an interview prompt told in stages (basic → extensions → concurrency). For each one
//! the crate ships the prompt, a contract (traits and types), a reference solution, a stub for the
//! candidate, a rubric of automated criteria, and *mutants*: known-wrong solutions that prove every
//! criterion can fail.
//!
//! # Code map
//!
//! - [`clock`] — injected time: the [`Clock`](clock::Clock) trait, `ManualClock` for tests,
//!   `SystemClock` for real use, `YieldingClock` to widen race windows.
//! - [`grading`] — the rubric engine: criteria, checks, watchdog, property runner, process
//!   isolation, score cards. Knows no kata by name.
//! - [`rate_limiter`] — token bucket with burst, concurrency and FIFO fairness; per-tenant
//!   quotas; one limit shared by a fleet through Redis.
//! - [`parking`] — parking lot with levels, spot kinds, composable pricing and concurrent gates.
//! - [`snake_ladder`] — snake-and-ladder engine: board validation, rules as data, exact
//!   game-length analysis (`kata analyze snake-ladder`).
//! - [`cache`] — bounded LRU cache: exact recency and eviction, per-entry expiry on the
//!   injected clock, a shared cache for many threads, a loading cache with single flight, a
//!   scan-resistant eviction policy.
//! - [`resilience`] — circuit breaker: count and time windows, slow calls, a half-open state
//!   that grants exactly K probes and cannot stick.
//! - `katas()` (below) — the one place where katas register with the command line and the grader.
//! - [`cli`] — the `kata` command line (`list`, `prompt`, `hint`, `rubric`, `rules`, `grade`,
//!   `mutants`, `analyze`, `new`, `next`, `watch`, `status`), shared by the checkout's `main.rs`
//!   and every candidate's crate (which binds its own solution in as `exercise`).
//!
//! Every kata folder has the same six rooms. A room is a file, or — once it outgrows about 800
//! lines — a folder of the same name holding one-job files (`conformance/mod.rs` with the
//! criteria, the rule table and `suite()`; `conformance/model.rs`, the oracle;
//! `conformance/stage1.rs` …; `reference/` with one file per solution):
//!
//! | room | job |
//! |---|---|
//! | `PROMPT.md` | the interview prompt, stage by stage |
//! | `mod.rs` | the contract: traits, config types, typed errors, each rule with its id; the kata's registration |
//! | `reference` | the model answer |
//! | `exercise.rs` | the stub the candidate edits (`todo!()` bodies that restate the contract) |
//! | `conformance` | the rubric: criteria, the rule table, checks generic over the contract |
//! | `mutants` | known-wrong implementations, one per realistic bug, plus hostile ones |
//!
//! # Architecture invariants
//!
//! - **`grading/` names no kata.** Katas describe themselves with a
//!   [`grading::Kata`] and register in [`katas`]; adding a kata touches no grader code.
//! - **A kata's `conformance` sees only its contract**, never the reference's internals, so
//!   any correct design — a mutex or atomics, a different data structure — gets full marks.
//! - **Time reaches solution code only through [`clock::Clock`]; randomness only through an
//!   injected RNG or dice.** No check sleeps. The one real clock in the rubric is a real
//!   server's: checks against Redis measure their bounds on its `TIME`, and bound a hung
//!   store's cost the way the watchdog bounds a hang (network timeouts are real time, enforced
//!   by sockets, not by the injected clock).
//! - **Services are started by the checks that need them** ([`grading::services`]: a private
//!   `redis-server` on a free loopback port, stopped even if the check's process is killed).
//!   Where one cannot be started the criterion reads `unavailable`, never `fail`.
//! - **The stub and the reference expose the same public API**, because both implement the same
//!   contract trait: the compiler checks it.
//! - **Every automated criterion is failed by at least one mutant** — [`grading::audit`] checks
//!   it and `tests/mutants.rs` proves it, twenty runs in a row.
//! - **Every rule of a contract has a criterion and a mutant.** Each kata's rule table
//!   ([`grading::Rule`]) maps every normative statement of its contract to the criteria that
//!   drive a solution into it; each realistic mutant names the rules it breaks;
//!   [`grading::audit`] fails on a rule without either, or a criterion outside the table.
//! - **Solution code cannot write a verdict.** A grader child reports on stdout only with the
//!   secret its parent handed it on stdin ([`grading::isolate`]); it runs under a memory limit.
//! - **Nothing that runs solution code can hang**: a watchdog in process, a hard deadline per
//!   child process in `kata grade`.
//!
//! What is deliberately absent: no kata-specific code in the grader; no floats in money or token
//! arithmetic; no `unsafe` in reference code; no global state in solutions.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cache;
pub mod cli;
pub mod clock;
pub mod grading;
pub mod parking;
pub mod rate_limiter;
pub mod resilience;
pub mod snake_ladder;

/// Every kata, in the order `kata list` shows them. Registering a kata means adding it here.
pub fn katas() -> Vec<grading::Kata> {
    vec![
        rate_limiter::kata(),
        parking::kata(),
        snake_ladder::kata(),
        cache::kata(),
        resilience::kata(),
    ]
}

/// A kata by its command-line id.
pub fn kata(id: &str) -> Option<grading::Kata> {
    katas().into_iter().find(|k| k.id == id)
}
