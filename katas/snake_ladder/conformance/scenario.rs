//! Scenario plumbing shared by the stages: the generators of rules and valid boards (with the
//! documented edges mixed in), and the drivers that play a solution's game against the model.

use super::describe::*;
use super::model::*;
use crate::grading::{Failure, Transcript};
use crate::snake_ladder::{
    BoardError, BoardSpec, ChainRule, Dice, DiceSpec, ExtraTurn, Game, GameError, Jump, Overshoot,
    Rules, ScriptedDice, SnakeLadder, SplitMix64, TurnEvent,
};
use proptest::prelude::*;
use std::fmt;

/// Builds the solution's board, failing with the transcript if it refuses a valid one.
pub(super) fn build<B: SnakeLadder>(
    spec: &BoardSpec,
    rules: &Rules,
    log: &Transcript,
) -> Result<B, Failure> {
    B::new(spec, rules).map_err(|e| {
        Failure::new(
            log,
            "the board accepted (it is valid)",
            format!("Err({e:?}): {e}"),
        )
    })
}

/// Plays the solution's game and the model game side by side with the same dice, comparing
/// every event, `positions()` and `next_player()`. Stops at the win or after `max_turns`.
/// Returns the number of turns played.
pub(super) fn play_against_model<B: SnakeLadder>(
    board: &B,
    oracle: &Oracle,
    players: usize,
    dice: impl Dice + Clone + 'static,
    max_turns: usize,
    log: &mut Transcript,
) -> Result<usize, Failure> {
    let mut game = board
        .new_game(players, Box::new(dice.clone()))
        .map_err(|e| {
            Failure::new(
                &*log,
                format!("a game for {players} players"),
                format!("Err({e:?})"),
            )
        })?;
    log.step(format!("new_game(players: {players})"));
    let mut model = ModelGame::new(oracle, players);
    let mut model_dice = dice;
    let count = oracle.rules.dice.count;
    let faces = oracle.rules.dice.faces;
    for turn in 1..=max_turns {
        let shown: Vec<u32> = (0..count).map(|_| model_dice.roll(faces)).collect();
        let expected = model.turn(&shown);
        let got = game.play_turn();
        let dice_text = shown
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join("+");
        if got != expected {
            return Err(Failure::new(
                &*log,
                format!("turn {turn}, dice {dice_text}: {}", show_result(&expected)),
                show_result(&got),
            ));
        }
        log.step(format!(
            "turn {turn}, dice {dice_text}: {}",
            show_result(&got)
        ));
        // The mover's square every turn; everyone's now and then (a full comparison every turn
        // would make a 1,000-player game quadratic in the suite, not in the solution).
        let mover = model.positions[expected_player(&got)];
        let all = turn % 512 == 0 || model.winner.is_some() || players <= 16;
        if game.positions().get(expected_player(&got)) != Some(&mover)
            || (all && game.positions() != model.positions.as_slice())
        {
            return Err(Failure::new(
                &*log,
                format!("positions() = {:?}", short(&model.positions)),
                format!("{:?}", short(game.positions())),
            ));
        }
        if let Some(&bad) = game.positions().iter().find(|&&p| p > oracle.squares) {
            return Err(Failure::new(
                &*log,
                format!("every position in 0..={}", oracle.squares),
                format!("a player on square {bad}"),
            ));
        }
        let next = model.winner.is_none().then_some(model.current);
        if game.next_player() != next || game.winner() != model.winner {
            return Err(Failure::new(
                &*log,
                format!("next_player() = {next:?}, winner() = {:?}", model.winner),
                format!(
                    "next_player() = {:?}, winner() = {:?}",
                    game.next_player(),
                    game.winner()
                ),
            ));
        }
        if model.winner.is_some() {
            return Ok(turn);
        }
    }
    Ok(max_turns)
}

pub(super) fn expected_player(r: &Result<TurnEvent, GameError>) -> usize {
    r.as_ref().map_or(0, |e| e.player)
}

/// Rules over small dice, where highest rolls (and so extra turns) are frequent.
pub(super) fn any_rules() -> impl Strategy<Value = Rules> {
    (
        prop_oneof![Just(1u32), Just(1), Just(2)],
        prop_oneof![Just(6u32), Just(2), Just(3), Just(1), 4u32..=8],
        prop_oneof![
            Just(Overshoot::Stay),
            Just(Overshoot::Bounce),
            Just(Overshoot::Finish)
        ],
        prop_oneof![Just(ExtraTurn::Never), Just(ExtraTurn::OnHighestRoll)],
        prop_oneof![Just(ChainRule::Forbidden), Just(ChainRule::Follow)],
    )
        .prop_map(|(count, faces, overshoot, extra_turn, chains)| Rules {
            // Several one-faced dice would only ever roll `count`: keep that to one die.
            dice: DiceSpec {
                count: if faces == 1 { 1 } else { count },
                faces,
            },
            overshoot,
            extra_turn,
            chains,
        })
}

/// Rules under which a board without jumps is valid: with two or more dice the smallest roll
/// is at least 2, so staying on overshoot would strand a player on N − 1.
pub(super) fn playable(rules: Rules) -> Rules {
    if rules.dice.count > 1 && rules.overshoot == Overshoot::Stay {
        Rules {
            overshoot: Overshoot::Bounce,
            ..rules
        }
    } else {
        rules
    }
}

/// Squares above the smallest allowed N, with exactly-at (0) and one past (1) mixed in.
pub(super) fn board_size(max_extra: u32) -> impl Strategy<Value = u32> {
    prop_oneof![4 => 0..=max_extra, 1 => Just(0u32), 1 => Just(1u32), 1 => Just(max_extra)]
}

/// A fraction of N in thousandths, with both ends mixed in: 0 maps to square 1, 999 to the
/// last square (N − 1 for a start, N for an end) on any board below 1,000 squares.
pub(super) fn fraction() -> impl Strategy<Value = u32> {
    prop_oneof![4 => 0u32..1000, 1 => Just(0u32), 1 => Just(999u32)]
}

/// Candidate jumps as (from, to, kind) fractions of N, so they shrink with the board.
pub(super) fn raw_jumps() -> impl Strategy<Value = Vec<(u32, u32, u8)>> {
    prop::collection::vec((fraction(), fraction(), 0u8..3), 0..9)
}

pub(super) fn kind(k: u8, from: u32, to: u32) -> Jump {
    match k {
        0 => Jump::either_way(from, to),
        _ if to > from => Jump::ladder(from, to),
        _ => Jump::snake(from, to),
    }
}

/// A valid board: candidate jumps are added one by one and kept when the board stays valid.
pub(super) fn valid_board(rules: &Rules, squares: u32, raw: &[(u32, u32, u8)]) -> BoardSpec {
    let mut spec = BoardSpec {
        squares,
        jumps: Vec::new(),
    };
    for &(a, b, k) in raw {
        let from = 1 + a * (squares - 1) / 1000;
        let to = 1 + b * squares / 1000;
        spec.jumps.push(kind(k, from, to.min(squares)));
        if Oracle::new(&spec, rules).is_err() {
            spec.jumps.pop();
        }
    }
    spec
}

/// A valid game setup: rules, a board valid under them, players, a seed.
#[derive(Clone)]
pub(super) struct Setup {
    pub(super) spec: BoardSpec,
    pub(super) rules: Rules,
    pub(super) players: usize,
    pub(super) seed: u64,
}

impl fmt::Debug for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}; {} players; seed {}",
            setup_line(&self.spec, &self.rules),
            self.players,
            self.seed
        )
    }
}

/// Small valid boards under any rules, with edge cases mixed in.
pub(super) fn setup(
    max_squares: u32,
    players: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = Setup> {
    let board =
        (any_rules(), board_size(max_squares), raw_jumps()).prop_map(move |(rules, extra, raw)| {
            let rules = playable(rules);
            let min = rules.dice.highest().max(2);
            let squares = min + extra % (max_squares.saturating_sub(min) + 1);
            (valid_board(&rules, squares, &raw), rules)
        });
    let edges = prop_oneof![
        Just((classic_board(), Rules::default())),
        Just((
            BoardSpec {
                squares: 6,
                jumps: vec![Jump::ladder(1, 6)]
            },
            Rules::default()
        )),
        Just((
            BoardSpec {
                squares: 12,
                jumps: vec![Jump::snake(11, 1), Jump::ladder(2, 12)]
            },
            Rules {
                overshoot: Overshoot::Bounce,
                ..Rules::default()
            }
        )),
        Just((
            BoardSpec {
                squares: 2,
                jumps: vec![]
            },
            Rules {
                dice: DiceSpec { count: 1, faces: 2 },
                extra_turn: ExtraTurn::OnHighestRoll,
                ..Rules::default()
            }
        )),
    ];
    (prop_oneof![6 => board, 1 => edges], players, any::<u64>()).prop_map(
        |((spec, rules), players, seed)| Setup {
            spec,
            rules,
            players,
            seed,
        },
    )
}

/// Runs one setup against the model game with the suite's dice.
pub(super) fn model_game<B: SnakeLadder>(s: &Setup, max_turns: usize) -> Result<usize, Failure> {
    let mut log = Transcript::new(format!(
        "{}; dice: suite seed {}",
        setup_line(&s.spec, &s.rules),
        s.seed
    ));
    let oracle = Oracle::new(&s.spec, &s.rules)
        .map_err(|e| Failure::new(&log, "a valid board (suite bug)", format!("{e}")))?;
    let board = build::<B>(&s.spec, &s.rules, &log)?;
    play_against_model(
        &board,
        &oracle,
        s.players,
        SuiteDice(SplitMix64::new(s.seed)),
        max_turns,
        &mut log,
    )
}

/// Plays scripted faces for one player on `spec`; the events must match the model's.
pub(super) fn scripted<B: SnakeLadder>(
    spec: &BoardSpec,
    rules: &Rules,
    players: usize,
    faces: &[u32],
    turns: usize,
) -> Result<(), Failure> {
    let mut log = Transcript::new(format!(
        "{}; scripted dice {:?}",
        setup_line(spec, rules),
        faces
    ));
    let oracle = Oracle::new(spec, rules)
        .map_err(|e| Failure::new(&log, "a valid board (suite bug)", format!("{e}")))?;
    let board = build::<B>(spec, rules, &log)?;
    play_against_model(
        &board,
        &oracle,
        players,
        ScriptedDice::new(faces.to_vec()),
        turns,
        &mut log,
    )?;
    Ok(())
}

/// Faces (one die, `max_face` faces) that walk a lone player from 0 to `square` on a board with
/// no jumps on the way, never rolling the top face.
pub(super) fn walk_to(square: u32, max_face: u32) -> Vec<u32> {
    let step = max_face.saturating_sub(1).max(1);
    let mut faces = vec![step; (square / step) as usize];
    if !square.is_multiple_of(step) {
        faces.push(square % step);
    }
    faces
}

pub(super) fn expect_verdict<B: SnakeLadder>(
    spec: &BoardSpec,
    rules: &Rules,
) -> Result<(), Failure> {
    let expected = Oracle::new(spec, rules).map(|_| ());
    let got = B::new(spec, rules).map(|_| ());
    if got != expected {
        let show = |r: &Result<(), BoardError>| match r {
            Ok(()) => "Ok(board)".to_string(),
            Err(e) => format!("Err({e:?}): {e}"),
        };
        return Err(Failure::new(
            format!(
                "{}\nSnakeLadder::new(board, rules)",
                setup_line(spec, rules)
            ),
            show(&expected),
            show(&got),
        ));
    }
    Ok(())
}

#[derive(Clone)]
pub(super) struct BoardCase(pub(super) BoardSpec, pub(super) Rules);

impl fmt::Debug for BoardCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&setup_line(&self.0, &self.1))
    }
}
