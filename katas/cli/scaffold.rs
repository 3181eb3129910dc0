//! A candidate's own crate: `kata new` makes one, and `kata grade --solution` builds a
//! submitted one (or a single `exercise.rs`) in a scratch directory and grades it.
//!
//! A candidate's crate is small: the stub as `src/lib.rs`, a `src/main.rs` that runs this
//! command line with the solution bound in ([`super::solution_main`]), a `tests/rubric.rs` with
//! one `#[test]` per criterion, a README and a progress file. It depends on this crate by
//! path, so an edit rebuilds only the candidate's crate.
//!
//! Grading a submission never trusts its build files for the rubric: the scratch copy always
//! depends on *this* checkout and runs *this* `src/main.rs`, so the rubric is the
//! interviewer's, whatever the submission's `Cargo.toml` says. Only the one-line entries of
//! its `[dependencies]` table are kept, so a solution may use crates of its own.

use super::stages::{PROGRESS_FILE, Progress, crates_list};
use super::{GradeOptions, Usage};
use crate::grading::Kata;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

/// Exit code of `kata grade --solution` when the solution does not compile.
pub const DOES_NOT_COMPILE: u8 = 3;

/// The checkout this binary was built from.
fn checkout() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The kata's module path in this crate (`rate-limiter` → `rate_limiter`).
fn module_of(kata: &Kata) -> String {
    kata.id.replace('-', "_")
}

/// The stub (or a candidate's `exercise.rs`), rewritten from a module of this crate into the
/// root of a crate of its own: `super::` is the kata's contract, `crate::` this crate.
fn as_crate_root(kata: &Kata, source: &str) -> String {
    let module = module_of(kata);
    // The module docs speak of the checkout's commands; a crate of its own has its own.
    let body = source.trim_start_matches('\u{feff}');
    let docs_end = body
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .map(|l| l.len() + 1)
        .sum::<usize>();
    let header = if docs_end > 0 {
        format!(
            "//! Your solution to the `{id}` kata. Fill in every `todo!()`; keep the signatures,\n\
             //! and add any fields, types and helpers you need.\n//!\n\
             //! `cargo run -q -- next` grades your current stage (see README.md). The contract —\n\
             //! what each method must do, exactly — is `lld_katas::{module}`\n\
             //! (`cargo doc --open -p lld-katas`); the prompt is `cargo run -q -- prompt`.\n",
            id = kata.id
        )
    } else {
        String::new()
    };
    // `use super::*;` is a nested module (`mod tests`) reaching the file's root: it stays.
    const GLOB: &str = "use super::*;";
    let mut out = (header + body.get(docs_end.min(body.len())..).unwrap_or(""))
        .replace(GLOB, "\u{0}")
        .replace("super::", &format!("lld_katas::{module}::"))
        .replace("crate::", "lld_katas::")
        .replace('\u{0}', GLOB);
    if !out.contains("pub fn suite()") {
        // An `exercise.rs` from before stubs carried their binding: add the stub's.
        if let Some(at) = kata.stub.find("/// This solution's conformance suite") {
            out.push('\n');
            out.push_str(&as_crate_root(kata, &kata.stub[at..]));
        }
    }
    out
}

/// A package name from a directory name: lowercase letters, digits, `-` and `_`.
fn package_name(dir: &Path, kata: &Kata) -> String {
    let raw = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches('-').to_string();
    match name.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => name,
        Some(_) => format!("solution-{name}"),
        None => format!("{}-solution", kata.id),
    }
}

fn cargo_toml(package: &str) -> String {
    let path = checkout().display().to_string().replace('\\', "/");
    format!(
        r#"[package]
name = "{package}"
version = "0.1.0"
edition = "2024"
publish = false

# Your crate is its own workspace, wherever it lives.
[workspace]

[[bin]]
# `cargo run -q -- next`, `… watch`, `… grade`: the kata command line with your solution in it.
name = "kata"
path = "src/main.rs"

[dependencies]
# The checkout this crate was made from. To follow the project's repository instead:
# lld-katas = {{ git = "<repository url>", default-features = false }}
# Without the mutant catalogues, which only the interviewer's `kata grade --impl mutant:…` needs.
lld-katas = {{ path = "{path}", default-features = false }}

[profile.dev]
# The suite runs many thousands of operations: a little optimisation makes it much faster,
# and no debug info keeps the build small.
opt-level = 1
debug = false
"#
    )
}

fn main_rs(kata: &Kata, lib: &str) -> String {
    format!(
        r#"//! This crate's `kata` command: the kata command line with your solution bound in.
//!
//! `cargo run -q -- next` grades your current stage and shows the next one when it passes;
//! `cargo run -q -- watch` does so on every save; `cargo run -q -- hint <criterion>`.

fn main() -> std::process::ExitCode {{
    lld_katas::cli::solution_main("{id}", {lib}::suite, env!("CARGO_MANIFEST_DIR"))
}}
"#,
        id = kata.id
    )
}

fn rubric_rs(kata: &Kata, lib: &str) -> String {
    let mut out = format!(
        "//! Every criterion of the `{id}` rubric as a `#[test]`, run on your solution.\n//!\n\
         //! `cargo test` runs them all; `cargo test stage1` one stage. Leave this file as it is.\n\n\
         lld_katas::conformance_tests! {{\n    suite: {lib}::suite,\n",
        id = kata.id
    );
    for c in kata.criteria {
        let name =
            c.id.strip_prefix(kata.id)
                .unwrap_or(c.id)
                .trim_start_matches('/')
                .replace(['/', '-'], "_");
        let _ = writeln!(out, "    {name} => \"{}\",", c.id);
    }
    out.push_str("}\n");
    out
}

fn readme(kata: &Kata) -> String {
    format!(
        r#"# {title}

Your solution to the `{id}` kata of lld-katas. `src/lib.rs` is yours: fill in every `todo!()`
(each restates its part of the contract). The contract — traits, types, errors, rules — is
`lld_katas::{module}` (`cargo doc --open -p lld-katas`).

The three commands you need:

```sh
cargo run -q -- next     # grade the current stage; when it passes, the next stage is shown
cargo test               # every criterion as a #[test] (`cargo test stage1`: one stage)
cargo run -q -- prompt   # the prompt, up to the stage you reached
```

Also: `cargo run -q -- watch` (re-runs `next` on every save), `cargo run -q -- hint <criterion>`,
`cargo run -q -- status`, and `cargo run -q -- grade {id}` for the whole score card an
interviewer would see. Progress is kept in `{progress}`.

Time reaches your code only through the injected `Clock` (test with `ManualClock`, never
`sleep`); randomness only through what the contract injects.
"#,
        title = kata.title,
        id = kata.id,
        module = module_of(kata),
        progress = PROGRESS_FILE,
    )
}

/// Writes a crate for `kata` with `lib_rs` as its library into `dir`.
fn write_crate(kata: &Kata, dir: &Path, lib_rs: &str) -> std::io::Result<String> {
    let package = package_name(dir, kata);
    let lib = package.replace('-', "_");
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::create_dir_all(dir.join("tests"))?;
    std::fs::write(dir.join("Cargo.toml"), cargo_toml(&package))?;
    std::fs::write(dir.join("src/lib.rs"), lib_rs)?;
    std::fs::write(dir.join("src/main.rs"), main_rs(kata, &lib))?;
    std::fs::write(dir.join("tests/rubric.rs"), rubric_rs(kata, &lib))?;
    Ok(package)
}

/// `kata new <kata> [DIR]`.
pub(super) fn new_crate(kata: &Kata, dir: Option<PathBuf>) -> Result<ExitCode, Usage> {
    let dir = dir.unwrap_or_else(|| PathBuf::from(format!("{}-solution", kata.id)));
    if std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(Usage(format!(
            "{} already exists and is not empty: choose a new directory",
            dir.display()
        )));
    }
    let made = write_crate(kata, &dir, &as_crate_root(kata, kata.stub)).and_then(|package| {
        std::fs::write(dir.join("README.md"), readme(kata))?;
        std::fs::write(dir.join(".gitignore"), "/target\n")?;
        Progress::load(&dir, kata).save(&dir, kata)?;
        Ok(package)
    });
    let package = made.map_err(|e| Usage(format!("cannot create {}: {e}", dir.display())))?;
    let dir = dir.canonicalize().unwrap_or(dir);
    remember(&dir);
    println!(
        "Created {package} in {} — the {} kata, stage 1 of {}.\n\n  cd {}\n  cargo run -q -- prompt   # read stage 1\n  cargo run -q -- next     # grade it; the next stage shows when it passes\n  cargo test               # every criterion as a #[test]\n\nThe first build compiles lld-katas once (a few minutes); after that an edit rebuilds only your crate.",
        dir.display(),
        kata.id,
        kata.stage_count(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Adds `dir` to the checkout's list of candidate crates, for `kata status`. Best effort.
fn remember(dir: &Path) {
    let list = crates_list();
    let mut known = std::fs::read_to_string(&list).unwrap_or_default();
    let line = dir.display().to_string();
    if known.lines().any(|l| l == line) {
        return;
    }
    known.push_str(&line);
    known.push('\n');
    if let Some(parent) = list.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let _ = std::fs::write(list, known);
}

/// Where submitted solutions are built: one scratch crate per kata and submission path, and
/// one target directory for all (so lld-katas is compiled once). `KATA_SCRATCH_DIR` moves it.
fn scratch_root() -> PathBuf {
    std::env::var_os("KATA_SCRATCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("lld-katas-grade"))
}

/// Copies the Rust sources of a submitted crate (`src/`, recursively) into `to`.
fn copy_sources(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_sources(&path, &target)?;
        } else {
            std::fs::copy(&path, &target)?;
        }
    }
    Ok(())
}

/// The one-line entries of a manifest's `[dependencies]` table, except `lld-katas`.
fn extra_dependencies(manifest: &str) -> Vec<String> {
    let mut in_table = false;
    let mut out = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_table = line == "[dependencies]";
            continue;
        }
        let name = line
            .split('=')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if in_table && !line.is_empty() && !line.starts_with('#') && name != "lld-katas" {
            out.push(line.to_string());
        }
    }
    out
}

/// `manifest` with `extra` added to its `[dependencies]` table.
fn with_dependencies(manifest: &str, extra: &[String]) -> String {
    let mut out = String::new();
    for line in manifest.lines() {
        out.push_str(line);
        out.push('\n');
        if line.trim() == "[dependencies]" {
            for dep in extra {
                out.push_str(dep);
                out.push('\n');
            }
        }
    }
    out
}

/// `kata grade <kata> --solution DIR_OR_FILE`.
pub(super) fn grade_submitted(
    kata: &Kata,
    path: &Path,
    options: &GradeOptions,
) -> Result<ExitCode, Usage> {
    options.validate(kata)?;
    let path = path
        .canonicalize()
        .map_err(|e| Usage(format!("cannot read the solution {}: {e}", path.display())))?;
    let root = scratch_root();
    let tag = crate::grading::fnv1a(&path.display().to_string(), 0);
    let scratch = root.join(format!("{}-{tag:016x}", kata.id));
    let _ = std::fs::remove_dir_all(&scratch);
    let failed = |e: std::io::Error| Usage(format!("cannot prepare {}: {e}", scratch.display()));
    if path.is_dir() {
        let src = path.join("src");
        if !src.join("lib.rs").is_file() {
            return Err(Usage(format!(
                "{} is not a solution crate: it has no src/lib.rs (make one with `kata new`, or pass a single exercise.rs)",
                path.display()
            )));
        }
        // The submission's own sources and extra dependencies; this checkout's lld-katas
        // and command line.
        write_crate(kata, &scratch.join("solution"), "").map_err(failed)?;
        let theirs = std::fs::read_to_string(path.join("Cargo.toml")).unwrap_or_default();
        let manifest = scratch.join("solution/Cargo.toml");
        let ours = std::fs::read_to_string(&manifest).map_err(failed)?;
        std::fs::write(
            &manifest,
            with_dependencies(&ours, &extra_dependencies(&theirs)),
        )
        .map_err(failed)?;
        copy_sources(&src, &scratch.join("solution/src")).map_err(failed)?;
        let lib = package_name(&scratch.join("solution"), kata).replace('-', "_");
        std::fs::write(scratch.join("solution/src/main.rs"), main_rs(kata, &lib))
            .map_err(failed)?;
    } else {
        let source = std::fs::read_to_string(&path)
            .map_err(|e| Usage(format!("cannot read the solution {}: {e}", path.display())))?;
        write_crate(
            kata,
            &scratch.join("solution"),
            &as_crate_root(kata, &source),
        )
        .map_err(failed)?;
    }
    let manifest = scratch.join("solution/Cargo.toml");
    let target = root.join("target");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!(
        "building the solution from {} (the first build compiles lld-katas once) …",
        path.display()
    );
    let build = Command::new(&cargo)
        .args(["build", "--quiet", "--bin", "kata", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| Usage(format!("could not run cargo to build the solution: {e}")))?;
    if !build.status.success() {
        eprintln!(
            "error: the solution in {} does not compile, so it was not graded.\n\n{}",
            path.display(),
            String::from_utf8_lossy(&build.stderr).trim_end()
        );
        return Ok(ExitCode::from(DOES_NOT_COMPILE));
    }
    let exe = target
        .join("debug")
        .join(format!("kata{}", std::env::consts::EXE_SUFFIX));
    let status = Command::new(&exe)
        .args(["grade", kata.id, "--impl", "exercise"])
        .args(options.to_args())
        .status()
        .map_err(|e| Usage(format!("could not run the built solution: {e}")))?;
    Ok(match status.code() {
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submission_keeps_its_own_dependencies_but_not_its_lld_katas() {
        let theirs = "[package]\nname = \"x\"\n\n[dependencies]\nlld-katas = { path = \"/elsewhere\" }\nfoldhash = \"0.2\"\n# a comment\n\n[dev-dependencies]\nproptest = \"1\"\n";
        let extra = extra_dependencies(theirs);
        assert_eq!(extra, ["foldhash = \"0.2\""]);
        let ours = cargo_toml("solution");
        let merged = with_dependencies(&ours, &extra);
        assert!(merged.contains("[dependencies]\nfoldhash = \"0.2\"\n"));
        assert!(!merged.contains("/elsewhere"));
    }

    #[test]
    fn package_names_are_valid_crate_names() {
        let kata = crate::kata("parking").unwrap();
        assert_eq!(package_name(Path::new("/x/My Lot"), &kata), "my-lot");
        assert_eq!(package_name(Path::new("/x/2024"), &kata), "solution-2024");
        assert_eq!(package_name(Path::new("/"), &kata), "parking-solution");
    }
}
