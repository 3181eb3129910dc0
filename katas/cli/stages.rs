//! Stage by stage, the way an interview unfolds: the prompt up to a stage, the candidate's
//! progress (a small file in their crate), `next`, `watch` and `status`.

use super::{GradeOptions, Usage, grade_card};
use crate::grading::{self, Criterion, ImplChoice, Kata, Status, Verdict};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

/// The prompt's preamble and stages `1..=stage`; the closing sections (talking points) only
/// once every stage is shown.
///
/// A stage is a section whose heading starts with `## Stage N`; any other `## ` section after
/// the stages belongs to the end.
pub(super) fn prompt_up_to(kata: &Kata, stage: u8) -> String {
    let all = kata.stage_count();
    let mut out = String::new();
    // What the current section is: before any stage, stage n, or a closing section.
    let mut section: Option<u8> = Some(0);
    let mut in_code = false;
    for line in kata.prompt.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && line.starts_with("## ") {
            section = stage_heading(line);
        }
        let shown = match section {
            Some(n) => n <= stage,
            None => stage >= all,
        };
        if shown {
            out.push_str(line);
            out.push('\n');
        }
    }
    if stage < all {
        out.push_str(&format!(
            "\n---\nStages {}–{all} are revealed as you go: `cargo run -q -- next` in your crate \
             shows the next one when stage {stage} passes (or `kata prompt {} --stage {}`).\n",
            stage + 1,
            kata.id,
            stage + 1
        ));
    }
    out
}

/// The number of a `## Stage N …` heading.
fn stage_heading(line: &str) -> Option<u8> {
    let rest = line.strip_prefix("## Stage ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Just stage `n`'s section of the prompt.
fn stage_section(kata: &Kata, n: u8) -> String {
    let before = if n > 1 {
        prompt_up_to(kata, n - 1)
    } else {
        String::new()
    };
    let upto = prompt_up_to(kata, n);
    // `upto` starts with everything `before` has, up to its closing note.
    let shared = before.find("\n---\nStages ").unwrap_or(before.len());
    let section = upto.get(shared..).unwrap_or(&upto);
    section
        .find("\n---\nStages ")
        .map_or(section, |end| &section[..end])
        .trim()
        .to_string()
}

/// The file in a candidate's crate that remembers how far they got.
pub(super) const PROGRESS_FILE: &str = ".kata-progress";

/// How far a candidate got in one crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Progress {
    /// The highest stage whose criteria (with every earlier stage's) all passed; 0 for none.
    pub passed: u8,
    /// The stage being worked on: the one after `passed`, or the last.
    pub stage: u8,
}

impl Progress {
    fn new(kata: &Kata, passed: u8) -> Self {
        let all = kata.stage_count();
        let passed = passed.min(all);
        Self {
            passed,
            stage: (passed + 1).min(all),
        }
    }

    /// Reads the progress file; a missing or unreadable one means nothing passed yet.
    pub fn load(dir: &Path, kata: &Kata) -> Self {
        let passed = std::fs::read_to_string(dir.join(PROGRESS_FILE))
            .ok()
            .and_then(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix("passed = "))
                    .and_then(|n| n.trim().parse().ok())
            })
            .unwrap_or(0);
        Self::new(kata, passed)
    }

    pub fn save(&self, dir: &Path, kata: &Kata) -> std::io::Result<()> {
        std::fs::write(
            dir.join(PROGRESS_FILE),
            format!(
                "# Written by `cargo run -q -- next`: the highest stage of {} that passes.\n\
                 kata = {}\npassed = {}\n",
                kata.id, kata.id, self.passed
            ),
        )
    }

    /// "stage 2 of 4 (1 passed)".
    fn describe(&self, kata: &Kata) -> String {
        let all = kata.stage_count();
        if self.passed == all {
            format!("done: all {all} stages pass")
        } else {
            format!(
                "stage {} of {all} ({} passed)",
                self.stage,
                if self.passed == 0 {
                    "none".to_string()
                } else {
                    format!("1–{}", self.passed)
                }
            )
        }
    }
}

/// Grades the current stage with every stage before it; when all pass, records it and shows
/// the next stage's prompt.
pub(super) fn next(kata: &Kata, dir: &Path, brief: bool) -> Result<ExitCode, Usage> {
    let before = Progress::load(dir, kata);
    let stage = before.stage;
    let options = GradeOptions {
        format: "text".into(),
        stage: None,
        timeout_secs: grading::DEFAULT_TIMEOUT.as_secs_f64(),
        jobs: None,
        memory_mb: grading::isolate::DEFAULT_MEMORY_MB,
    };
    println!(
        "{} — stage {stage} of {}: {}",
        kata.id,
        kata.stage_count(),
        kata.stages[usize::from(stage) - 1]
    );
    let failures: Mutex<Vec<(&'static Criterion, Verdict)>> = Mutex::new(Vec::new());
    let card = grade_card(
        kata,
        ImplChoice::Exercise,
        stage,
        &options,
        true,
        |_, _, c, v| {
            if !matches!(v.status, Status::Pass | Status::Unavailable) {
                let c = kata
                    .criterion(c.id)
                    .expect("graded criteria are the kata's");
                failures
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((c, v.clone()));
            }
        },
    )?;
    let mut failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    failures.sort_by_key(|(c, _)| kata.criteria.iter().position(|k| k.id == c.id));
    // In brief (watch) mode, one line per criterion above and the first failure explained.
    let explained = if brief { 1 } else { failures.len() };
    for (c, v) in failures.iter().take(explained) {
        println!("\n{}", v.explain(c));
    }
    let passed = card.all_passed();
    println!();
    if !passed {
        let scope = if brief {
            String::new()
        } else {
            format!(" (stages 1–{stage})")
        };
        println!(
            "{} of {} criteria pass{scope}. Fix the ones above and run `cargo run -q -- next` \
             again (`cargo run -q -- hint <criterion>` explains one).",
            card.counts.pass,
            card.criteria.len(),
        );
        return Ok(ExitCode::FAILURE);
    }
    let now = Progress::new(kata, stage.max(before.passed));
    if let Err(e) = now.save(dir, kata) {
        eprintln!(
            "warning: could not save progress in {}: {e}",
            dir.join(PROGRESS_FILE).display()
        );
    }
    if card.counts.unavailable > 0 {
        println!(
            "({} criteria could not run here — a service they need is missing; see above.)",
            card.counts.unavailable
        );
    }
    if stage == kata.stage_count() {
        println!(
            "✓ Stage {stage} passes, and with it every stage of {}: the kata is done.\n\
             See the whole card as an interviewer would: `cargo run -q -- grade {}`.",
            kata.id, kata.id
        );
    } else {
        println!(
            "✓ Stage {stage} passes. Here is stage {}:\n\n{}\n",
            stage + 1,
            stage_section(kata, stage + 1)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `cargo run -q -- next --brief` in `dir` now and after every change under `src/` or
/// `tests/`, until interrupted.
pub(super) fn watch(dir: &Path) -> Result<ExitCode, Usage> {
    use notify::{RecursiveMode, Watcher};
    let (tx, rx) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(tx)
        .map_err(|e| Usage(format!("cannot watch files here: {e}")))?;
    for sub in ["src", "tests"] {
        let path = dir.join(sub);
        if path.exists() {
            watcher
                .watch(&path, RecursiveMode::Recursive)
                .map_err(|e| Usage(format!("cannot watch {}: {e}", path.display())))?;
        }
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    loop {
        println!("\n── running stage checks (Ctrl-C to stop) ──");
        let status = std::process::Command::new(&cargo)
            .args(["run", "-q", "--", "next", "--brief"])
            .current_dir(dir)
            .status();
        if let Err(e) = status {
            return Err(Usage(format!("could not run cargo: {e}")));
        }
        println!("── watching src/ and tests/ for changes ──");
        // Wait for a change to a source file, then let a burst of saves settle.
        loop {
            match rx.recv() {
                Ok(Ok(event)) if touches_source(&event) => break,
                Ok(_) => {}
                Err(_) => return Ok(ExitCode::SUCCESS),
            }
        }
        while rx.recv_timeout(Duration::from_millis(300)).is_ok() {}
    }
}

fn touches_source(event: &notify::Event) -> bool {
    use notify::EventKind;
    matches!(
        event.kind,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
    ) && event
        .paths
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "rs" || e == "toml"))
}

pub(super) fn status_of_crate(kata: &Kata, dir: &Path) {
    println!(
        "{} in {}: {}",
        kata.id,
        dir.display(),
        Progress::load(dir, kata).describe(kata)
    );
}

/// The file in the checkout listing the crates `kata new` made from it, one path a line.
pub(super) fn crates_list() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".kata")
        .join("crates")
}

pub(super) fn status_of_checkout(katas: &[Kata]) {
    let listed = std::fs::read_to_string(crates_list()).unwrap_or_default();
    let mut shown = 0;
    for dir in listed.lines().map(PathBuf::from) {
        let Ok(text) = std::fs::read_to_string(dir.join(PROGRESS_FILE)) else {
            continue;
        };
        let Some(kata) = text
            .lines()
            .find_map(|l| l.strip_prefix("kata = "))
            .and_then(|id| katas.iter().find(|k| k.id == id.trim()))
        else {
            continue;
        };
        status_of_crate(kata, &dir);
        shown += 1;
    }
    if shown == 0 {
        println!(
            "no candidate crates yet: `kata new <kata> DIR` makes one (katas: {})",
            katas.iter().map(|k| k.id).collect::<Vec<_>>().join(", ")
        );
    }
}
