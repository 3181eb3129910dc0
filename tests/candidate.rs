//! The candidate's and the interviewer's flows end to end, as the README shows them: scaffold
//! a crate with `kata new`, build it, advance a stage with `next`, run its `cargo test`, grade
//! it from the checkout with `kata grade --solution`, and refuse a solution that does not
//! compile.
//!
//! Every cargo build here shares one target directory under Cargo's scratch space, so
//! lld-katas is compiled for candidate crates once (the first run takes minutes; later runs
//! rebuild only the small crates).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("candidate-flows")
}

/// The target directory every build in this file shares.
fn target() -> PathBuf {
    scratch().join("grade").join("target")
}

fn kata(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kata"))
        .args(args)
        .env("KATA_SCRATCH_DIR", scratch().join("grade"))
        .output()
        .expect("the kata binary runs")
}

/// `cargo <args>` in a candidate's crate.
fn cargo_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target())
        .output()
        .expect("cargo runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The reference lot, written as a candidate's crate root would be.
fn reference_as_crate_root() -> String {
    let source = include_str!("../katas/parking/reference.rs");
    // Its unit tests reach into the module; a candidate's crate root has its own.
    let source = source[..source.find("#[cfg(test)]").unwrap_or(source.len())]
        .replace("super::", "lld_katas::parking::")
        .replace("crate::", "lld_katas::");
    format!(
        "{source}\n/// The rubric bound to this solution.\npub fn suite() -> Vec<lld_katas::grading::Check> {{\n    lld_katas::parking::conformance::suite::<Lot>()\n}}\n"
    )
}

fn fresh(dir: &Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    dir.to_path_buf()
}

#[test]
fn a_candidate_crate_advances_stage_by_stage_and_grades_from_the_checkout() {
    let dir = fresh(&scratch().join("crates").join("my-lot"));
    let o = kata(&["new", "parking", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    for file in [
        "Cargo.toml",
        "src/lib.rs",
        "src/main.rs",
        "tests/rubric.rs",
        "README.md",
    ] {
        assert!(dir.join(file).is_file(), "kata new wrote no {file}");
    }
    assert!(
        kata(&["new", "parking", dir.to_str().unwrap()])
            .status
            .code()
            == Some(2),
        "kata new must refuse a directory that is not empty"
    );

    // The untouched stub: stage 1 does not pass, nothing advances.
    let o = cargo_in(&dir, &["run", "-q", "--", "next"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("not_implemented"), "{}", text(&o));
    let progress = std::fs::read_to_string(dir.join(".kata-progress")).unwrap();
    assert!(progress.contains("passed = 0"), "{progress}");

    // The prompt shows stage 1 and hides the rest.
    let o = cargo_in(&dir, &["run", "-q", "--", "prompt"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("## Stage 1") && !text(&o).contains("## Stage 2"));

    // A solution that passes stage 1, with a dependency of its own: `next` says so, records
    // it and reveals stage 2.
    std::fs::write(dir.join("src/lib.rs"), reference_as_crate_root()).unwrap();
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        manifest.replace(
            "[dependencies]\n",
            "[dependencies]\nfoldhash = \"0.2\"\nparking_lot = \"0.13\"\n",
        ),
    )
    .unwrap();
    let o = cargo_in(&dir, &["run", "-q", "--", "next"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Stage 1 passes"), "{}", text(&o));
    assert!(text(&o).contains("## Stage 2"), "{}", text(&o));
    let progress = std::fs::read_to_string(dir.join(".kata-progress")).unwrap();
    assert!(progress.contains("passed = 1"), "{progress}");
    let o = cargo_in(&dir, &["run", "-q", "--", "status"]);
    assert!(text(&o).contains("stage 2 of 4"), "{}", text(&o));

    // The crate's own tests run the rubric on the solution.
    let o = cargo_in(&dir, &["test", "-q", "stage1"]);
    assert!(o.status.success(), "{}", text(&o));

    // The interviewer grades the crate from the checkout, without touching it.
    let before = std::fs::read_dir(&dir).unwrap().count();
    let o = kata(&[
        "grade",
        "parking",
        "--solution",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let card: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(card["implementation"], "exercise");
    assert_eq!(card["score"], card["max_score"], "{card}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), before);
}

#[test]
fn a_single_exercise_file_is_graded_and_one_that_does_not_compile_is_refused() {
    let o = kata(&[
        "grade",
        "parking",
        "--solution",
        concat!(env!("CARGO_MANIFEST_DIR"), "/katas/parking/exercise.rs"),
        "--format",
        "json",
        "--stage",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let card: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(card["score"], 0);
    for c in card["criteria"].as_array().unwrap() {
        assert_eq!(c["status"], "not_implemented", "{c}");
    }

    let broken = fresh(&scratch().join("broken").join("exercise.rs"));
    std::fs::write(
        &broken,
        include_str!("../katas/parking/exercise.rs")
            .replace("pub struct Lot {", "pub struct Lot {{"),
    )
    .unwrap();
    let o = kata(&["grade", "parking", "--solution", broken.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        o.stdout.is_empty(),
        "no score card for a solution that was not graded"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("does not compile"), "{err}");
    assert!(
        err.contains("error"),
        "the compiler's message is shown: {err}"
    );
}
