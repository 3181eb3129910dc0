//! Stage 4 checks: the exact analysis, against the dense solve and against simulation, and on
//! the largest board the contract allows.

use super::describe::*;
use super::model::*;
use super::scenario::*;
use super::{DISTRIBUTION, EXPECTED_TURNS};
use crate::grading::{Failure, Transcript, check_property};
use crate::snake_ladder::{
    BoardSpec, ChainRule, DiceSpec, ExtraTurn, Game, Jump, MAX_SQUARES, Overshoot, Rules,
    SnakeLadder,
};
use proptest::prelude::*;

fn analysed<B: SnakeLadder>(s: &BoardCase) -> Result<(Oracle, B, Transcript), Failure> {
    let log = Transcript::new(setup_line(&s.0, &s.1));
    let oracle = Oracle::new(&s.0, &s.1)
        .map_err(|e| Failure::new(&log, "a valid board (suite bug)", format!("{e}")))?;
    let board = build::<B>(&s.0, &s.1, &log)?;
    Ok((oracle, board, log))
}

/// Small boards under every rule set, with the classic board and edge cases first.
fn analysis_boards() -> impl Strategy<Value = BoardCase> {
    (any_rules(), board_size(30), raw_jumps()).prop_map(|(rules, extra, raw)| {
        let rules = playable(rules);
        let squares = rules.dice.highest().max(2) + extra;
        BoardCase(valid_board(&rules, squares, &raw), rules)
    })
}

fn fixed_analysis_boards() -> Vec<BoardCase> {
    vec![
        BoardCase(classic_board(), Rules::default()),
        BoardCase(
            classic_board(),
            Rules {
                overshoot: Overshoot::Bounce,
                extra_turn: ExtraTurn::OnHighestRoll,
                ..Rules::default()
            },
        ),
        BoardCase(
            BoardSpec {
                squares: 2,
                jumps: vec![],
            },
            Rules {
                dice: DiceSpec { count: 1, faces: 1 },
                ..Rules::default()
            },
        ),
        BoardCase(
            BoardSpec {
                squares: 6,
                jumps: vec![Jump::ladder(1, 6)],
            },
            Rules {
                extra_turn: ExtraTurn::OnHighestRoll,
                ..Rules::default()
            },
        ),
    ]
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1.0)
}

/// Expected turns equal the dense solve (and the published classic value).
pub fn expected_turns<B: SnakeLadder>() -> Result<(), Failure> {
    let check = |case: BoardCase| -> Result<(), Failure> {
        let (oracle, board, log) = analysed::<B>(&case)?;
        let want = oracle.expected_turns();
        let got = board.analyze().expected_turns;
        if !close(got, want, 1e-6) || !got.is_finite() {
            return Err(Failure::new(
                format!("{log}\nanalyze()"),
                format!("expected_turns = {want:.9}"),
                format!("expected_turns = {got:.9}"),
            ));
        }
        Ok(())
    };
    let (_, board, log) = analysed::<B>(&BoardCase(classic_board(), Rules::default()))?;
    let got = board.analyze().expected_turns;
    if !close(got, CLASSIC_EXPECTED_TURNS, 1e-8) {
        return Err(Failure::new(
            format!("{log}\nanalyze() on the classic board"),
            format!("expected_turns = {CLASSIC_EXPECTED_TURNS} (published)"),
            format!("expected_turns = {got:.9}"),
        ));
    }
    for case in fixed_analysis_boards() {
        check(case)?;
    }
    check_property(&EXPECTED_TURNS, 120, analysis_boards(), check)
}

/// finished_within, median and shortest game equal the oracle's.
pub fn distribution<B: SnakeLadder>() -> Result<(), Failure> {
    let check = |case: BoardCase| -> Result<(), Failure> {
        let (oracle, board, log) = analysed::<B>(&case)?;
        let a = board.analyze();
        let shortest = oracle.shortest_game();
        if a.shortest_game != shortest {
            return Err(Failure::new(
                format!("{log}\nanalyze()"),
                format!("shortest_game = {shortest}"),
                format!("shortest_game = {}", a.shortest_game),
            ));
        }
        let horizon = (3.0 * oracle.expected_turns()).ceil() as u32 + 3;
        let want = oracle.finished_within(horizon);
        let got = board.finished_within(horizon);
        if got.len() != want.len() {
            return Err(Failure::new(
                format!("{log}\nfinished_within({horizon})"),
                format!("{} entries (k = 0..={horizon})", want.len()),
                format!("{} entries", got.len()),
            ));
        }
        if let Some(k) = (0..want.len()).find(|&k| !close(got[k], want[k], 1e-9)) {
            return Err(Failure::new(
                format!("{log}\nfinished_within({horizon})"),
                format!("P(finished within {k} turns) = {:.12}", want[k]),
                format!("{:.12}", got[k]),
            ));
        }
        // The median: the first k with P ≥ 1/2 (either side of a tie within rounding).
        let m = a.median_turns as usize;
        let ok = m < want.len() && want[m] >= 0.5 - 1e-9 && (m == 0 || want[m - 1] <= 0.5 + 1e-9);
        if !ok {
            let first = want
                .iter()
                .position(|&p| p >= 0.5)
                .map_or("beyond".into(), |k| k.to_string());
            return Err(Failure::new(
                format!("{log}\nanalyze()"),
                format!("median_turns = {first}"),
                format!("median_turns = {m}"),
            ));
        }
        Ok(())
    };
    for case in fixed_analysis_boards() {
        check(case)?;
    }
    for case in tie_boards() {
        check(case.clone())?;
        median_on_the_tie::<B>(&case)?;
    }
    check_property(&DISTRIBUTION, 80, analysis_boards(), check)
}

/// Boards on which `P(finished within k)` is exactly 1/2 for some k: with two-faced dice every
/// probability is a sum of powers of two, so the oracle's figures — and any sound solution's —
/// carry no rounding at all.
fn tie_boards() -> Vec<BoardCase> {
    let d2 = Rules {
        dice: DiceSpec { count: 1, faces: 2 },
        ..Rules::default()
    };
    vec![
        // P(within 1) = P(roll 2) = 1/2.
        BoardCase(
            BoardSpec {
                squares: 2,
                jumps: vec![],
            },
            d2,
        ),
        // P(within 2) = P(1, 2) + P(2, 1) = 1/2.
        BoardCase(
            BoardSpec {
                squares: 3,
                jumps: vec![],
            },
            d2,
        ),
        // P(within 2) = P(a 2 up the ladder to 4, then any roll finishes) = 1/2.
        BoardCase(
            BoardSpec {
                squares: 5,
                jumps: vec![Jump::ladder(2, 4)],
            },
            Rules {
                overshoot: Overshoot::Finish,
                ..d2
            },
        ),
    ]
}

/// The median is the smallest k with P(finished within k) ≥ 1/2: on an exact tie it is that k,
/// not the next one.
fn median_on_the_tie<B: SnakeLadder>(case: &BoardCase) -> Result<(), Failure> {
    let (oracle, board, log) = analysed::<B>(case)?;
    let want = oracle.finished_within(8);
    let Some(k) = want.iter().position(|&p| p >= 0.5) else {
        return Ok(());
    };
    let got = board.analyze().median_turns;
    if want[k] == 0.5 && got as usize != k {
        return Err(Failure::new(
            format!("{log}\nanalyze()"),
            format!(
                "median_turns = {k}: P(finished within {k}) = 1/2 exactly, and the median is the smallest k with P ≥ 1/2"
            ),
            format!("median_turns = {got}"),
        ));
    }
    Ok(())
}

/// 4,000 simulated games agree with the exact figures.
pub fn monte_carlo<B: SnakeLadder>() -> Result<(), Failure> {
    const GAMES: u64 = 4_000;
    let cases = [
        BoardCase(
            BoardSpec {
                squares: 20,
                jumps: vec![Jump::ladder(3, 11), Jump::snake(14, 4)],
            },
            Rules {
                overshoot: Overshoot::Finish,
                ..Rules::default()
            },
        ),
        BoardCase(
            BoardSpec {
                squares: 30,
                jumps: vec![
                    Jump::ladder(5, 17),
                    Jump::snake(25, 9),
                    Jump::ladder(17, 22),
                ],
            },
            Rules {
                dice: DiceSpec { count: 2, faces: 6 },
                overshoot: Overshoot::Bounce,
                extra_turn: ExtraTurn::OnHighestRoll,
                chains: ChainRule::Follow,
            },
        ),
        BoardCase(
            BoardSpec {
                squares: 24,
                jumps: vec![Jump::snake(23, 12)],
            },
            Rules {
                dice: DiceSpec { count: 1, faces: 4 },
                extra_turn: ExtraTurn::OnHighestRoll,
                ..Rules::default()
            },
        ),
        BoardCase(classic_board(), Rules::default()),
    ];
    for case in &cases {
        let (_, board, log) = analysed::<B>(case)?;
        let a = board.analyze();
        let median = a.median_turns;
        let p_median = board
            .finished_within(median)
            .get(median as usize)
            .copied()
            .unwrap_or(f64::NAN);
        let (mut sum, mut sum_sq, mut within) = (0.0, 0.0, 0u64);
        for seed in 0..GAMES {
            let mut game = board
                .new_game(1, B::seeded_dice(seed))
                .map_err(|e| Failure::new(&log, "a game", format!("{e:?}")))?;
            let mut turns = 0u64;
            while game.winner().is_none() {
                if game.play_turn().is_err() || turns > 100_000 {
                    return Err(Failure::new(
                        format!("{log}\nnew_game(1, seeded_dice({seed})), play_turn() until a win"),
                        "the game ends",
                        format!("no win after {turns} turns"),
                    ));
                }
                turns += 1;
            }
            sum += turns as f64;
            sum_sq += (turns * turns) as f64;
            within += u64::from(turns <= u64::from(median));
        }
        let g = GAMES as f64;
        let mean = sum / g;
        let se = ((sum_sq / g - mean * mean).max(0.0) / g).sqrt();
        let share = within as f64 / g;
        let se_share = (p_median * (1.0 - p_median) / g).sqrt();
        let input = format!(
            "{log}\n{GAMES} games: new_game(1, seeded_dice(seed)) for seed 0..{GAMES}, play_turn() until the win, counting turns"
        );
        if (mean - a.expected_turns).abs() > 5.0 * se + 1e-9 {
            return Err(Failure::new(
                input,
                format!(
                    "mean game length {mean:.3} ± {:.3} (5 standard errors) to agree with analyze().expected_turns",
                    5.0 * se
                ),
                format!("expected_turns = {:.3}", a.expected_turns),
            ));
        }
        if (share - p_median).abs() > 5.0 * se_share + 1e-3 {
            return Err(Failure::new(
                input,
                format!(
                    "share of games finished within the median ({median}) = {share:.4} ± {:.4} to agree with finished_within",
                    5.0 * se_share
                ),
                format!("finished_within({median}) = {p_median:.4}"),
            ));
        }
    }
    Ok(())
}

/// The analysis of a MAX_SQUARES board whose game lasts 900,000 turns, exactly.
pub fn analysis_at_scale<B: SnakeLadder>() -> Result<(), Failure> {
    const LADDERS: u32 = 100;
    const SKIP: u32 = 1_000;
    let n = MAX_SQUARES;
    // A one-faced die moves one square a turn, so every game is the same walk: N squares less
    // the ones the ladders skip.
    let spec = BoardSpec {
        squares: n,
        jumps: (0..LADDERS)
            .map(|i| Jump::ladder(5_000 + 10_000 * i, 5_000 + 10_000 * i + SKIP))
            .collect(),
    };
    let rules = Rules {
        dice: DiceSpec { count: 1, faces: 1 },
        ..Rules::default()
    };
    let turns = n - LADDERS * SKIP;
    let log = Transcript::new(format!(
        "board: squares = {n}; ladder 5000 -> 6000; ladder 15000 -> 16000; … ladder 995000 -> 996000 ({LADDERS} ladders of {SKIP} squares)\nrules: {}\n(every game is the same {turns} one-square moves)",
        describe_rules(&rules)
    ));
    let board = build::<B>(&spec, &rules, &log)?;
    let a = board.analyze();
    let exact = close(a.expected_turns, f64::from(turns), 1e-9)
        && a.median_turns == turns
        && a.shortest_game == turns;
    if !exact {
        return Err(Failure::new(
            format!("{log}\nanalyze()"),
            format!("expected_turns = {turns}, median_turns = {turns}, shortest_game = {turns}"),
            format!(
                "expected_turns = {:.3}, median_turns = {}, shortest_game = {}",
                a.expected_turns, a.median_turns, a.shortest_game
            ),
        ));
    }
    let got = board.finished_within(turns);
    let input = format!("{log}\nfinished_within({turns})");
    if got.len() != turns as usize + 1 {
        return Err(Failure::new(
            input,
            format!("{} entries (k = 0..={turns})", turns + 1),
            format!("{} entries", got.len()),
        ));
    }
    let want = |k: usize| if k == turns as usize { 1.0 } else { 0.0 };
    if let Some(k) = (0..got.len()).find(|&k| !close(got[k], want(k), 1e-9)) {
        return Err(Failure::new(
            input,
            format!("P(finished within {k} turns) = {}", want(k)),
            format!("{:.12}", got[k]),
        ));
    }
    Ok(())
}
