//! `kata analyze snake-ladder`: exact game-length figures for a board file, with the reference
//! engine.
//!
//! ```text
//! kata analyze snake-ladder --board FILE [--overshoot stay|bounce|finish] [--format text|json]
//!                           [--dice NdF] [--chains forbid|follow] [--extra-turn]
//! ```
//!
//! The distribution is computed until the games still running (plus the mass pruned on the way)
//! weigh at most [`TAIL_BOUND`], 10⁻¹²; that remainder is printed as `tail mass` (`tail_mass` in
//! JSON), so `P(finished within k)` is exact from below to within it. On a terminal, long
//! analyses show a progress bar on stderr; with `--format json`, or when stdout or stderr is
//! not a terminal, nothing but the result is written.
//!
//! Exit codes: 0 on success, 1 when the board file cannot be read or the board is invalid, 2 on
//! usage errors (one line naming the valid choices).

use super::reference::{Board, TAIL_BOUND};
use super::{ChainRule, DiceSpec, ExtraTurn, MAX_DICE, MAX_FACES, Overshoot, Rules, SnakeLadder};
use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "kata analyze snake-ladder --board FILE [--overshoot stay|bounce|finish] \
     [--format text|json] [--dice NdF] [--chains forbid|follow] [--extra-turn]";

/// Exact game-length analysis of a snake-and-ladder board (one player).
#[derive(Parser, Debug)]
#[command(name = "kata analyze snake-ladder", override_usage = USAGE)]
struct Args {
    /// Board file (see `kata prompt snake-ladder` for the format).
    #[arg(long)]
    board: PathBuf,
    /// What a roll past the last square does: stay, bounce or finish.
    #[arg(long, default_value = "stay")]
    overshoot: String,
    /// Output: text (with a chart) or json.
    #[arg(long, default_value = "text")]
    format: String,
    /// Dice rolled per turn, as NdF (e.g. 1d6, 2d6).
    #[arg(long, default_value = "1d6")]
    dice: String,
    /// Chained jumps: forbid (reject the board) or follow.
    #[arg(long, default_value = "forbid")]
    chains: String,
    /// A highest roll earns another turn (the third in a row is forfeited).
    #[arg(long)]
    extra_turn: bool,
}

/// Runs the tool on `args` (everything after `kata analyze snake-ladder`).
pub fn run(args: &[String]) -> ExitCode {
    let argv = std::iter::once("kata analyze snake-ladder".to_string()).chain(args.iter().cloned());
    let args = match Args::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) if !e.use_stderr() => {
            print!("{e}");
            return ExitCode::SUCCESS;
        }
        Err(e) => return usage(&one_line(&e.to_string())),
    };
    let (rules, json) = match settings(&args) {
        Ok(s) => s,
        Err(msg) => return usage(&msg),
    };
    let name = args.board.display().to_string();
    let text = match std::fs::read_to_string(&args.board) {
        Ok(t) => t,
        Err(e) => return failure(&format!("cannot read {name}: {e}")),
    };
    let spec = match Board::parse(&text) {
        Ok(s) => s,
        Err(e) => return failure(&format!("{name}: {e}")),
    };
    let board = match Board::new(&spec, &rules) {
        Ok(b) => b,
        Err(e) => return failure(&format!("{name}: invalid board: {e}")),
    };
    let quiet = json || !std::io::stderr().is_terminal() || !std::io::stdout().is_terminal();
    let progress = Progress::new(quiet);
    // One pass of each kind: the linear solve, the search, and the distribution up to the
    // tail bound, from which the median is read (the same figures `analyze()` returns).
    let expected_turns = board.expected_turns(&mut |share| progress.solving(share));
    let shortest_game = board.shortest_game();
    let dist = board.distribution(TAIL_BOUND, MAX_TURNS, &mut |turns, finished| {
        progress.propagating(turns, finished)
    });
    progress.done();
    let report = Report {
        name: &name,
        squares: spec.squares,
        jumps: spec.jumps.len(),
        rules,
        expected_turns,
        median_turns: dist.median(),
        shortest_game,
        cdf: dist.finished_within,
        tail_mass: dist.tail_mass,
    };
    if json {
        println!("{}", report.json());
    } else {
        print!("{}", report.text());
    }
    ExitCode::SUCCESS
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

fn failure(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::FAILURE
}

/// A clap error on one line, with the usage.
fn one_line(clap_error: &str) -> String {
    let words: Vec<&str> = clap_error
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("For more information") && !l.starts_with("Usage:")
        })
        .collect();
    let msg = words.join(" ");
    let msg = msg.strip_prefix("error: ").unwrap_or(&msg);
    format!("{msg} (usage: {USAGE})")
}

fn settings(args: &Args) -> Result<(Rules, bool), String> {
    let choice = |flag: &str, value: &str, names: &[&str]| -> Result<usize, String> {
        names.iter().position(|n| *n == value).ok_or_else(|| {
            format!(
                "unknown {flag} '{value}' (choose one of: {})",
                names.join(", ")
            )
        })
    };
    let overshoot = [Overshoot::Stay, Overshoot::Bounce, Overshoot::Finish][choice(
        "--overshoot",
        &args.overshoot,
        &["stay", "bounce", "finish"],
    )?];
    let json = choice("--format", &args.format, &["text", "json"])? == 1;
    let chains = [ChainRule::Forbidden, ChainRule::Follow]
        [choice("--chains", &args.chains, &["forbid", "follow"])?];
    let dice = args
        .dice
        .split_once('d')
        .and_then(|(c, f)| Some(DiceSpec {
            count: c.parse().ok()?,
            faces: f.parse().ok()?,
        }))
        .filter(|d| (1..=MAX_DICE).contains(&d.count) && (1..=MAX_FACES).contains(&d.faces))
        .ok_or_else(|| {
            format!(
                "unknown --dice '{}' (choose NdF with N in 1..={MAX_DICE} and F in 1..={MAX_FACES}, e.g. 1d6, 2d6)",
                args.dice
            )
        })?;
    let extra_turn = if args.extra_turn {
        ExtraTurn::OnHighestRoll
    } else {
        ExtraTurn::Never
    };
    Ok((
        Rules {
            dice,
            overshoot,
            extra_turn,
            chains,
        },
        json,
    ))
}

/// A turn limit for boards whose games almost never end: the distribution stops there, and
/// `tail_mass` says how much is left.
const MAX_TURNS: u32 = 100_000_000;

/// The progress bar on stderr (hidden when quiet): first the solve, then the distribution.
struct Progress {
    bar: ProgressBar,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            let bar = ProgressBar::with_draw_target(Some(1_000), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{prefix:>14} [{bar:30}] {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar
        };
        Self { bar }
    }

    fn solving(&self, share: f64) {
        self.bar.set_prefix("expected turns");
        self.bar.set_position((share * 1_000.0) as u64);
        self.bar
            .set_message(format!("{:.0} % of squares", share * 100.0));
    }

    fn propagating(&self, turns: u32, finished: f64) {
        self.bar.set_prefix("distribution");
        self.bar.set_position((finished * 1_000.0) as u64);
        self.bar.set_message(format!(
            "turn {turns}, {:.3} % of games finished",
            finished * 100.0
        ));
    }

    fn done(&self) {
        self.bar.finish_and_clear();
    }
}

struct Report<'a> {
    name: &'a str,
    squares: u32,
    jumps: usize,
    rules: Rules,
    expected_turns: f64,
    /// `None` when the turn limit came first.
    median_turns: Option<u32>,
    shortest_game: u32,
    /// P(finished within k), k = 0…, up to the tail bound.
    cdf: Vec<f64>,
    /// What the last entry of `cdf` leaves unaccounted.
    tail_mass: f64,
}

impl Report<'_> {
    fn rules_line(&self) -> String {
        let r = self.rules;
        format!(
            "{}d{}, overshoot {}, {}, chains {}",
            r.dice.count,
            r.dice.faces,
            match r.overshoot {
                Overshoot::Stay => "stay",
                Overshoot::Bounce => "bounce",
                Overshoot::Finish => "finish",
            },
            match r.extra_turn {
                ExtraTurn::Never => "no extra turns",
                ExtraTurn::OnHighestRoll => "extra turn on the highest roll",
            },
            match r.chains {
                ChainRule::Forbidden => "forbidden",
                ChainRule::Follow => "followed",
            }
        )
    }

    /// P(the game lasts exactly k turns), k = 0…
    fn lengths(&self) -> Vec<f64> {
        std::iter::once(0.0)
            .chain(self.cdf.windows(2).map(|w| (w[1] - w[0]).max(0.0)))
            .collect()
    }

    fn json(&self) -> String {
        serde_json::json!({
            "board": self.name,
            "squares": self.squares,
            "jumps": self.jumps,
            "rules": self.rules_line(),
            "expected_turns": self.expected_turns,
            "median_turns": self.median_turns,
            "shortest_game": self.shortest_game,
            "finished_within": self.cdf,
            "game_length_distribution": self.lengths(),
            "tail_mass": self.tail_mass,
            "tail_bound": TAIL_BOUND,
        })
        .to_string()
    }

    fn median_text(&self) -> String {
        self.median_turns.map_or_else(
            || format!("more than {} (turn limit)", self.cdf.len() - 1),
            |m| m.to_string(),
        )
    }

    fn text(&self) -> String {
        let mut out = format!(
            "board          : {} — {} squares, {} jumps\nrules          : {}\n\
             expected turns : {:.4}\nmedian turns   : {}\nshortest game  : {}\n\
             tail mass      : {:.1e} (unfinished after turn {}, bound {TAIL_BOUND:.0e})\n\n",
            self.name,
            self.squares,
            self.jumps,
            self.rules_line(),
            self.expected_turns,
            self.median_text(),
            self.shortest_game,
            self.tail_mass,
            self.cdf.len() - 1,
        );
        // Group turns into at most 25 rows, each bar proportional to P(length in the row).
        const ROWS: usize = 25;
        const WIDTH: f64 = 50.0;
        let lengths = self.lengths();
        let first = (self.shortest_game.max(1) as usize).min(lengths.len().saturating_sub(1));
        let last = lengths.len().saturating_sub(1).max(first);
        let per_row = (last - first + 1).div_ceil(ROWS).max(1);
        let rows: Vec<(usize, usize, f64)> = (first..=last)
            .step_by(per_row)
            .map(|lo| {
                let hi = (lo + per_row - 1).min(last);
                (lo, hi, lengths[lo..=hi].iter().sum())
            })
            .collect();
        let top = rows
            .iter()
            .map(|r| r.2)
            .fold(0.0, f64::max)
            .max(f64::MIN_POSITIVE);
        out.push_str("game length (turns)   P(length)  P(≤ length)\n");
        for (lo, hi, p) in rows {
            let label = if lo == hi {
                format!("{lo}")
            } else {
                format!("{lo}–{hi}")
            };
            let cells = p / top * WIDTH;
            let mut bar = "█".repeat(cells as usize);
            if cells.fract() >= 0.5 {
                bar.push('▌');
            }
            out.push_str(&format!(
                "{label:>13}  {:>6.2} %   {:>6.2} %  {bar}\n",
                p * 100.0,
                self.cdf[hi] * 100.0
            ));
        }
        out.push_str(&format!(
            "(the distribution stops where at most {:.1e} of the probability is unaccounted)\n",
            self.tail_mass
        ));
        out
    }
}
