//! The traceability table: each normative rule of a contract, the criteria that drive a
//! solution into it, and (through [`Mutant::breaks`](super::Mutant::breaks)) the mutants that
//! violate exactly it.
//!
//! A rule nobody drives a solution into is a rule any wrong solution passes. So every "must",
//! every error and its order, every bound, rounding or saturation rule in a contract's docs gets
//! a stable id here, and [`audit`](super::audit) fails when a rule has no criterion or no mutant
//! that breaks it — which `cargo test` runs.

/// One normative statement of a kata's contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable id, `<kata>/<slug>`, e.g. `parking/stay-clock-backwards`.
    pub id: &'static str,
    /// The rule in the contract's words (one sentence).
    pub text: &'static str,
    /// Ids of the criteria whose checks drive a solution into this rule.
    pub criteria: &'static [&'static str],
}

impl Rule {
    /// A rule, usable in `const` tables.
    pub const fn new(
        id: &'static str,
        text: &'static str,
        criteria: &'static [&'static str],
    ) -> Self {
        Self { id, text, criteria }
    }
}
