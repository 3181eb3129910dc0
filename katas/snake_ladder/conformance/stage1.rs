//! Stage 1 checks: board validation, chains and cycles, reachability, the board file format.

use super::describe::*;
use super::model::*;
use super::scenario::*;
use super::{BOARD_FILE, CHAINS_AND_CYCLES, INVALID_BOARDS, UNREACHABLE, VALID_BOARDS};
use crate::grading::{Failure, check_property};
use crate::snake_ladder::{
    BoardSpec, ChainRule, DiceSpec, Jump, JumpKind, MAX_DICE, MAX_FACES, MAX_SQUARES, Overshoot,
    ParseError, ParseReason, Rules, SnakeLadder,
};
use proptest::prelude::*;
use std::fmt;

/// Every valid board is accepted.
pub fn valid_boards<B: SnakeLadder>() -> Result<(), Failure> {
    let edges = vec![
        BoardCase(classic_board(), Rules::default()),
        BoardCase(
            BoardSpec {
                squares: 6,
                jumps: vec![Jump::ladder(5, 6)],
            },
            Rules::default(),
        ),
        BoardCase(
            BoardSpec {
                squares: 10,
                jumps: vec![Jump::ladder(1, 10), Jump::snake(9, 1)],
            },
            Rules::default(),
        ),
        BoardCase(
            BoardSpec {
                squares: 2,
                jumps: vec![],
            },
            Rules {
                dice: DiceSpec { count: 1, faces: 2 },
                ..Rules::default()
            },
        ),
        BoardCase(
            BoardSpec {
                squares: 800,
                jumps: vec![Jump::either_way(799, 800)],
            },
            Rules {
                dice: DiceSpec {
                    count: MAX_DICE,
                    faces: MAX_FACES,
                },
                ..Rules::default()
            },
        ),
        BoardCase(
            BoardSpec {
                squares: 20,
                jumps: vec![Jump::ladder(2, 5), Jump::ladder(5, 20), Jump::snake(19, 2)],
            },
            Rules {
                chains: ChainRule::Follow,
                ..Rules::default()
            },
        ),
    ];
    for BoardCase(spec, rules) in &edges {
        expect_verdict::<B>(spec, rules)?;
    }
    // The largest board allowed, with a ladder onto N from the last square before it. Valid by
    // inspection (every square reaches N one step at a time), so no oracle is needed.
    let largest = BoardSpec {
        squares: MAX_SQUARES,
        jumps: vec![
            Jump::ladder(MAX_SQUARES - 1, MAX_SQUARES),
            Jump::snake(3, 1),
        ],
    };
    if let Err(e) = B::new(&largest, &Rules::default()) {
        return Err(Failure::new(
            format!(
                "{}\nSnakeLadder::new(board, rules)",
                setup_line(&largest, &Rules::default())
            ),
            format!("Ok(board): N = MAX_SQUARES = {MAX_SQUARES} is allowed"),
            format!("Err({e:?}): {e}"),
        ));
    }
    let strategy = (any_rules(), board_size(60), raw_jumps()).prop_map(|(rules, extra, raw)| {
        let rules = playable(rules);
        let squares = rules.dice.highest().max(2) + extra;
        BoardCase(valid_board(&rules, squares, &raw), rules)
    });
    check_property(&VALID_BOARDS, 200, strategy, |BoardCase(spec, rules)| {
        expect_verdict::<B>(&spec, &rules)
    })
}

/// Puts defect number `defect` (0..9) into a board: bad dice, a bad N, or a jump that leaves
/// the board, starts on N, goes to itself, repeats a start, or goes the wrong way.
fn inject(
    spec: &mut BoardSpec,
    rules: &mut Rules,
    defect: u8,
    at: prop::sample::Index,
    wiggle: u32,
) {
    let n = spec.squares;
    let pick = |spec: &BoardSpec| spec.jumps.get(at.index(spec.jumps.len().max(1))).copied();
    let insert = |spec: &mut BoardSpec, j: Jump| {
        let i = at.index(spec.jumps.len() + 1);
        spec.jumps.insert(i, j);
    };
    match defect {
        0 => {
            rules.dice = [
                DiceSpec { count: 0, faces: 6 },
                DiceSpec { count: 1, faces: 0 },
                DiceSpec {
                    count: MAX_DICE + 1,
                    faces: 2,
                },
                DiceSpec {
                    count: 1,
                    faces: MAX_FACES + 1,
                },
            ][wiggle as usize]
        }
        1 => {
            spec.squares = [rules.dice.highest().max(2) - 1, 0, 1, MAX_SQUARES + 1][wiggle as usize]
        }
        2 => insert(
            spec,
            [
                Jump::ladder(0, n / 2 + 1),
                Jump::ladder(n / 2, n + 1),
                Jump::snake(n + 1, 1),
                Jump::snake(n / 2 + 1, 0),
            ][wiggle as usize],
        ),
        3 => insert(
            spec,
            [
                Jump::snake(n, 1),
                Jump::snake(n, n - 1),
                Jump::either_way(n, 1),
                Jump::ladder(n, n),
            ][wiggle as usize],
        ),
        4 => {
            let s = 1 + wiggle % (n - 1);
            insert(spec, Jump::either_way(s, s));
        }
        5 | 6 => match pick(spec) {
            Some(j) => {
                let to = if j.to == 1 { 2.min(n) } else { 1 };
                spec.jumps
                    .push(Jump::either_way(j.from, if to == j.from { n } else { to }));
            }
            None => {
                spec.jumps.push(Jump::ladder(1, n));
                spec.jumps.push(Jump::snake(1, 1 + wiggle % (n - 1)));
            }
        },
        _ => {
            let s = 2 + wiggle % (n - 2).max(1);
            let s = s.min(n - 1);
            insert(
                spec,
                if defect == 7 {
                    Jump {
                        from: s,
                        to: s - 1,
                        kind: JumpKind::Ladder,
                    }
                } else {
                    Jump {
                        from: s - 1,
                        to: s,
                        kind: JumpKind::Snake,
                    }
                },
            );
        }
    }
}

/// A valid board with one defect injected — or two, so that the documented order (dice,
/// squares, then jump by jump in the order written, each jump's checks in order) decides which
/// one is reported, and not the order in which a solution happens to look for them.
fn broken_board() -> impl Strategy<Value = BoardCase> {
    let base = (any_rules(), board_size(30), raw_jumps()).prop_map(|(rules, extra, raw)| {
        let squares = rules.dice.highest().max(2) + extra;
        (valid_board(&rules, squares, &raw), rules)
    });
    let defect = (0u8..9, any::<prop::sample::Index>(), 0u32..4);
    (base, defect.clone(), prop::option::of(defect)).prop_map(
        |((mut spec, mut rules), (defect, at, wiggle), second)| {
            if let Some((later, at2, wiggle2)) = second {
                // A defective jump first, then any defect: two jumps' defects in either order.
                inject(&mut spec, &mut rules, later.max(2), at2, wiggle2);
            }
            inject(&mut spec, &mut rules, defect, at, wiggle);
            BoardCase(spec, rules)
        },
    )
}

/// Invalid boards are rejected with exactly the first error.
pub fn invalid_boards<B: SnakeLadder>() -> Result<(), Failure> {
    let fixed = [
        BoardCase(
            BoardSpec {
                squares: 100,
                jumps: vec![Jump::ladder(4, 14), Jump::snake(4, 2)],
            },
            Rules::default(),
        ),
        BoardCase(
            BoardSpec {
                squares: 100,
                jumps: vec![Jump::snake(100, 5)],
            },
            Rules::default(),
        ),
        BoardCase(
            BoardSpec {
                squares: 100,
                jumps: vec![Jump::ladder(3, 101)],
            },
            Rules::default(),
        ),
        BoardCase(
            BoardSpec {
                squares: 5,
                jumps: vec![],
            },
            Rules::default(),
        ),
        // Two defects: the first jump written is reported, whatever its defect.
        BoardCase(
            BoardSpec {
                squares: 100,
                jumps: vec![Jump::snake(3, 8), Jump::ladder(5, 101)],
            },
            Rules::default(),
        ),
        BoardCase(
            BoardSpec {
                squares: 100,
                jumps: vec![Jump::ladder(4, 14), Jump::snake(4, 2), Jump::snake(100, 5)],
            },
            Rules::default(),
        ),
        BoardCase(
            BoardSpec {
                squares: 100,
                jumps: vec![Jump::either_way(7, 7), Jump::snake(100, 5)],
            },
            Rules::default(),
        ),
        // Dice before squares, jumps before chains.
        BoardCase(
            BoardSpec {
                squares: 1,
                jumps: vec![Jump::ladder(0, 1)],
            },
            Rules {
                dice: DiceSpec { count: 0, faces: 6 },
                ..Rules::default()
            },
        ),
        BoardCase(
            BoardSpec {
                squares: 100,
                jumps: vec![Jump::ladder(3, 9), Jump::ladder(9, 20), Jump::snake(20, 20)],
            },
            Rules::default(),
        ),
    ];
    for BoardCase(spec, rules) in &fixed {
        expect_verdict::<B>(spec, rules)?;
    }
    check_property(
        &INVALID_BOARDS,
        300,
        broken_board(),
        |BoardCase(spec, rules)| expect_verdict::<B>(&spec, &rules),
    )
}

/// Chains: forbidden → ChainedJump; followed → accepted unless a cycle.
pub fn chains_and_cycles<B: SnakeLadder>() -> Result<(), Failure> {
    let follow = Rules {
        chains: ChainRule::Follow,
        ..Rules::default()
    };
    let fixed = [
        BoardCase(
            BoardSpec {
                squares: 30,
                jumps: vec![Jump::ladder(3, 9), Jump::ladder(9, 20)],
            },
            Rules::default(),
        ),
        BoardCase(
            BoardSpec {
                squares: 30,
                jumps: vec![Jump::ladder(3, 9), Jump::snake(9, 3)],
            },
            follow,
        ),
        BoardCase(
            BoardSpec {
                squares: 30,
                jumps: vec![Jump::ladder(2, 4), Jump::ladder(5, 7), Jump::snake(7, 5)],
            },
            follow,
        ),
        BoardCase(
            BoardSpec {
                squares: 30,
                jumps: vec![Jump::ladder(3, 9), Jump::ladder(9, 20), Jump::snake(20, 3)],
            },
            follow,
        ),
    ];
    for BoardCase(spec, rules) in &fixed {
        expect_verdict::<B>(spec, rules)?;
    }
    // Random chains over a few squares, closed into a cycle or not.
    let strategy = (
        12u32..=60,
        prop::collection::vec(0u32..1000, 2..7),
        any::<bool>(),
        any::<bool>(),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(n, picks, close, follow, at)| {
            let mut squares: Vec<u32> = Vec::new();
            for p in picks {
                let s = 1 + p * (n - 2) / 1000;
                if !squares.contains(&s) {
                    squares.push(s);
                }
            }
            let mut jumps: Vec<Jump> = squares.windows(2).map(|w| kind(1, w[0], w[1])).collect();
            if close && squares.len() >= 2 {
                let (last, first) = (squares[squares.len() - 1], squares[0]);
                jumps.insert(at.index(jumps.len() + 1), kind(1, last, first));
            }
            let rules = Rules {
                chains: if follow {
                    ChainRule::Follow
                } else {
                    ChainRule::Forbidden
                },
                ..Rules::default()
            };
            BoardCase(BoardSpec { squares: n, jumps }, rules)
        });
    check_property(
        &CHAINS_AND_CYCLES,
        300,
        strategy,
        |BoardCase(spec, rules)| expect_verdict::<B>(&spec, &rules),
    )
}

/// Unreachable N is rejected, naming the lowest trapped square.
pub fn unreachable<B: SnakeLadder>() -> Result<(), Failure> {
    let two_dice = Rules {
        dice: DiceSpec { count: 2, faces: 6 },
        ..Rules::default()
    };
    let fixed = [
        // A wall of six snakes in front of N.
        BoardCase(
            BoardSpec {
                squares: 20,
                jumps: (14..20).map(|h| Jump::snake(h, 3)).collect(),
            },
            Rules::default(),
        ),
        // Two dice can never roll 1: from 19 a player can never finish.
        BoardCase(
            BoardSpec {
                squares: 20,
                jumps: vec![],
            },
            two_dice,
        ),
        // … unless bouncing.
        BoardCase(
            BoardSpec {
                squares: 20,
                jumps: vec![],
            },
            Rules {
                overshoot: Overshoot::Bounce,
                ..two_dice
            },
        ),
        // A ladder into a trap, past a wall.
        BoardCase(
            BoardSpec {
                squares: 30,
                jumps: (20..26)
                    .map(|h| Jump::snake(h, 2))
                    .chain([Jump::ladder(3, 27)])
                    .collect(),
            },
            Rules {
                overshoot: Overshoot::Stay,
                dice: DiceSpec { count: 1, faces: 6 },
                ..Rules::default()
            },
        ),
    ];
    for BoardCase(spec, rules) in &fixed {
        expect_verdict::<B>(spec, rules)?;
    }
    // Random walls of snake heads and traps near N, under random rules.
    let strategy = (
        any_rules(),
        0u32..=40,
        0u32..1000,
        1u32..=8,
        0u32..1000,
        prop::collection::vec((0u32..1000, 0u32..1000), 0..4),
    )
        .prop_map(|(rules, extra, wall_at, wall_len, tail, ladders)| {
            let n = rules.dice.highest().max(2) + 4 + extra;
            let start = 2 + wall_at * (n - 3) / 1000;
            let tail = 1 + tail * (start - 1) / 1000;
            let mut jumps: Vec<Jump> = (start..(start + wall_len).min(n))
                .map(|h| Jump::snake(h, tail.min(h - 1).max(1)))
                .filter(|j| j.from != j.to)
                .collect();
            for (a, b) in ladders {
                let from = 1 + a * (n - 1) / 1000;
                let to = 1 + b * n / 1000;
                if from < to
                    && !jumps
                        .iter()
                        .any(|j| j.from == from || j.from == to || j.to == from)
                {
                    jumps.push(Jump::ladder(from, to.min(n)));
                }
            }
            BoardCase(
                BoardSpec { squares: n, jumps },
                Rules {
                    chains: ChainRule::Follow,
                    ..rules
                },
            )
        });
    check_property(&UNREACHABLE, 300, strategy, |BoardCase(spec, rules)| {
        expect_verdict::<B>(&spec, &rules)
    })
}

/// A board file: its lines, with the expected parse.
#[derive(Clone)]
struct FileCase {
    lines: Vec<String>,
    expected: Result<BoardSpec, ParseError>,
}

impl fmt::Debug for FileCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, l) in self.lines.iter().enumerate() {
            writeln!(f, "{:>3} | {l}", i + 1)?;
        }
        Ok(())
    }
}

fn file_case() -> impl Strategy<Value = FileCase> {
    // Square numbers with the ends of 32 bits mixed in: the parser checks syntax only, so
    // u32::MAX is a number like any other (and one past it is not).
    let number =
        || prop_oneof![6 => 1u32..200, 1 => Just(0u32), 1 => Just(u32::MAX), 1 => Just(1u32 << 31)];
    let jumps = prop::collection::vec((number(), number(), 0u8..3, 0u8..5), 0..8);
    (
        prop_oneof![6 => 1u32..300, 1 => Just(u32::MAX), 1 => Just(1u32 << 31), 1 => Just(0u32)],
        jumps,
        0usize..10,
        0u8..8,
        0u8..5,
        any::<prop::sample::Index>(),
    )
        .prop_map(|(squares, jumps, squares_at, defect, style, at)| {
            let pad = |s: &str, st: u8| match st {
                0 => s.to_string(),
                1 => format!("  {s}   "),
                2 => format!("{s}  # a comment"),
                3 => format!("\t{s}"),
                // A long line: the format sets no limit on line length.
                _ => format!("{s}{}# {}", " ".repeat(1_000), "~".repeat(4_000)),
            };
            let mut lines = Vec::new();
            let mut spec = BoardSpec {
                squares,
                jumps: Vec::new(),
            };
            let squares_line = pad(&format!("squares = {squares}"), style);
            for (i, &(a, b, k, st)) in jumps.iter().enumerate() {
                if i == squares_at {
                    lines.push(squares_line.clone());
                }
                if st == 3 {
                    lines.push("# squares = 7; snake 1 -> 2 (a comment, not a statement)".into());
                    lines.push(String::new());
                }
                let j = match k {
                    0 => Jump::snake(a, b),
                    1 => Jump::ladder(a, b),
                    _ => Jump::either_way(a, b),
                };
                // Extra spaces around the words, never none: the format writes `A -> B`.
                let text = if st == 1 {
                    format!("{j}").replace(" -> ", "  ->   ")
                } else {
                    format!("{j}")
                };
                lines.push(pad(&text, st));
                spec.jumps.push(j);
            }
            if squares_at >= jumps.len() {
                lines.push(squares_line.clone());
            }
            let bad_line = |lines: &mut Vec<String>, text: &str| -> usize {
                let i = at.index(lines.len() + 1);
                lines.insert(i, text.to_string());
                i + 1
            };
            let err = |line, reason| Err(ParseError { line, reason });
            let expected = match defect {
                0..=2 => Ok(spec),
                3 => {
                    let l = bad_line(&mut lines, "chute 5 -> 3");
                    err(l, ParseReason::UnknownKeyword("chute".into()))
                }
                4 => {
                    let l = bad_line(&mut lines, "ladder 5 7");
                    err(l, ParseReason::Malformed("any shape"))
                }
                5 => {
                    let l = bad_line(&mut lines, "snake 12 -> -3");
                    err(l, ParseReason::BadNumber("-3".into()))
                }
                6 => {
                    // One past u32::MAX, or far past it.
                    let big = if squares % 2 == 0 {
                        "4294967296"
                    } else {
                        "99999999999"
                    };
                    let l = bad_line(&mut lines, &format!("squares = {big}"));
                    err(l, ParseReason::BadNumber(big.into()))
                }
                _ => {
                    // No squares line, or two.
                    let first = lines
                        .iter()
                        .position(|l| l.trim_start().starts_with("squares"))
                        .unwrap_or(0);
                    if at.index(2) == 0 {
                        lines.remove(first);
                        err(lines.len() + 1, ParseReason::MissingSquares)
                    } else {
                        lines.push("squares = 10".into());
                        err(lines.len(), ParseReason::DuplicateSquares)
                    }
                }
            };
            FileCase { lines, expected }
        })
}

/// Whether two parses agree on what the contract fixes: the board, or the line and the kind of
/// the reason. The payloads of `Malformed`, `BadNumber` and `UnknownKeyword` are explanations
/// whose wording the contract leaves to the solution.
fn same_parse(got: &Result<BoardSpec, ParseError>, want: &Result<BoardSpec, ParseError>) -> bool {
    match (got, want) {
        (Ok(g), Ok(w)) => g == w,
        (Err(g), Err(w)) => {
            g.line == w.line
                && std::mem::discriminant(&g.reason) == std::mem::discriminant(&w.reason)
        }
        _ => false,
    }
}

/// Board files round-trip; bad files name the line.
pub fn board_file<B: SnakeLadder>() -> Result<(), Failure> {
    let shipped = [
        include_str!("../boards/classic.txt"),
        include_str!("../boards/tiny.txt"),
        include_str!("../boards/chains.txt"),
    ];
    let parsed = B::parse(shipped[0]);
    if parsed.as_ref() != Ok(&classic_board()) {
        return Err(Failure::new(
            "SnakeLadder::parse(boards/classic.txt)",
            format!("Ok({})", describe(&classic_board())),
            format!("{parsed:?}"),
        ));
    }
    for text in &shipped[1..] {
        if let Err(e) = B::parse(text) {
            return Err(Failure::new(
                format!("SnakeLadder::parse of:\n{text}"),
                "Ok(board)",
                format!("Err({e:?}): {e}"),
            ));
        }
    }
    check_property(&BOARD_FILE, 300, file_case(), |case| {
        let text = case.lines.join("\n");
        let got = B::parse(&text);
        if !same_parse(&got, &case.expected) {
            return Err(Failure::new(
                format!("SnakeLadder::parse of:\n{case:?}"),
                match &case.expected {
                    Ok(_) => show_parse(&case.expected),
                    Err(e) => format!("Err(line {}, {})", e.line, reason_kind(&e.reason)),
                },
                show_parse(&got),
            ));
        }
        Ok(())
    })
}
