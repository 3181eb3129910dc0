//! The `kata` command line, as a library so that two binaries share it: the checkout's own
//! `kata`, and the one in each candidate's crate (made by `kata new`), which is the same
//! command line with the candidate's solution bound in as `exercise`.
//!
//! Exit codes: 0 when every graded criterion passes (or the command succeeded), 1 when a graded
//! criterion did not pass, 2 on usage errors (unknown kata, implementation, stage or format),
//! 3 when a submitted solution does not compile.
//!
//! - `scaffold.rs` — `kata new` and building a submitted solution (`grade --solution`).
//! - `stages.rs` — the prompt by stage, a candidate's progress, `next`, `watch`, `status`.

mod scaffold;
mod stages;

use crate::grading::{self, Check, Format, GradeRequest, ImplChoice, Kata};
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "kata",
    // The crate's version, not the calling binary's.
    version = env!("CARGO_PKG_VERSION"),
    about = "Backend low-level-design interview katas, graded by conformance suites",
    long_about = "Backend low-level-design interview katas, graded by conformance suites.\n\n\
        Candidates: `kata new <kata> DIR` makes a crate of your own with the stub in it; there, \
        `cargo run -q -- next` runs the current stage and reveals the next one when it passes. \
        Interviewers: `kata grade <kata> --solution DIR` prints a score card."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the katas, their stages and how many criteria each has.
    List,
    /// Print a kata's interview prompt: every stage, or stages 1 through N.
    ///
    /// In a candidate's crate, without `--stage`: up to the stage the candidate has reached.
    Prompt {
        /// Kata id (see `kata list`); in a candidate's crate, that crate's kata.
        kata: Option<String>,
        /// Show stages 1 through N only.
        #[arg(long)]
        stage: Option<String>,
    },
    /// Print one criterion: what it checks and the hint shown when it fails.
    Hint {
        /// Criterion id, e.g. `parking/stage1/capacity` (see `kata rubric <kata>`).
        criterion: String,
    },
    /// Scaffold a crate of your own with a kata's stub, its suite, and a README.
    ///
    /// The crate depends on this checkout by path; your edits rebuild only your crate.
    New {
        /// Kata id (see `kata list`).
        kata: String,
        /// Where to create the crate (must not exist or be empty). Default: `./<kata>-solution`.
        dir: Option<PathBuf>,
    },
    /// In a candidate's crate: grade the current stage (and every stage before it); when all
    /// pass, say so and reveal the next stage.
    Next {
        /// One line per criterion and only the first failure explained (as `watch` shows it).
        #[arg(long)]
        brief: bool,
    },
    /// In a candidate's crate: run `next --brief` again whenever a file under `src/` or
    /// `tests/` changes.
    Watch,
    /// Progress: in a candidate's crate, its stage; in the checkout, every crate `kata new`
    /// made from it.
    Status,
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
        #[arg(long = "impl", default_value = "exercise", conflicts_with = "solution")]
        implementation: String,
        /// Grade a submitted solution instead: a crate made by `kata new`, or a single
        /// `exercise.rs`. It is built in a scratch directory; nothing in it or in this checkout
        /// is touched.
        #[arg(long)]
        solution: Option<PathBuf>,
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

/// Where the command line runs: the checkout, or a candidate's crate.
struct Context {
    katas: Vec<Kata>,
    /// Set in a candidate's crate: its kata and its directory.
    solution: Option<SolutionCrate>,
}

/// A candidate's crate, as its own binary knows it.
struct SolutionCrate {
    kata: &'static str,
    dir: PathBuf,
}

/// The checkout's `kata` command.
pub fn main() -> ExitCode {
    run_cli(Context {
        katas: crate::katas(),
        solution: None,
    })
}

/// The `kata` command of a candidate's crate (its `src/main.rs` calls this): the same command
/// line, with `suite` — the candidate's solution bound to the rubric — as the kata's
/// `exercise`, and progress kept in `crate_dir`.
///
/// Returns exit code 2 when `kata` is not a kata of this version of the crate.
pub fn solution_main(kata: &str, suite: fn() -> Vec<Check>, crate_dir: &str) -> ExitCode {
    let mut katas = crate::katas();
    let Some(k) = katas.iter_mut().find(|k| k.id == kata) else {
        eprintln!("error: this version of lld-katas has no kata '{kata}'");
        return ExitCode::from(2);
    };
    k.exercise = suite;
    let kata = k.id;
    run_cli(Context {
        katas,
        solution: Some(SolutionCrate {
            kata,
            dir: PathBuf::from(crate_dir),
        }),
    })
}

fn run_cli(cx: Context) -> ExitCode {
    let cli = Cli::parse();
    match run(&cx, cli.command) {
        Ok(code) => code,
        Err(Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

impl Context {
    fn find_kata(&self, id: &str) -> Result<Kata, Usage> {
        self.katas
            .iter()
            .find(|k| k.id == id)
            .cloned()
            .ok_or_else(|| {
                let ids: Vec<_> = self.katas.iter().map(|k| k.id).collect();
                Usage(format!(
                    "unknown kata '{id}' (choose one of: {})",
                    ids.join(", ")
                ))
            })
    }

    /// The kata named, or in a candidate's crate the crate's own.
    fn kata_or_own(&self, id: Option<&str>) -> Result<Kata, Usage> {
        match (id, &self.solution) {
            (Some(id), _) => self.find_kata(id),
            (None, Some(own)) => self.find_kata(own.kata),
            (None, None) => Err(Usage("name a kata (see `kata list`)".to_string())),
        }
    }

    fn own_crate(&self, command: &str) -> Result<&SolutionCrate, Usage> {
        self.solution.as_ref().ok_or_else(|| {
            Usage(format!(
                "`kata {command}` runs in a candidate's crate: make one with `kata new <kata> DIR`, \
                 then run `cargo run -q -- {command}` there"
            ))
        })
    }
}

fn run(cx: &Context, command: Command) -> Result<ExitCode, Usage> {
    match command {
        Command::List => {
            list(&cx.katas);
            Ok(ExitCode::SUCCESS)
        }
        Command::Prompt { kata, stage } => {
            let kata = cx.kata_or_own(kata.as_deref())?;
            let stage = match (stage, &cx.solution) {
                (Some(s), _) => parse_stage(&kata, &s)?,
                (None, Some(own)) if own.kata == kata.id => {
                    stages::Progress::load(&own.dir, &kata).stage
                }
                (None, _) => kata.stage_count(),
            };
            print!("{}", stages::prompt_up_to(&kata, stage));
            Ok(ExitCode::SUCCESS)
        }
        Command::Hint { criterion } => {
            let found = cx
                .katas
                .iter()
                .find_map(|k| k.criterion(&criterion).map(|c| (k, c)));
            let Some((kata, c)) = found else {
                return Err(Usage(format!(
                    "unknown criterion '{criterion}' (see `kata rubric <kata>` for the ids)"
                )));
            };
            println!("{} — {}", c.id, c.title);
            println!("  kata     : {} (stage {})", kata.id, c.stage);
            println!("  property : {}", c.property);
            println!("  hint     : {}", c.hint);
            Ok(ExitCode::SUCCESS)
        }
        Command::New { kata, dir } => {
            let kata = cx.find_kata(&kata)?;
            scaffold::new_crate(&kata, dir)
        }
        Command::Next { brief } => {
            let own = cx.own_crate("next")?;
            let kata = cx.find_kata(own.kata)?;
            stages::next(&kata, &own.dir, brief)
        }
        Command::Watch => {
            let own = cx.own_crate("watch")?;
            stages::watch(&own.dir)
        }
        Command::Status => {
            match &cx.solution {
                Some(own) => stages::status_of_crate(&cx.find_kata(own.kata)?, &own.dir),
                None => stages::status_of_checkout(&cx.katas),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Rubric { kata } => {
            print!("{}", rubric(&cx.find_kata(&kata)?));
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules { kata } => {
            print!("{}", rules(&cx.find_kata(&kata)?));
            Ok(ExitCode::SUCCESS)
        }
        Command::Mutants { kata } => {
            let kata = cx.find_kata(&kata)?;
            let mutants = (kata.mutants)();
            if !MUTANTS_BUILT {
                eprintln!("{NO_MUTANTS}");
                return Ok(ExitCode::from(2));
            }
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
            solution,
            format,
            stage,
            timeout_secs,
            jobs,
            memory_mb,
        } => {
            let options = GradeOptions {
                format,
                stage,
                timeout_secs,
                jobs,
                memory_mb,
            };
            let kata = cx.find_kata(&kata)?;
            match solution {
                Some(path) => scaffold::grade_submitted(&kata, &path, &options),
                None => grade(&kata, &implementation, &options, |_, _, _, _| {}),
            }
        }
        Command::Analyze { kata, args } => {
            let kata = cx.find_kata(&kata)?;
            match kata.analyze {
                Some(tool) => Ok(tool(&args)),
                None => {
                    let with: Vec<_> = cx
                        .katas
                        .iter()
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
            let kata = cx.find_kata(&kata)?;
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

fn parse_impl(kata: &Kata, s: &str) -> Result<ImplChoice, Usage> {
    let unknown = || {
        let mut names = vec!["reference".to_string(), "exercise".to_string()];
        names.extend(
            (kata.mutants)()
                .iter()
                .map(|m| format!("mutant:{}", m.name)),
        );
        Usage(format!(
            "unknown implementation '{s}' for {} (choose one of: {})",
            kata.id,
            names.join(", ")
        ))
    };
    match ImplChoice::parse(s) {
        Some(ImplChoice::Mutant(name)) if kata.mutant(&name).is_none() => Err(unknown()),
        Some(choice) => Ok(choice),
        None => Err(unknown()),
    }
}

fn parse_stage(kata: &Kata, s: &str) -> Result<u8, Usage> {
    let stages = kata.stage_count();
    s.parse::<u8>()
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
        })
}

/// How to grade, as given on the command line.
struct GradeOptions {
    format: String,
    stage: Option<String>,
    timeout_secs: f64,
    jobs: Option<usize>,
    memory_mb: u64,
}

impl GradeOptions {
    /// The same options as arguments for another `kata grade`.
    fn to_args(&self) -> Vec<String> {
        let mut args = vec![
            "--format".to_string(),
            self.format.clone(),
            "--timeout-secs".to_string(),
            self.timeout_secs.to_string(),
            "--memory-mb".to_string(),
            self.memory_mb.to_string(),
        ];
        if let Some(s) = &self.stage {
            args.extend(["--stage".to_string(), s.clone()]);
        }
        if let Some(j) = self.jobs {
            args.extend(["--jobs".to_string(), j.to_string()]);
        }
        args
    }

    fn validate(&self, kata: &Kata) -> Result<(Format, u8), Usage> {
        let format = Format::parse(&self.format).ok_or_else(|| {
            Usage(format!(
                "unknown format '{}' (choose one of: {})",
                self.format,
                Format::NAMES.join(", ")
            ))
        })?;
        let stage = match &self.stage {
            None => kata.stage_count(),
            Some(s) => parse_stage(kata, s)?,
        };
        if !(self.timeout_secs.is_finite() && self.timeout_secs > 0.0) {
            return Err(Usage(format!(
                "--timeout-secs must be a positive number of seconds, not {}",
                self.timeout_secs
            )));
        }
        if self.memory_mb < 64 {
            return Err(Usage(format!(
                "--memory-mb must be at least 64 (MiB), not {}",
                self.memory_mb
            )));
        }
        Ok((format, stage))
    }
}

/// Grades one implementation and prints its card; `on_verdict` also sees every verdict.
fn grade(
    kata: &Kata,
    implementation: &str,
    options: &GradeOptions,
    on_verdict: impl Fn(usize, usize, &grading::Criterion, &grading::Verdict) + Sync,
) -> Result<ExitCode, Usage> {
    let choice = parse_impl(kata, implementation)?;
    let (format, stage) = options.validate(kata)?;
    let card = grade_card(
        kata,
        choice,
        stage,
        options,
        format == Format::Text,
        on_verdict,
    )?;
    print!("{}", card.render(kata, format));
    Ok(if card.all_passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Grades stages `1..=stage`, printing progress lines when `progress` is set.
fn grade_card(
    kata: &Kata,
    choice: ImplChoice,
    stage: u8,
    options: &GradeOptions,
    progress: bool,
    on_verdict: impl Fn(usize, usize, &grading::Criterion, &grading::Verdict) + Sync,
) -> Result<grading::ScoreCard, Usage> {
    let exe: PathBuf = std::env::current_exe()
        .map_err(|e| Usage(format!("cannot find the kata binary to run criteria: {e}")))?;
    let jobs = options
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let request = GradeRequest {
        kata,
        implementation: choice,
        stage,
        timeout: Duration::from_secs_f64(options.timeout_secs),
        memory_mb: options.memory_mb,
        jobs,
        exe: &exe,
    };
    if progress {
        println!(
            "grading {} — {} (stages 1–{stage}), {jobs} at a time",
            kata.id,
            request.implementation.label()
        );
    }
    Ok(grading::grade(&request, |done, total, c, v| {
        if progress {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", grading::progress_line(done, total, c, v));
            let _ = out.flush();
        }
        on_verdict(done, total, c, v);
    })
    .expect("the implementation was validated above"))
}

fn list(katas: &[Kata]) {
    for k in katas {
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
            if MUTANTS_BUILT {
                code(breakers)
            } else {
                "(not built)".into()
            }
        ));
    }
    if !MUTANTS_BUILT {
        out.push_str(&format!("\n{NO_MUTANTS}\n"));
    }
    out
}

/// Whether this build holds the mutant catalogues (the `mutants` feature, on by default).
const MUTANTS_BUILT: bool = cfg!(all(feature = "mutants", not(test)));

const NO_MUTANTS: &str = "this build of lld-katas has no mutant catalogue (a candidate's crate \
     leaves it out to build faster); run `kata mutants` in the lld-katas checkout";
