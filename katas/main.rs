//! `kata`: list katas, print prompts and rubrics, grade a solution.
//!
//! Exit codes: 0 when every graded criterion passes (or the command succeeded), 1 when a graded
//! criterion did not pass, 2 on usage errors (unknown kata, implementation, stage or format).

use clap::{Parser, Subcommand};
use lld_katas::grading::{self, Format, GradeRequest, ImplChoice, Kata};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "kata",
    version,
    about = "Backend low-level-design interview katas, graded by conformance suites",
    long_about = "Backend low-level-design interview katas, graded by conformance suites.\n\n\
        Candidates: read a prompt (`kata prompt rate-limiter`), fill in the stub, run its suite \
        with cargo test. Interviewers: `kata grade <kata>` prints a score card."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the katas, their stages and how many criteria each has.
    List,
    /// Print a kata's interview prompt.
    Prompt {
        /// Kata id (see `kata list`).
        kata: String,
    },
    /// Print a kata's rubric as markdown: automated criteria and manual criteria.
    Rubric {
        /// Kata id (see `kata list`).
        kata: String,
    },
    /// Grade an implementation and print its score card.
    ///
    /// Each criterion runs in its own child process with a deadline, so a solution that
    /// deadlocks, aborts or overflows its stack costs exactly the criteria it breaks.
    Grade {
        /// Kata id (see `kata list`).
        kata: String,
        /// Which implementation: `reference`, `exercise` or `mutant:<name>` (see `kata mutants`).
        #[arg(long = "impl", default_value = "exercise")]
        implementation: String,
        /// Output format: text, markdown or json.
        #[arg(long, default_value = "text")]
        format: String,
        /// Grade stages 1 through N (the stage the interview reached). Default: every stage.
        #[arg(long)]
        stage: Option<String>,
        /// Seconds each criterion may run before it is stopped and reads `timeout`.
        #[arg(long, default_value_t = 10.0)]
        timeout_secs: f64,
        /// Criteria graded at once (child processes). Default: the number of CPUs available.
        #[arg(long)]
        jobs: Option<usize>,
        /// Memory (address space) each criterion's process may use, in MiB; past it the
        /// criterion reads `crash`, "out of memory".
        #[arg(long, default_value_t = grading::isolate::DEFAULT_MEMORY_MB)]
        memory_mb: u64,
    },
    /// Print a kata's rule table: each normative rule of its contract, the criteria that drive a
    /// solution into it, and the mutants that break it.
    Rules {
        /// Kata id (see `kata list`).
        kata: String,
    },
    /// List a kata's mutants: known-wrong implementations the rubric must reject.
    Mutants {
        /// Kata id (see `kata list`).
        kata: String,
    },
    /// Run a kata's analysis tool (e.g. `kata analyze snake-ladder --board FILE`).
    ///
    /// Arguments after the kata id belong to the kata's tool: `kata analyze <kata> --help`.
    Analyze {
        /// Kata id (see `kata list`).
        kata: String,
        /// Arguments for the kata's tool.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Internal: run one criterion and report its verdict to the parent `kata grade`, which
    /// writes the verdict channel's secret on stdin.
    #[command(name = "__run-criterion", hide = true)]
    RunCriterion {
        kata: String,
        implementation: String,
        criterion: String,
        #[arg(long, default_value_t = 10_000)]
        timeout_ms: u64,
        #[arg(long, default_value_t = grading::isolate::DEFAULT_MEMORY_MB)]
        memory_mb: u64,
    },
}

/// A usage error: printed on one line, exit code 2.
struct Usage(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Result<ExitCode, Usage> {
    match command {
        Command::List => {
            list();
            Ok(ExitCode::SUCCESS)
        }
        Command::Prompt { kata } => {
            print!("{}", find_kata(&kata)?.prompt);
            Ok(ExitCode::SUCCESS)
        }
        Command::Rubric { kata } => {
            print!("{}", rubric(&find_kata(&kata)?));
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules { kata } => {
            print!("{}", rules(&find_kata(&kata)?));
            Ok(ExitCode::SUCCESS)
        }
        Command::Mutants { kata } => {
            let kata = find_kata(&kata)?;
            let mutants = (kata.mutants)();
            let width = mutants.iter().map(|m| m.name.len()).max().unwrap_or(0);
            for m in mutants {
                let tag = if m.hostile { " (hostile)" } else { "" };
                println!("{:<width$}  {}{tag}", m.name, m.bug);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Grade {
            kata,
            implementation,
            format,
            stage,
            timeout_secs,
            jobs,
            memory_mb,
        } => grade(
            &kata,
            &implementation,
            &format,
            stage.as_deref(),
            timeout_secs,
            jobs,
            memory_mb,
        ),
        Command::Analyze { kata, args } => {
            let kata = find_kata(&kata)?;
            match kata.analyze {
                Some(tool) => Ok(tool(&args)),
                None => {
                    let with: Vec<_> = lld_katas::katas()
                        .into_iter()
                        .filter(|k| k.analyze.is_some())
                        .map(|k| k.id)
                        .collect();
                    Err(Usage(format!(
                        "kata '{}' has no analysis tool (katas with one: {})",
                        kata.id,
                        if with.is_empty() {
                            "none".to_string()
                        } else {
                            with.join(", ")
                        }
                    )))
                }
            }
        }
        Command::RunCriterion {
            kata,
            implementation,
            criterion,
            timeout_ms,
            memory_mb,
        } => {
            // The secret first, before any solution code can read stdin.
            let secret = grading::isolate::Secret::read_from_stdin().ok_or_else(|| {
                Usage(
                    "the grader child expects its secret on stdin (run `kata grade` instead)"
                        .into(),
                )
            })?;
            let kata = find_kata(&kata)?;
            let choice = parse_impl(&kata, &implementation)?;
            let suite = kata.suite(&choice).unwrap_or_default();
            if !suite.iter().any(|c| c.criterion.id == criterion) {
                return Err(Usage(format!("unknown criterion '{criterion}'")));
            }
            if let Err(e) = grading::isolate::limit_memory(memory_mb) {
                eprintln!("warning: could not limit the grader child's memory: {e}");
            }
            let verdict =
                grading::run_criterion(&suite, &criterion, Duration::from_millis(timeout_ms))
                    .expect("the criterion was found above");
            // `report` flushes: a check thread may still be spinning (timeout), and the
            // process ends with `main`.
            grading::isolate::report(&verdict, &secret);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn find_kata(id: &str) -> Result<Kata, Usage> {
    lld_katas::kata(id).ok_or_else(|| {
        let ids: Vec<_> = lld_katas::katas().iter().map(|k| k.id).collect();
        Usage(format!(
            "unknown kata '{id}' (choose one of: {})",
            ids.join(", ")
        ))
    })
}

fn parse_impl(kata: &Kata, s: &str) -> Result<ImplChoice, Usage> {
    let valid = || {
        let mut names = vec!["reference".to_string(), "exercise".to_string()];
        names.extend(
            (kata.mutants)()
                .iter()
                .map(|m| format!("mutant:{}", m.name)),
        );
        names.join(", ")
    };
    match ImplChoice::parse(s) {
        Some(ImplChoice::Mutant(name)) if kata.mutant(&name).is_none() => Err(Usage(format!(
            "unknown implementation '{s}' for {} (choose one of: {})",
            kata.id,
            valid()
        ))),
        Some(choice) => Ok(choice),
        None => Err(Usage(format!(
            "unknown implementation '{s}' for {} (choose one of: {})",
            kata.id,
            valid()
        ))),
    }
}

fn grade(
    kata: &str,
    implementation: &str,
    format: &str,
    stage: Option<&str>,
    timeout_secs: f64,
    jobs: Option<usize>,
    memory_mb: u64,
) -> Result<ExitCode, Usage> {
    let kata = find_kata(kata)?;
    let choice = parse_impl(&kata, implementation)?;
    let format = Format::parse(format).ok_or_else(|| {
        Usage(format!(
            "unknown format '{format}' (choose one of: {})",
            Format::NAMES.join(", ")
        ))
    })?;
    let stages = kata.stage_count();
    let stage = match stage {
        None => stages,
        Some(s) => s
            .parse::<u8>()
            .ok()
            .filter(|n| (1..=stages).contains(n))
            .ok_or_else(|| {
                Usage(format!(
                    "unknown stage '{s}' for {} (choose one of: {})",
                    kata.id,
                    (1..=stages)
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?,
    };
    if !(timeout_secs.is_finite() && timeout_secs > 0.0) {
        return Err(Usage(format!(
            "--timeout-secs must be a positive number of seconds, not {timeout_secs}"
        )));
    }
    if memory_mb < 64 {
        return Err(Usage(format!(
            "--memory-mb must be at least 64 (MiB), not {memory_mb}"
        )));
    }
    let exe: PathBuf = std::env::current_exe()
        .map_err(|e| Usage(format!("cannot find the kata binary to run criteria: {e}")))?;
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let request = GradeRequest {
        kata: &kata,
        implementation: choice,
        stage,
        timeout: Duration::from_secs_f64(timeout_secs),
        memory_mb,
        jobs,
        exe: &exe,
    };
    if format == Format::Text {
        println!(
            "grading {} — {} (stages 1–{stage}), {jobs} at a time",
            kata.id,
            request.implementation.label()
        );
    }
    let card = grading::grade(&request, |done, total, c, v| {
        if format == Format::Text {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", grading::progress_line(done, total, c, v));
            let _ = out.flush();
        }
    })
    .expect("the implementation was validated above");
    print!("{}", card.render(&kata, format));
    Ok(if card.all_passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn list() {
    for k in lld_katas::katas() {
        println!("{} — {} ({} criteria)", k.id, k.title, k.criteria.len());
        for (i, s) in k.stages.iter().enumerate() {
            let n = k
                .criteria
                .iter()
                .filter(|c| usize::from(c.stage) == i + 1)
                .count();
            println!("  stage {}: {s} ({n} criteria)", i + 1);
        }
    }
}

fn rubric(kata: &Kata) -> String {
    let mut out = format!("# Rubric: {} — {}\n\n", kata.id, kata.title);
    out.push_str("## Automated criteria\n\n");
    out.push_str("| Id | Stage | Weight | Property |\n|---|---|---|---|\n");
    for c in kata.criteria {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            c.id,
            c.stage,
            c.weight,
            c.property.replace('|', "\\|")
        ));
    }
    out.push_str(&format!(
        "\nMaximum automated score: {}\n\n## Manual criteria (score by reading the code)\n\n",
        kata.max_score(kata.stage_count())
    ));
    out.push_str("| Criterion | What to look for | Points |\n|---|---|---|\n");
    for m in grading::COMMON_MANUAL_CRITERIA.iter().chain(kata.manual) {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            m.name,
            m.look_for.replace('|', "\\|"),
            m.weight
        ));
    }
    out
}

fn rules(kata: &Kata) -> String {
    let mutants = (kata.mutants)();
    let mut out = format!(
        "# Rules: {} — {}\n\nEach normative rule of the contract, the criteria that drive a solution \
         into it, and the mutants (known-wrong solutions) that break it.\n\n",
        kata.id, kata.title
    );
    out.push_str("| Rule | Says | Criteria | Broken by |\n|---|---|---|---|\n");
    let code = |ids: Vec<&str>| {
        ids.iter()
            .map(|id| format!("`{id}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for r in kata.rules {
        let breakers = mutants
            .iter()
            .filter(|m| m.breaks.contains(&r.id))
            .map(|m| m.name)
            .collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            r.id,
            r.text.replace('|', "\\|"),
            code(r.criteria.to_vec()),
            code(breakers)
        ));
    }
    out
}
