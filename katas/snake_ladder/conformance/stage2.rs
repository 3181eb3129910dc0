//! Stage 2 checks: turn order, dice, overshoot, the win, extra turns, chains in play, replay.

use super::describe::*;
use super::model::*;
use super::scenario::*;
use super::{CHAINED_JUMPS, EXTRA_TURNS, REPLAY, TURN_ORDER, WIN_ON_LAST};
use crate::grading::{Failure, Transcript, check_property};
use crate::snake_ladder::{
    BoardSpec, ChainRule, DiceSpec, ExtraTurn, Game, GameError, Jump, Overshoot, Rules,
    ScriptedDice, SnakeLadder,
};
use proptest::prelude::*;

/// Turn order over random games, including extra turns.
pub fn turn_order<B: SnakeLadder>() -> Result<(), Failure> {
    let spec = BoardSpec {
        squares: 10,
        jumps: vec![],
    };
    let log = Transcript::new(setup_line(&spec, &Rules::default()));
    let board = build::<B>(&spec, &Rules::default(), &log)?;
    match board.new_game(0, Box::new(ScriptedDice::new([1]))) {
        Err(GameError::NoPlayers) => {}
        other => {
            return Err(Failure::new(
                format!("{log}\nnew_game(0 players)"),
                "Err(NoPlayers)",
                format!("{:?}", other.map(|_| "a game")),
            ));
        }
    }
    // Highest rolls in a row, then a pass, for three players: the order must resume with 1.
    let extra = Rules {
        extra_turn: ExtraTurn::OnHighestRoll,
        ..Rules::default()
    };
    scripted::<B>(
        &BoardSpec {
            squares: 100,
            jumps: vec![],
        },
        &extra,
        3,
        &[6, 2, 4, 6, 6, 6, 1, 3, 5, 6, 6, 2, 1],
        13,
    )?;
    check_property(&TURN_ORDER, 150, setup(40, 1..=5), |s| {
        model_game::<B>(&s, 400).map(|_| ())
    })
}

/// Seeded dice are in range and fair; a turn rolls `count` dice.
pub fn dice<B: SnakeLadder>() -> Result<(), Failure> {
    for (faces, seed) in [(6u32, 1u64), (1, 2), (2, 3), (7, 4), (20, 5), (100, 6)] {
        let mut d = B::seeded_dice(seed);
        let rolls = 600 * faces as usize;
        let mut seen = vec![0usize; faces as usize + 2];
        for i in 0..rolls {
            let v = d.roll(faces);
            if v == 0 || v > faces {
                return Err(Failure::new(
                    format!("seeded_dice({seed}); roll({faces}) × {}", i + 1),
                    format!("every face in 1..={faces}"),
                    format!("roll {} showed {v}", i + 1),
                ));
            }
            seen[v as usize] += 1;
        }
        // Each face ~ Binomial(rolls, 1/faces): mean 600; allow 6 standard deviations.
        let (mean, sd) = (600.0, (600.0 * (1.0 - 1.0 / f64::from(faces))).sqrt());
        if let Some(f) =
            (1..=faces as usize).find(|&f| (seen[f] as f64 - mean).abs() > 6.0 * sd + 1e-9)
        {
            return Err(Failure::new(
                format!("seeded_dice({seed}); roll({faces}) × {rolls}"),
                format!("each face about {mean} times (± {:.0})", 6.0 * sd),
                format!("face {f} came up {} times", seen[f]),
            ));
        }
    }
    // Faces outside 1..=faces: InvalidRoll, and the turn changes nothing — not the squares,
    // not the player to move, not the count of highest rolls in a row. Only the last die of a
    // turn is ever out of range, so every solution has rolled every die of the turn when it
    // notices.
    let extra = Rules {
        extra_turn: ExtraTurn::OnHighestRoll,
        ..Rules::default()
    };
    invalid_faces::<B>(&extra, 2, &[3, 0, 2, 7, 6, 6, 9, 6, 4, 100, 5], 11)?;
    invalid_faces::<B>(
        &Rules {
            dice: DiceSpec { count: 2, faces: 6 },
            overshoot: Overshoot::Bounce,
            ..extra
        },
        2,
        &[3, 4, 5, 0, 6, 6, 2, 7, 2, 2, 1, 3],
        6,
    )?;
    // Three four-faced dice per turn: each turn consumes three faces and moves by their sum.
    let rules = Rules {
        dice: DiceSpec { count: 3, faces: 4 },
        overshoot: Overshoot::Bounce,
        ..Rules::default()
    };
    scripted::<B>(
        &BoardSpec {
            squares: 60,
            jumps: vec![Jump::ladder(9, 30)],
        },
        &rules,
        2,
        &[1, 2, 3, 4, 4, 1, 3, 1, 2, 2, 2, 2],
        12,
    )
}

/// Plays `turns` turns on a 40-square board without jumps with scripted faces, some out of
/// range (only ever the last die of a turn): those turns must be `InvalidRoll { value, faces }`
/// and change nothing; the others must match the model game fed the valid turns only.
fn invalid_faces<B: SnakeLadder>(
    rules: &Rules,
    players: usize,
    script: &[u32],
    turns: usize,
) -> Result<(), Failure> {
    let spec = BoardSpec {
        squares: 40,
        jumps: vec![],
    };
    let mut log = Transcript::new(format!(
        "{}; scripted dice {script:?}",
        setup_line(&spec, rules)
    ));
    let oracle = Oracle::new(&spec, rules)
        .map_err(|e| Failure::new(&log, "a valid board (suite bug)", format!("{e}")))?;
    let board = build::<B>(&spec, rules, &log)?;
    let mut game = board
        .new_game(players, Box::new(ScriptedDice::new(script.to_vec())))
        .map_err(|e| Failure::new(&log, "a game", format!("{e:?}")))?;
    log.step(format!("new_game(players: {players})"));
    let mut model = ModelGame::new(&oracle, players);
    let DiceSpec { count, faces } = rules.dice;
    let mut shown = script.iter().copied().cycle();
    for turn in 1..=turns {
        let dice: Vec<u32> = shown.by_ref().take(count as usize).collect();
        let dice_text = dice
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join("+");
        let bad = dice.iter().copied().find(|&f| f == 0 || f > faces);
        let expected = match bad {
            Some(value) => Err(GameError::InvalidRoll { value, faces }),
            None => model.turn(&dice),
        };
        let got = game.play_turn();
        if got != expected {
            return Err(Failure::new(
                &log,
                format!("turn {turn}, dice {dice_text}: {}", show_result(&expected)),
                show_result(&got),
            ));
        }
        log.step(format!(
            "turn {turn}, dice {dice_text}: {}",
            show_result(&got)
        ));
        let next = model.winner.is_none().then_some(model.current);
        if game.positions() != model.positions.as_slice() || game.next_player() != next {
            return Err(Failure::new(
                &log,
                format!(
                    "positions() = {:?}, next_player() = {next:?}",
                    model.positions
                ),
                format!(
                    "positions() = {:?}, next_player() = {:?}",
                    game.positions(),
                    game.next_player()
                ),
            ));
        }
    }
    Ok(())
}

/// Overshoot at every distance and roll, for every rule.
pub fn overshoot<B: SnakeLadder>() -> Result<(), Failure> {
    let n = 30;
    // A snake and a ladder near the end, to be bounced onto.
    let spec = BoardSpec {
        squares: n,
        jumps: vec![Jump::snake(27, 12), Jump::ladder(26, 28)],
    };
    for overshoot in [Overshoot::Stay, Overshoot::Bounce, Overshoot::Finish] {
        let rules = Rules {
            overshoot,
            ..Rules::default()
        };
        for gap in 1..=5 {
            let at = n - gap;
            if at == 27 || at == 26 {
                continue;
            }
            for roll in 1..=5 {
                let mut faces = walk_to(at, 6);
                faces.push(roll);
                let turns = faces.len();
                faces.push(1);
                scripted::<B>(&spec, &rules, 1, &faces, turns + 1)?;
            }
        }
    }
    // Two dice: from N − 3, a roll of 12 under each rule.
    for overshoot in [Overshoot::Stay, Overshoot::Bounce, Overshoot::Finish] {
        let rules = Rules {
            overshoot,
            dice: DiceSpec { count: 2, faces: 6 },
            ..Rules::default()
        };
        // Under Stay, a snake on 39 keeps the board finishable with two dice.
        let spec = BoardSpec {
            squares: 40,
            jumps: vec![Jump::snake(28, 3), Jump::snake(39, 30)],
        };
        scripted::<B>(&spec, &rules, 1, &[5, 5, 5, 5, 5, 5, 3, 4, 6, 6, 1, 1], 5)?;
    }
    Ok(())
}

/// Reaching N wins, directly or by ladder; afterwards the game is over.
pub fn win_on_last<B: SnakeLadder>() -> Result<(), Failure> {
    let spec = BoardSpec {
        squares: 30,
        jumps: vec![Jump::ladder(4, 30), Jump::snake(29, 2)],
    };
    for overshoot in [Overshoot::Stay, Overshoot::Bounce, Overshoot::Finish] {
        let rules = Rules {
            overshoot,
            ..Rules::default()
        };
        // Player 0 climbs the ladder to 30 on the first roll.
        scripted::<B>(&spec, &rules, 2, &[4], 3)?;
        // Player 1 climbs it after player 0 misses.
        scripted::<B>(&spec, &rules, 3, &[3, 4], 4)?;
    }
    // After the win, play_turn is GameOver and nothing changes.
    let rules = Rules::default();
    let log = Transcript::new(format!("{}; scripted dice [4]", setup_line(&spec, &rules)));
    let board = build::<B>(&spec, &rules, &log)?;
    let mut game = board
        .new_game(2, Box::new(ScriptedDice::new([4])))
        .map_err(|e| Failure::new(&log, "a game", format!("{e:?}")))?;
    let first = game.play_turn();
    for _ in 0..2 {
        let again = game.play_turn();
        if again != Err(GameError::GameOver { winner: 0 }) || game.positions() != [30, 0] {
            return Err(Failure::new(
                format!("{log}\nplay_turn() → {}\nplay_turn()", show_result(&first)),
                "Err(GameOver { winner: 0 }), positions [30, 0]",
                format!("{}, positions {:?}", show_result(&again), game.positions()),
            ));
        }
    }
    check_property(&WIN_ON_LAST, 100, setup(30, 1..=3), |s| {
        model_game::<B>(&s, 400).map(|_| ())
    })
}

/// Highest rolls: extra turns, and the third in a row forfeited.
pub fn extra_turns<B: SnakeLadder>() -> Result<(), Failure> {
    let spec = BoardSpec {
        squares: 100,
        jumps: vec![Jump::ladder(18, 40)],
    };
    for extra_turn in [ExtraTurn::OnHighestRoll, ExtraTurn::Never] {
        let rules = Rules {
            extra_turn,
            ..Rules::default()
        };
        scripted::<B>(
            &spec,
            &rules,
            2,
            &[6, 6, 6, 6, 6, 6, 6, 3, 6, 6, 1, 6, 6, 6, 6, 6],
            16,
        )?;
        let two = Rules {
            dice: DiceSpec { count: 2, faces: 6 },
            overshoot: Overshoot::Finish,
            ..rules
        };
        scripted::<B>(
            &spec,
            &two,
            2,
            &[6, 6, 6, 5, 6, 6, 6, 6, 6, 6, 6, 6, 2, 2],
            7,
        )?;
    }
    // Winning on a highest roll ends the game: no extra turn.
    let rules = Rules {
        extra_turn: ExtraTurn::OnHighestRoll,
        ..Rules::default()
    };
    scripted::<B>(
        &BoardSpec {
            squares: 12,
            jumps: vec![],
        },
        &rules,
        2,
        &[6, 6],
        3,
    )?;
    check_property(
        &EXTRA_TURNS,
        100,
        setup(30, 1..=3).prop_map(|mut s| {
            s.rules.extra_turn = ExtraTurn::OnHighestRoll;
            if Oracle::new(&s.spec, &s.rules).is_err() {
                s.spec.jumps.clear();
            }
            s
        }),
        |s| model_game::<B>(&s, 400).map(|_| ()),
    )
}

/// Chained jumps are followed to the end.
pub fn chained_jumps<B: SnakeLadder>() -> Result<(), Failure> {
    let follow = Rules {
        chains: ChainRule::Follow,
        ..Rules::default()
    };
    let spec = BoardSpec {
        squares: 40,
        jumps: vec![
            Jump::ladder(2, 9),
            Jump::ladder(9, 20),
            Jump::snake(20, 5),
            Jump::snake(38, 33),
            Jump::ladder(33, 36),
        ],
    };
    // 0 → 2 → 9 → 20 → 5; then bounce off 40 onto 38 → 33 → 36.
    scripted::<B>(&spec, &follow, 1, &[2, 3], 2)?;
    scripted::<B>(
        &spec,
        &Rules {
            overshoot: Overshoot::Bounce,
            ..follow
        },
        1,
        &[5, 5, 5, 5, 5, 5, 5, 4],
        8,
    )?;
    check_property(
        &CHAINED_JUMPS,
        100,
        setup(30, 1..=2).prop_map(|mut s| {
            s.rules.chains = ChainRule::Follow;
            s
        }),
        |s| model_game::<B>(&s, 300).map(|_| ()),
    )
}

/// A seed replays its game, even when two games with it are played in alternation.
pub fn replay<B: SnakeLadder>() -> Result<(), Failure> {
    let strategy = setup(60, 2..=4).prop_filter("dice with a choice", |s| s.rules.dice.faces > 1);
    check_property(&REPLAY, 60, strategy, |s| {
        let log = Transcript::new(format!("{s:?}"));
        let board = build::<B>(&s.spec, &s.rules, &log)?;
        let new = |seed| {
            board
                .new_game(s.players, B::seeded_dice(seed))
                .map_err(|e| Failure::new(&log, "a game", format!("{e:?}")))
        };
        let (mut a, mut b) = (new(s.seed)?, new(s.seed)?);
        for turn in 1..=300 {
            let (ea, eb) = (a.play_turn(), b.play_turn());
            if ea != eb {
                return Err(Failure::new(
                    format!(
                        "{log}\ngames A and B: new_game({}, seeded_dice({})), turns played alternately A, B, A, B …",
                        s.players, s.seed
                    ),
                    format!("turn {turn} of B = turn {turn} of A: {}", show_result(&ea)),
                    show_result(&eb),
                ));
            }
            if ea.is_err() {
                break;
            }
        }
        Ok(())
    })
}
