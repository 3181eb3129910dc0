//! The score card: what an interviewer reads, in text, markdown or JSON.

use super::criterion::{COMMON_MANUAL_CRITERIA, Criterion, ManualCriterion};
use super::kata::Kata;
use super::verdict::{Status, Verdict};
use serde::Serialize;
use std::fmt::Write as _;

/// Output formats of `kata grade`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For a terminal, with progress while it runs.
    Text,
    /// To paste into interview feedback.
    Markdown,
    /// For tools.
    Json,
}

impl Format {
    /// Every format, by name.
    pub const NAMES: &'static [&'static str] = &["text", "markdown", "json"];

    /// Parses a format name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "text" => Some(Self::Text),
            "markdown" | "md" => Some(Self::Markdown),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

/// One graded criterion.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// Stable criterion id.
    pub id: &'static str,
    /// Stage that introduces it.
    pub stage: u8,
    /// One-line title.
    pub title: &'static str,
    /// Points.
    pub weight: u32,
    /// Verdict status.
    pub status: Status,
    /// One-line summary (empty on a pass).
    pub message: String,
    /// The property, in plain words.
    pub property: &'static str,
    /// Minimal counterexample, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// What the property requires, with a counterexample.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What came back, with a counterexample.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub got: Option<String>,
    /// How to fix it, on a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Line {
    /// Joins a criterion and its verdict.
    pub fn new(c: &'static Criterion, v: Verdict) -> Self {
        let hint = (v.status != Status::Pass).then(|| c.hint.to_string());
        Self {
            id: c.id,
            stage: c.stage,
            title: c.title,
            weight: c.weight,
            status: v.status,
            message: v.message,
            property: c.property,
            input: v.input,
            expected: v.expected,
            got: v.got,
            hint,
        }
    }

    fn verdict(&self) -> Verdict {
        Verdict {
            status: self.status,
            message: self.message.clone(),
            input: self.input.clone(),
            expected: self.expected.clone(),
            got: self.got.clone(),
        }
    }
}

/// A manual criterion as it appears on the card, unscored.
#[derive(Debug, Clone, Serialize)]
pub struct ManualLine {
    /// Short name.
    pub name: &'static str,
    /// What to look for.
    pub look_for: &'static str,
    /// Suggested points.
    pub weight: u32,
}

impl From<&ManualCriterion> for ManualLine {
    fn from(m: &ManualCriterion) -> Self {
        Self {
            name: m.name,
            look_for: m.look_for,
            weight: m.weight,
        }
    }
}

/// The whole card.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreCard {
    /// Kata id.
    pub kata: &'static str,
    /// `reference`, `exercise` or `mutant:<name>`.
    pub implementation: String,
    /// Highest stage graded.
    pub stage: u8,
    /// Sum of the weights of passed criteria.
    pub score: u32,
    /// Sum of all graded weights.
    pub max_score: u32,
    /// Count of criteria per status.
    pub counts: Counts,
    /// Every graded criterion, in rubric order.
    pub criteria: Vec<Line>,
    /// Criteria for the interviewer to score by reading the code.
    pub manual_criteria: Vec<ManualLine>,
}

/// How many criteria ended in each status.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// Passed.
    pub pass: usize,
    /// Failed with a counterexample.
    pub fail: usize,
    /// Did not finish.
    pub timeout: usize,
    /// Panicked or died.
    pub crash: usize,
    /// Still `todo!()`.
    pub not_implemented: usize,
    /// Could not run here (a service it needs was missing).
    pub unavailable: usize,
}

impl ScoreCard {
    /// Totals the lines.
    pub fn new(kata: &Kata, implementation: String, stage: u8, criteria: Vec<Line>) -> Self {
        let mut counts = Counts::default();
        for l in &criteria {
            match l.status {
                Status::Pass => counts.pass += 1,
                Status::Fail => counts.fail += 1,
                Status::Timeout => counts.timeout += 1,
                Status::Crash => counts.crash += 1,
                Status::NotImplemented => counts.not_implemented += 1,
                Status::Unavailable => counts.unavailable += 1,
            }
        }
        Self {
            kata: kata.id,
            implementation,
            stage,
            score: criteria
                .iter()
                .filter(|l| l.status == Status::Pass)
                .map(|l| l.weight)
                .sum(),
            max_score: criteria.iter().map(|l| l.weight).sum(),
            counts,
            criteria,
            manual_criteria: COMMON_MANUAL_CRITERIA
                .iter()
                .chain(kata.manual)
                .map(ManualLine::from)
                .collect(),
        }
    }

    /// True when every automated criterion that could run here passed.
    ///
    /// Criteria that were [`Status::Unavailable`] (a service they need could not be started)
    /// neither pass nor fail: they add nothing to `score` and are listed on the card with the
    /// reason, so the grade says plainly what it could not check.
    pub fn all_passed(&self) -> bool {
        self.criteria
            .iter()
            .all(|l| matches!(l.status, Status::Pass | Status::Unavailable))
    }

    /// Points of the criteria that could not run here.
    pub fn unavailable_points(&self) -> u32 {
        self.criteria
            .iter()
            .filter(|l| l.status == Status::Unavailable)
            .map(|l| l.weight)
            .sum()
    }

    /// Renders the card in `format`.
    pub fn render(&self, kata: &Kata, format: Format) -> String {
        match format {
            Format::Text => self.text(kata),
            Format::Markdown => self.markdown(),
            Format::Json => {
                serde_json::to_string_pretty(self).expect("a score card always serialises") + "\n"
            }
        }
    }

    fn text(&self, kata: &Kata) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n{} — {} (stages 1–{})\n",
            self.kata, self.implementation, self.stage
        );
        for l in &self.criteria {
            if l.status == Status::Pass {
                continue;
            }
            if let Some(c) = kata.criterion(l.id) {
                let _ = writeln!(out, "{}\n", l.verdict().explain(c));
            }
        }
        let c = &self.counts;
        let _ = writeln!(
            out,
            "score {}/{}  —  {} pass, {} fail, {} timeout, {} crash, {} not implemented",
            self.score, self.max_score, c.pass, c.fail, c.timeout, c.crash, c.not_implemented
        );
        if c.unavailable > 0 {
            let _ = writeln!(
                out,
                "{} criteria ({} points) could not be graded here and are not counted as failures; see their lines above",
                c.unavailable,
                self.unavailable_points()
            );
        }
        let _ = writeln!(out, "\nManual criteria (score by reading the code):");
        for m in &self.manual_criteria {
            let _ = writeln!(out, "  [ ] /{}  {} — {}", m.weight, m.name, m.look_for);
        }
        out
    }

    fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "## Score card: `{}` — `{}`\n\n**Automated score: {} / {}** (stages 1–{})\n",
            self.kata, self.implementation, self.score, self.max_score, self.stage
        );
        if self.counts.unavailable > 0 {
            let _ = writeln!(
                out,
                "_{} criteria ({} points) could not be graded here (status `unavailable`); they are neither passed nor failed._\n",
                self.counts.unavailable,
                self.unavailable_points()
            );
        }
        let _ = writeln!(out, "| Criterion | Stage | Weight | Status | Evidence |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for l in &self.criteria {
            let evidence = match (&l.input, &l.got) {
                (Some(i), Some(g)) => format!("input: {} — got: {}", one_line(i), one_line(g)),
                _ => one_line(&l.message),
            };
            let _ = writeln!(
                out,
                "| `{}` {} | {} | {} | {} {} | {} |",
                l.id,
                md_escape(l.title),
                l.stage,
                l.weight,
                l.status.mark(),
                l.status,
                md_escape(&evidence)
            );
        }
        let _ = writeln!(out, "\n### Manual criteria\n");
        let _ = writeln!(out, "| Criterion | What to look for | Points |");
        let _ = writeln!(out, "|---|---|---|");
        for m in &self.manual_criteria {
            let _ = writeln!(
                out,
                "| {} | {} | __ / {} |",
                m.name,
                md_escape(m.look_for),
                m.weight
            );
        }
        out
    }
}

/// One progress line for text output, printed as each criterion finishes.
pub fn progress_line(done: usize, total: usize, c: &Criterion, v: &Verdict) -> String {
    let width = total.to_string().len();
    let tail = if v.status == Status::Pass {
        String::new()
    } else {
        format!("  [{}]", v.status)
    };
    format!(
        "[{done:>width$}/{total}] {} {} — {}{tail}",
        v.status.mark(),
        c.id,
        c.title
    )
}

fn one_line(s: &str) -> String {
    let joined = s.lines().map(str::trim).collect::<Vec<_>>().join("; ");
    const MAX: usize = 240;
    if joined.chars().count() > MAX {
        let cut: String = joined.chars().take(MAX).collect();
        format!("{cut}…")
    } else {
        joined
    }
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}
