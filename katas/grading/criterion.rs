//! What a rubric is made of: criteria, the checks behind them, and how a failure is told.

use std::fmt;

/// One automated rubric line.
///
/// The `id` is stable (`<kata>/stage<N>/<slug>`): score cards, mutants and tests refer to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Criterion {
    /// Stable id, e.g. `rate-limiter/stage1/burst-exact`.
    pub id: &'static str,
    /// The interview stage that introduces it (1-based).
    pub stage: u8,
    /// Points this criterion is worth on the score card.
    pub weight: u32,
    /// One line, shown next to the verdict.
    pub title: &'static str,
    /// The property checked, in plain words.
    pub property: &'static str,
    /// What usually fixes a failure, shown with it.
    pub hint: &'static str,
}

impl Criterion {
    /// A criterion, usable in `const` rubric tables.
    pub const fn new(
        id: &'static str,
        stage: u8,
        weight: u32,
        title: &'static str,
        property: &'static str,
        hint: &'static str,
    ) -> Self {
        Self {
            id,
            stage,
            weight,
            title,
            property,
            hint,
        }
    }
}

/// The automated check behind a criterion, already bound to one implementation.
///
/// Checks are plain `fn` pointers produced by monomorphising a kata's generic check functions
/// (`window_bound::<MyLimiter>`), so the same check runs under `cargo test` and in a `kata grade`
/// child process.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// The rubric line this check decides.
    pub criterion: &'static Criterion,
    /// Runs the check; `Err` carries the evidence.
    pub run: fn() -> Result<(), Failure>,
}

impl Check {
    /// Binds a criterion to its check.
    pub const fn new(criterion: &'static Criterion, run: fn() -> Result<(), Failure>) -> Self {
        Self { criterion, run }
    }
}

/// Evidence that a property does not hold: the steps to replay, what should have happened and
/// what did.
///
/// `input` is written as the steps a person would replay, one per line
/// (see [`Transcript`]); property checks shrink it to a minimal counterexample first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The (minimal) input, as replayable steps.
    pub input: String,
    /// What the property requires.
    pub expected: String,
    /// What the solution did.
    pub got: String,
    /// Set when the solution panicked instead of answering; the panic message.
    pub panic: Option<String>,
}

impl Failure {
    /// A failure with the given evidence.
    pub fn new(
        input: impl fmt::Display,
        expected: impl fmt::Display,
        got: impl fmt::Display,
    ) -> Self {
        Self {
            input: input.to_string(),
            expected: expected.to_string(),
            got: got.to_string(),
            panic: None,
        }
    }

    /// The solution panicked while running `input`.
    pub fn panicked(input: impl fmt::Display, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            input: input.to_string(),
            expected: "an answer (a value or a typed error)".to_string(),
            got: format!("panic: {message}"),
            panic: Some(message),
        }
    }
}

/// Fails a check with `Failure::new(input, expected, got)` unless `cond` holds.
///
/// ```
/// # use lld_katas::{ensure, grading::Failure};
/// fn check(x: u32) -> Result<(), Failure> {
///     ensure!(x < 3, "x = {x}", "x below 3", "{x}");
///     Ok(())
/// }
/// assert!(check(2).is_ok());
/// assert_eq!(check(5).unwrap_err().got, "5");
/// ```
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $input:expr, $expected:expr, $($got:tt)+) => {
        if !$cond {
            return Err($crate::grading::Failure::new($input, $expected, format!($($got)+)));
        }
    };
}

/// The steps of a scenario, recorded as they run, so a failure can show how to replay it.
///
/// ```
/// # use lld_katas::grading::Transcript;
/// let mut t = Transcript::new("capacity 3, refill 1 token / 1 s");
/// t.step("acquire 3 at t=0 → granted");
/// assert_eq!(t.to_string(), "capacity 3, refill 1 token / 1 s\nacquire 3 at t=0 → granted");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    lines: Vec<String>,
}

impl Transcript {
    /// A transcript whose first line describes the setup.
    pub fn new(setup: impl Into<String>) -> Self {
        Self {
            lines: vec![setup.into()],
        }
    }

    /// Records one step.
    pub fn step(&mut self, line: impl Into<String>) {
        self.lines.push(line.into());
    }

    /// Number of lines recorded, setup included.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// True when nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

impl fmt::Display for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Long scenarios are elided in the middle: the setup and the steps just before the
        // failure are what a reader needs.
        const HEAD: usize = 4;
        const TAIL: usize = 12;
        let n = self.lines.len();
        let mut first = true;
        let mut emit = |f: &mut fmt::Formatter<'_>, s: &str| {
            if !first {
                writeln!(f)?;
            }
            first = false;
            write!(f, "{s}")
        };
        if n <= HEAD + TAIL + 1 {
            for l in &self.lines {
                emit(f, l)?;
            }
        } else {
            for l in &self.lines[..HEAD] {
                emit(f, l)?;
            }
            emit(f, &format!("… {} steps …", n - HEAD - TAIL))?;
            for l in &self.lines[n - TAIL..] {
                emit(f, l)?;
            }
        }
        Ok(())
    }
}

/// A rubric line an interviewer scores by reading the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManualCriterion {
    /// Short name, e.g. "API clarity".
    pub name: &'static str,
    /// What to look for.
    pub look_for: &'static str,
    /// Suggested points.
    pub weight: u32,
}

/// Manual criteria every kata shares. A kata may add its own after these.
pub const COMMON_MANUAL_CRITERIA: &[ManualCriterion] = &[
    ManualCriterion {
        name: "API clarity",
        look_for: "Types say what they mean (no bare bools or magic numbers in signatures); the happy path reads in one line; misuse is hard.",
        weight: 3,
    },
    ManualCriterion {
        name: "Decomposition",
        look_for: "State, policy and arithmetic live in separate, small pieces; the concurrency strategy is in one place and explained.",
        weight: 3,
    },
    ManualCriterion {
        name: "Naming",
        look_for: "Names come from the problem (tokens, spots, squares), units are in names or types, no abbreviations a reader must decode.",
        weight: 2,
    },
    ManualCriterion {
        name: "Error handling",
        look_for: "Bad input is a typed error with a useful message; no unwrap on input; a failed call leaves no half-done state.",
        weight: 3,
    },
    ManualCriterion {
        name: "The candidate's own tests",
        look_for: "Edge cases named before they were asked for; tests use the injected clock/dice, not sleeps; at least one test would catch the candidate's own likeliest bug.",
        weight: 3,
    },
];
