//! How a kata presents itself to the grader. The grader knows katas only through [`Kata`].

use super::criterion::{Check, Criterion, ManualCriterion};
use super::rules::Rule;

/// Everything the grader and the command line need to know about one kata.
///
/// Each kata builds one of these in its `mod.rs`; `crate::katas()` lists them. Nothing in
/// `grading/` names a kata.
#[derive(Debug, Clone)]
pub struct Kata {
    /// Command-line id, e.g. `rate-limiter`.
    pub id: &'static str,
    /// One-line title.
    pub title: &'static str,
    /// The interview prompt (markdown), stage by stage.
    pub prompt: &'static str,
    /// Stage titles, in order; stage `n` is `stages[n - 1]`.
    pub stages: &'static [&'static str],
    /// Every automated criterion, in rubric order.
    pub criteria: &'static [Criterion],
    /// Every normative rule of the contract, with the criteria that exercise it.
    pub rules: &'static [Rule],
    /// Kata-specific manual criteria, judged by reading the code (after the common ones).
    pub manual: &'static [ManualCriterion],
    /// The reference solution's suite.
    pub reference: fn() -> Vec<Check>,
    /// The candidate's stub's suite.
    pub exercise: fn() -> Vec<Check>,
    /// The stub's source (`exercise.rs`), which `kata new` copies into a candidate's crate.
    /// It names the contract as `super::…` and the crate as `crate::…`, and ends with a
    /// `pub fn suite() -> Vec<Check>` that binds the rubric to its own types.
    pub stub: &'static str,
    /// Known-wrong implementations the rubric must reject.
    pub mutants: fn() -> Vec<Mutant>,
    /// The kata's own analysis tool, run by `kata analyze <kata> [ARGS…]`, if it has one. It
    /// parses its own arguments (everything after the kata id) and prints its own output.
    pub analyze: Option<fn(&[String]) -> std::process::ExitCode>,
}

/// A known-wrong implementation, and the criteria that must catch it.
#[derive(Debug, Clone)]
pub struct Mutant {
    /// Short kebab-case name, usable as `--impl mutant:<name>`.
    pub name: &'static str,
    /// The bug, in plain words.
    pub bug: &'static str,
    /// Ids of criteria this mutant must fail. For hostile mutants (which panic, hang or abort),
    /// every criterion it reaches should read `crash` or `timeout`.
    pub must_fail: &'static [&'static str],
    /// Ids of the contract [`Rule`]s this mutant violates (for a realistic mutant, ideally
    /// exactly one). Empty for hostile mutants.
    pub breaks: &'static [&'static str],
    /// Panics, hangs, exits, forges a verdict or exhausts memory: only safe to grade out of
    /// process.
    pub hostile: bool,
    /// The suite bound to this mutant.
    pub suite: fn() -> Vec<Check>,
}

impl Mutant {
    /// A realistic mutant: one real mistake, which the criteria `must_fail` must reject.
    pub fn realistic(
        name: &'static str,
        bug: &'static str,
        must_fail: &'static [&'static str],
        suite: fn() -> Vec<Check>,
    ) -> Self {
        Self {
            name,
            bug,
            must_fail,
            breaks: &[],
            hostile: false,
            suite,
        }
    }

    /// The contract rules this mutant violates (see [`Rule`]).
    ///
    /// ```
    /// # use lld_katas::grading::{Check, Mutant};
    /// # fn suite() -> Vec<Check> { Vec::new() }
    /// let m = Mutant::realistic("off-by-one", "grants one too many", &["k/stage1/x"], suite)
    ///     .breaking(&["k/burst-exact"]);
    /// assert_eq!(m.breaks, ["k/burst-exact"]);
    /// ```
    #[must_use]
    pub fn breaking(mut self, rules: &'static [&'static str]) -> Self {
        self.breaks = rules;
        self
    }

    /// A hostile mutant: it panics, hangs or aborts, and must only cost the criteria it reaches.
    pub fn hostile(name: &'static str, bug: &'static str, suite: fn() -> Vec<Check>) -> Self {
        Self {
            name,
            bug,
            must_fail: &[],
            breaks: &[],
            hostile: true,
            suite,
        }
    }
}

/// Which implementation of a kata to grade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImplChoice {
    /// The model answer.
    Reference,
    /// The candidate's `exercise.rs`.
    Exercise,
    /// A known-wrong implementation, by name.
    Mutant(String),
}

impl ImplChoice {
    /// Parses `reference`, `exercise` or `mutant:<name>`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reference" => Some(Self::Reference),
            "exercise" => Some(Self::Exercise),
            _ => s
                .strip_prefix("mutant:")
                .filter(|n| !n.is_empty())
                .map(|n| Self::Mutant(n.to_string())),
        }
    }

    /// The form accepted by [`ImplChoice::parse`].
    pub fn label(&self) -> String {
        match self {
            Self::Reference => "reference".into(),
            Self::Exercise => "exercise".into(),
            Self::Mutant(n) => format!("mutant:{n}"),
        }
    }
}

impl Kata {
    /// The suite for `choice`, or `None` for an unknown mutant.
    pub fn suite(&self, choice: &ImplChoice) -> Option<Vec<Check>> {
        match choice {
            ImplChoice::Reference => Some((self.reference)()),
            ImplChoice::Exercise => Some((self.exercise)()),
            ImplChoice::Mutant(name) => self.mutant(name).map(|m| (m.suite)()),
        }
    }

    /// A mutant by name.
    pub fn mutant(&self, name: &str) -> Option<Mutant> {
        (self.mutants)().into_iter().find(|m| m.name == name)
    }

    /// A rule by id.
    pub fn rule(&self, id: &str) -> Option<&'static Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// A criterion by id.
    pub fn criterion(&self, id: &str) -> Option<&'static Criterion> {
        self.criteria.iter().find(|c| c.id == id)
    }

    /// Total weight of the automated criteria up to and including `stage`.
    pub fn max_score(&self, up_to_stage: u8) -> u32 {
        self.criteria
            .iter()
            .filter(|c| c.stage <= up_to_stage)
            .map(|c| c.weight)
            .sum()
    }

    /// Number of stages.
    pub fn stage_count(&self) -> u8 {
        u8::try_from(self.stages.len()).unwrap_or(u8::MAX)
    }
}
