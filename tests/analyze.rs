//! `kata analyze snake-ladder` end to end, through the real binary, on the shipped boards.

use std::process::{Command, Output};

fn analyze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kata"))
        .args(["analyze", "snake-ladder"])
        .args(args)
        .output()
        .expect("the kata binary runs")
}

fn board(name: &str) -> String {
    format!(
        "{}/katas/snake_ladder/boards/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

#[test]
fn the_classic_board_gives_the_published_expected_length() {
    let o = analyze(&["--board", &board("classic.txt"), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    let expected = v["expected_turns"].as_f64().unwrap();
    assert!((expected - 39.225_122_3).abs() < 1e-6, "{v}");
    assert_eq!(v["shortest_game"], 7);
    assert_eq!(v["median_turns"], 32);
    let cdf = v["finished_within"].as_array().unwrap();
    assert!(cdf.len() > 100 && cdf[0] == 0.0);
}

#[test]
fn the_distribution_stops_at_the_tail_bound_and_says_so() {
    let o = analyze(&["--board", &board("classic.txt"), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    // No progress bar (or anything else) besides the JSON.
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json(&o);
    let tail = v["tail_mass"].as_f64().unwrap();
    let bound = v["tail_bound"].as_f64().unwrap();
    assert!((0.0..=bound).contains(&tail) && bound <= 1e-12, "{v}");
    let cdf = v["finished_within"].as_array().unwrap();
    let last = cdf.last().unwrap().as_f64().unwrap();
    // What is unaccounted is exactly what the last entry leaves (up to rounding).
    assert!((1.0 - last - tail).abs() < 1e-13, "{last} {tail}");
    let before = cdf[cdf.len() - 2].as_f64().unwrap();
    assert!(
        1.0 - before > bound * 0.5,
        "stopped later than needed: {before}"
    );
}

#[test]
fn a_long_game_loses_no_mass_to_rounding() {
    // ~14,000 turns: each one scaling every bit of mass by six times the f64 nearest to 1/6
    // (1 − 2⁻⁵⁴) would leave ~8·10⁻¹³ unaccounted, nearly the whole tail bound.
    let spec = lld_katas::snake_ladder::generate::random_board(50_000, 50, 100, 3);
    let path = std::env::temp_dir().join(format!("analyze-long-{}.txt", std::process::id()));
    std::fs::write(&path, lld_katas::snake_ladder::generate::board_file(&spec)).unwrap();
    let o = analyze(&["--board", path.to_str().unwrap(), "--format", "json"]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    let tail = v["tail_mass"].as_f64().unwrap();
    let cdf = v["finished_within"].as_array().unwrap();
    let last = cdf.last().unwrap().as_f64().unwrap();
    assert!(
        cdf.len() > 14_000 && tail <= 1e-12,
        "{} turns, tail {tail}",
        cdf.len()
    );
    assert!((1.0 - last - tail).abs() < 1e-13, "{last} {tail}");
}

#[test]
fn text_output_shows_the_figures_and_a_chart() {
    let o = analyze(&["--board", &board("classic.txt")]);
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "expected turns : 39.2251",
        "median turns   : 32",
        "shortest game  : 7",
        "tail mass      : ",
        "█",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}

#[test]
fn every_shipped_board_analyses_under_every_overshoot_rule() {
    for (file, extra) in [
        ("classic.txt", None),
        ("tiny.txt", None),
        ("chains.txt", Some("follow")),
    ] {
        for overshoot in ["stay", "bounce", "finish"] {
            let path = board(file);
            let mut args = vec![
                "--board",
                path.as_str(),
                "--overshoot",
                overshoot,
                "--format",
                "json",
            ];
            if let Some(chains) = extra {
                args.extend(["--chains", chains]);
            }
            let o = analyze(&args);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{file} {overshoot}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let v = json(&o);
            assert!(v["expected_turns"].as_f64().unwrap() >= v["shortest_game"].as_f64().unwrap());
            assert!(v["median_turns"].as_u64().unwrap() >= v["shortest_game"].as_u64().unwrap());
        }
    }
}

#[test]
fn finishing_anyway_shortens_the_game_and_extra_turns_are_an_option() {
    let e = |args: &[&str]| json(&analyze(args))["expected_turns"].as_f64().unwrap();
    let path = board("classic.txt");
    let stay = e(&["--board", &path, "--format", "json"]);
    let finish = e(&[
        "--board",
        &path,
        "--overshoot",
        "finish",
        "--format",
        "json",
    ]);
    let extra = e(&[
        "--board",
        &path,
        "--extra-turn",
        "--dice",
        "2d6",
        "--overshoot",
        "bounce",
        "--format",
        "json",
    ]);
    assert!(finish < stay && extra > 0.0, "{stay} {finish} {extra}");
}

#[test]
fn usage_errors_are_one_line_naming_the_choices_with_exit_code_2() {
    let path = board("classic.txt");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--board", &path, "--overshoot", "wrap"],
            "stay, bounce, finish",
        ),
        (&["--board", &path, "--format", "xml"], "text, json"),
        (&["--board", &path, "--chains", "maybe"], "forbid, follow"),
        (&["--board", &path, "--dice", "d6"], "NdF"),
        (&["--overshoot", "stay"], "--board"),
        (&["--board", &path, "--frobnicate"], "--frobnicate"),
    ];
    for (args, names) in cases {
        let o = analyze(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(names), "{args:?}: {err}");
    }
}

#[test]
fn bad_board_files_are_one_line_errors_with_the_line_and_exit_code_1() {
    let dir = std::env::temp_dir().join(format!("snake-ladder-analyze-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "bad-line.txt",
            "squares = 20\nladder 3 -> 11\nchute 9 -> 2\n",
            "line 3",
        ),
        (
            "snake-on-last.txt",
            "squares = 20\nsnake 20 -> 2\n",
            "snake 20 -> 2",
        ),
        (
            "chained.txt",
            "squares = 20\nladder 2 -> 5\nladder 5 -> 9\n",
            "ladder 2 -> 5",
        ),
    ];
    for (name, text, needle) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let o = analyze(&["--board", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{name}: {err}");
        assert!(err.contains(needle), "{name}: {err}");
    }
    let o = analyze(&["--board", dir.join("missing.txt").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn katas_without_a_tool_say_which_have_one() {
    let o = Command::new(env!("CARGO_BIN_EXE_kata"))
        .args(["analyze", "rate-limiter"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("snake-ladder"));
}
