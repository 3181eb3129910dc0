//! The `kata` command end to end, through the real binary, for every registered kata.

use std::process::{Command, Output};

fn kata(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kata"))
        .args(args)
        .output()
        .expect("the kata binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(o), stderr(o)))
}

/// A criterion may read `unavailable` (a service it needs is not installed here) only when
/// `KATA_REQUIRE_SERVICES` does not demand every service.
fn may_be_unavailable(status: &str) -> bool {
    status == "unavailable" && !lld_katas::grading::services_required()
}

fn ids() -> Vec<&'static str> {
    lld_katas::katas().iter().map(|k| k.id).collect()
}

/// `run(id)` for every registered kata at once (each grade mostly waits on its child
/// processes), with the results in registration order.
fn for_each_kata<T: Send>(run: impl Fn(&'static str) -> T + Sync) -> Vec<(&'static str, T)> {
    let run = &run;
    std::thread::scope(|s| {
        let handles: Vec<_> = ids()
            .into_iter()
            .map(|id| (id, s.spawn(move || run(id))))
            .collect();
        handles
            .into_iter()
            .map(|(id, h)| (id, h.join().expect("a grade thread panicked")))
            .collect()
    })
}

#[test]
fn list_names_every_kata_with_its_stages() {
    let o = kata(&["list"]);
    assert!(o.status.success());
    for k in lld_katas::katas() {
        assert!(stdout(&o).contains(k.id), "{}", stdout(&o));
        assert!(stdout(&o).contains("stage 1"));
    }
}

#[test]
fn prompt_rubric_and_mutants_print_for_every_kata() {
    for id in ids() {
        let p = kata(&["prompt", id]);
        assert!(
            p.status.success() && stdout(&p).contains("Stage 1"),
            "{id}: {}",
            stdout(&p)
        );
        let r = kata(&["rubric", id]);
        assert!(r.status.success());
        assert!(
            stdout(&r).contains("## Automated criteria")
                && stdout(&r).contains("## Manual criteria")
        );
        assert!(stdout(&r).contains(&format!("`{id}/stage1/")));
        let m = kata(&["mutants", id]);
        assert!(m.status.success());
        assert!(
            stdout(&m).lines().count() >= 4,
            "{id} lists too few mutants"
        );
        let rules = kata(&["rules", id]);
        assert!(rules.status.success());
        let k = lld_katas::kata(id).unwrap();
        // One row per rule, each naming its criteria and the mutants that break it.
        let rows: Vec<String> = stdout(&rules)
            .lines()
            .filter(|l| l.starts_with(&format!("| `{id}/")))
            .map(str::to_string)
            .collect();
        assert_eq!(rows.len(), k.rules.len(), "{id}: {}", stdout(&rules));
        for row in rows {
            assert!(row.contains(&format!("`{id}/stage")), "{id}: {row}");
            assert!(
                !row.ends_with("|  |"),
                "{id}: a rule broken by no mutant: {row}"
            );
        }
    }
}

#[test]
fn usage_errors_are_one_line_naming_the_choices_with_exit_code_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["prompt", "no-such-kata"], "rate-limiter"),
        (&["grade", "no-such-kata"], "rate-limiter"),
        (
            &["grade", "rate-limiter", "--impl", "mutant:nope"],
            "reference, exercise",
        ),
        (&["grade", "rate-limiter", "--impl", "golden"], "mutant:"),
        (&["grade", "rate-limiter", "--stage", "9"], "1, 2, 3"),
        (&["grade", "rate-limiter", "--stage", "zero"], "1, 2, 3"),
        (
            &["grade", "rate-limiter", "--format", "xml"],
            "text, markdown, json",
        ),
    ];
    for (args, names) in cases {
        let o = kata(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(names), "{args:?}: {err}");
    }
}

#[test]
fn the_reference_scores_max_with_exit_0() {
    for (id, o) in
        for_each_kata(|id| kata(&["grade", id, "--impl", "reference", "--format", "json"]))
    {
        let card = json(&o);
        assert_eq!(o.status.code(), Some(0), "{id}: {card:#}");
        assert_eq!(card["kata"], id);
        assert_eq!(card["implementation"], "reference");
        let mut passed = 0;
        for c in card["criteria"].as_array().unwrap() {
            for field in ["id", "stage", "title", "weight", "status", "message"] {
                assert!(c.get(field).is_some(), "criterion without `{field}`: {c}");
            }
            let status = c["status"].as_str().unwrap();
            assert!(status == "pass" || may_be_unavailable(status), "{c}");
            if status == "pass" {
                passed += c["weight"].as_u64().unwrap();
            }
        }
        assert_eq!(card["score"], passed);
    }
}

#[test]
fn the_stub_scores_zero_with_every_criterion_not_implemented_and_exit_1() {
    for (_, o) in for_each_kata(|id| kata(&["grade", id, "--format", "json"])) {
        let card = json(&o);
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(card["implementation"], "exercise");
        assert_eq!(card["score"], 0);
        for c in card["criteria"].as_array().unwrap() {
            assert_eq!(c["status"], "not_implemented", "{c}");
        }
    }
}

#[test]
fn hostile_mutants_are_graded_to_completion() {
    std::thread::scope(|s| {
        for k in lld_katas::katas() {
            for m in (k.mutants)().into_iter().filter(|m| m.hostile) {
                let id = k.id;
                s.spawn(move || {
                    let imp = format!("mutant:{}", m.name);
                    let o = kata(&[
                        "grade",
                        id,
                        "--impl",
                        &imp,
                        "--format",
                        "json",
                        // A hostile mutant misbehaves in its first call, so a quarter second
                        // is long enough to see it, and short enough that the spinning and
                        // deadlocked ones do not hold every criterion for long.
                        "--timeout-secs",
                        "0.25",
                        "--jobs",
                        "4",
                        // Enough for any honest check, and a memory bomb stops in a blink.
                        "--memory-mb",
                        "256",
                    ]);
                    assert_eq!(o.status.code(), Some(1), "{id} {imp}: {}", stderr(&o));
                    let card = json(&o);
                    let criteria = card["criteria"].as_array().unwrap();
                    assert_eq!(
                        criteria.len(),
                        k.criteria.len(),
                        "{id} {imp}: card incomplete"
                    );
                    assert_eq!(card["score"], 0, "{id} {imp}: a hostile mutant scored");
                    // What the card must say, for the hostile mutants that attack the grader
                    // rather than just misbehave.
                    let says = match m.name {
                        "forges-verdict" | "forges-verdict-with-secret" => {
                            Some("verdict line(s) the grader did not issue")
                        }
                        "exits-early" => Some("exited with code 0 without a genuine verdict"),
                        "exhausts-memory" => Some("out of memory"),
                        _ => None,
                    };
                    for c in criteria {
                        let status = c["status"].as_str().unwrap();
                        assert!(
                            status == "timeout" || status == "crash" || may_be_unavailable(status),
                            "{id} {imp}: {} read {status}",
                            c["id"]
                        );
                        if let (Some(says), "crash") = (says, status) {
                            let message = c["message"].as_str().unwrap();
                            assert!(
                                message.contains(says),
                                "{id} {imp}: {} should say {says:?}: {message}",
                                c["id"]
                            );
                        }
                    }
                });
            }
        }
    });
}

#[test]
fn the_same_grade_twice_gives_the_same_card() {
    let katas = lld_katas::katas();
    std::thread::scope(|s| {
        for k in &katas {
            s.spawn(move || same_grade_twice(k));
        }
    });
}

fn same_grade_twice(k: &lld_katas::grading::Kata) {
    // A mutant with a concurrency bug, if the kata has one, else the first realistic one.
    let mutants = (k.mutants)();
    let Some(m) = mutants.iter().filter(|m| !m.hostile).max_by_key(|m| {
        m.must_fail
            .iter()
            .filter_map(|id| k.criterion(id))
            .map(|c| c.stage)
            .max()
    }) else {
        return;
    };
    let imp = format!("mutant:{}", m.name);
    let statuses = |o: &Output| {
        let card = json(o);
        let list: Vec<(String, String)> = card["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["id"].to_string(), c["status"].to_string()))
            .collect();
        (card["score"].clone(), list)
    };
    let a = statuses(&kata(&["grade", k.id, "--impl", &imp, "--format", "json"]));
    let b = statuses(&kata(&["grade", k.id, "--impl", &imp, "--format", "json"]));
    assert_eq!(a, b, "{} {imp}", k.id);
}

#[test]
fn text_and_markdown_cards_render() {
    let t = kata(&["grade", "rate-limiter", "--impl", "mutant:exceeds-as-retry"]);
    assert_eq!(t.status.code(), Some(1));
    let text = stdout(&t);
    assert!(text.contains("[ 1/"), "progress lines: {text}");
    assert!(
        text.contains("property :") && text.contains("hint     :"),
        "{text}"
    );
    assert!(text.contains("Manual criteria"));
    let m = kata(&[
        "grade",
        "rate-limiter",
        "--impl",
        "reference",
        "--format",
        "markdown",
        "--stage",
        "1",
    ]);
    assert_eq!(m.status.code(), Some(0));
    let md = stdout(&m);
    assert!(
        md.contains("| Criterion | Stage | Weight | Status | Evidence |"),
        "{md}"
    );
    assert!(
        !md.contains("stage2/"),
        "--stage 1 grades stage 1 only: {md}"
    );
}

#[test]
fn criteria_whose_service_cannot_start_read_unavailable_not_failed() {
    let o = Command::new(env!("CARGO_BIN_EXE_kata"))
        .args([
            "grade",
            "rate-limiter",
            "--impl",
            "reference",
            "--format",
            "json",
        ])
        .env("KATA_REDIS_SERVER", "/nonexistent/redis-server")
        .output()
        .expect("the kata binary runs");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let card = json(&o);
    let mut unavailable = 0;
    for c in card["criteria"].as_array().unwrap() {
        let stage5 = c["stage"] == 5;
        let status = c["status"].as_str().unwrap();
        // The stage-5 check of a store that is down needs no server until it brings one up.
        if stage5 && status == "unavailable" {
            unavailable += 1;
            let message = c["message"].as_str().unwrap();
            assert!(
                message.contains("install"),
                "the reason says how to fix it: {c}"
            );
        } else {
            assert_eq!(status, "pass", "{c}");
        }
    }
    assert!(
        unavailable >= 6,
        "stage-5 criteria needing Redis read unavailable: {card:#}"
    );
    assert_eq!(card["counts"]["unavailable"], unavailable);
    assert!(card["score"].as_u64() < card["max_score"].as_u64());
    let text = Command::new(env!("CARGO_BIN_EXE_kata"))
        .args([
            "grade",
            "rate-limiter",
            "--impl",
            "reference",
            "--stage",
            "5",
        ])
        .env("KATA_REDIS_SERVER", "/nonexistent/redis-server")
        .output()
        .expect("the kata binary runs");
    assert!(
        stdout(&text).contains("could not be graded here"),
        "{}",
        stdout(&text)
    );
}

#[test]
fn the_prompt_unfolds_stage_by_stage_and_hints_name_their_criterion() {
    for k in lld_katas::katas() {
        let all = k.stage_count();
        for n in 1..=all {
            let o = kata(&["prompt", k.id, "--stage", &n.to_string()]);
            assert!(o.status.success(), "{}", stderr(&o));
            let p = stdout(&o);
            assert!(
                p.contains(&format!("## Stage {n}")),
                "{}: stage {n}:\n{p}",
                k.id
            );
            assert!(
                !p.contains(&format!("## Stage {}", n + 1)),
                "{}: stage {} shown too early",
                k.id,
                n + 1
            );
        }
        assert_eq!(
            stdout(&kata(&["prompt", k.id, "--stage", &all.to_string()])),
            stdout(&kata(&["prompt", k.id])),
            "{}: the last stage shows the whole prompt",
            k.id
        );
        let o = kata(&["prompt", k.id, "--stage", "0"]);
        assert_eq!(o.status.code(), Some(2));
        let c = &k.criteria[0];
        let o = kata(&["hint", c.id]);
        assert!(o.status.success());
        assert!(stdout(&o).contains(c.hint) && stdout(&o).contains(c.property));
    }
    assert_eq!(kata(&["hint", "no/such/criterion"]).status.code(), Some(2));
    // `next` and `watch` belong to a candidate's crate; the checkout says how to make one.
    for cmd in ["next", "watch"] {
        let o = kata(&[cmd]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("kata new"), "{}", stderr(&o));
    }
    assert!(kata(&["status"]).status.success());
}
