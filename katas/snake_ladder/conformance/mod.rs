//! The rubric for the snake-and-ladder kata: criteria and their checks, generic over
//! [`SnakeLadder`].
//!
//! The checks see only the contract. Verdicts on boards, moves and numbers come from
//! [`Oracle`], an exact model written for clarity rather than speed: validation by the rules
//! read literally, a game that replays the same dice, and a dense linear solve for expected game
//! length. Any correct design — a map or an array of jumps, any analysis algorithm — gets full
//! marks as long as it behaves exactly like the model.
//!
//! Use it from your own crate: `lld_katas::snake_ladder::conformance::suite::<MyBoard>()`
//! gives the bound checks; `lld_katas::conformance_tests!` turns them into `#[test]`s.
//!
//! A check demands only what the contract's words say: errors are compared by kind and by the
//! data the contract fixes (the offending jump, the line), never by explanatory text, and
//! nothing is required that the contract leaves open. [`RULES`] names each statement of the
//! contract and the criteria that drive a solution into it.
//!
//! Code map: this file holds the criteria, [`suite`] and [`RULES`]; `model.rs` the exact
//! oracle and model game; `describe.rs` how inputs and answers are written in failure messages;
//! `scenario.rs` the generators (with the documented edges mixed in) and the drivers that play
//! a solution against the model; `stage1.rs` … `stage4.rs` the checks of one stage each.

mod describe;
mod model;
mod scenario;
mod stage1;
mod stage2;
mod stage3;
mod stage4;

pub use model::{CLASSIC_EXPECTED_TURNS, Oracle, classic_board};
pub use stage1::{board_file, chains_and_cycles, invalid_boards, unreachable, valid_boards};
pub use stage2::{chained_jumps, dice, extra_turns, overshoot, replay, turn_order, win_on_last};
pub use stage3::{long_chains, many_players};
pub use stage4::{analysis_at_scale, distribution, expected_turns, monte_carlo};

use super::SnakeLadder;
use crate::grading::{Check, Criterion, Rule};

// ---------------------------------------------------------------------------------------------
// Criteria
// ---------------------------------------------------------------------------------------------

/// Valid boards are accepted.
pub const VALID_BOARDS: Criterion = Criterion::new(
    "snake-ladder/stage1/valid-boards-accepted",
    1,
    3,
    "every valid board is accepted",
    "boards that break no rule are accepted — including a ladder to N, a snake to square 1, a jump from square 1, the smallest allowed N, and chains when the rules follow them",
    "check the bounds inclusively: a jump may end on N (a ladder to the winning square) and start on square 1",
);
/// Invalid boards are rejected with the right error.
pub const INVALID_BOARDS: Criterion = Criterion::new(
    "snake-ladder/stage1/invalid-boards-rejected",
    1,
    4,
    "invalid dice, sizes and jumps are typed errors naming the jump",
    "a board with bad dice, too few or too many squares, or a jump that leaves the board, starts on N, goes to itself, shares a start with an earlier jump, or goes the wrong way, is rejected with exactly the first such BoardError in the documented order, naming the offending jump",
    "validate every jump before building any map from start to end: inserting into a map silently replaces a duplicate, and a snake on N is only caught if you look for it",
);
/// Chains are rejected or followed, and cycles are rejected.
pub const CHAINS_AND_CYCLES: Criterion = Criterion::new(
    "snake-ladder/stage1/chains-and-cycles",
    1,
    3,
    "chained jumps are rejected, or followed without cycles",
    "when the rules forbid chains, a jump ending on another jump's start is ChainedJump (the first such jump, and the jump it lands on); when chains are followed, a chain is accepted but a cycle is Cycle, naming the first jump written that lies on it",
    "walk each chain with a visited set (or colour the jumps white/grey/black) before accepting the board: an unchecked cycle hangs the first game that lands on it",
);
/// Boards on which N cannot be reached are rejected.
pub const UNREACHABLE: Criterion = Criterion::new(
    "snake-ladder/stage1/unreachable-last-square",
    1,
    3,
    "a board where N cannot be reached is rejected",
    "if some square a player can reach has no way on to N — a wall of snakes, or (staying on overshoot) a square too close to N for the smallest roll — the board is Unreachable, naming the lowest such square; otherwise it is accepted",
    "search forwards from square 0 over every roll (after overshoot and jumps), then backwards from N; a reachable square the backward search misses is a trap",
);
/// Board files parse, and bad ones name the line.
pub const BOARD_FILE: Criterion = Criterion::new(
    "snake-ladder/stage1/board-file",
    1,
    3,
    "board files parse; bad files name the line and the reason",
    "any board written in the documented format (comments, blank lines, extra spaces and tabs between the words) parses to exactly its squares and jumps, in order; a bad file is a ParseError with the 1-based number of the first bad line and the right kind of reason (its wording is free)",
    "count lines from 1 as you read them (enumerate() starts at 0), and strip comments before splitting into words",
);
/// Turn order, including after extra turns.
pub const TURN_ORDER: Criterion = Criterion::new(
    "snake-ladder/stage2/turn-order",
    2,
    3,
    "players move in turn order, and an extra turn does not shift it",
    "players move 0, 1, …, n−1, 0, …; after an extra turn (or a forfeited third highest roll) the order resumes with the player after the one who rolled; every event and positions() agree with a model game with the same dice",
    "keep the current player as state and advance it by one only when the turn passes; do not derive it from the number of turns played",
);
/// Dice are fair, in range, and configurable.
pub const DICE: Criterion = Criterion::new(
    "snake-ladder/stage2/dice",
    2,
    3,
    "dice roll 1..=faces, fairly, `count` per turn",
    "seeded dice roll every face in 1..=faces and nothing else, each about equally often; a turn rolls exactly `count` dice and moves by their sum; a die showing a face outside 1..=faces makes the turn InvalidRoll { value, faces }, which changes nothing (squares, player to move, highest rolls in a row)",
    "map a random number r to a face with 1 + r % faces (or better, a multiply-shift), not r % faces and not r % (faces + 1)",
);
/// Overshoot rules at their boundaries.
pub const OVERSHOOT: Criterion = Criterion::new(
    "snake-ladder/stage2/overshoot",
    2,
    3,
    "overshooting N: stay, bounce or finish, exactly",
    "from every square within one roll of N, with every roll: Stay leaves the player in place (no jump), Bounce ends on N − (position + roll − N) and takes the jump there, Finish wins; an exact roll wins under every rule",
    "write the overshoot as one function of (position, roll) and test it at N − 1 and N − highest roll; the bounce reflects off N itself",
);
/// Reaching N wins, however it is reached.
pub const WIN_ON_LAST: Criterion = Criterion::new(
    "snake-ladder/stage2/win-on-last-square",
    2,
    3,
    "ending a move on N wins — directly, by ladder, or by Finish",
    "a turn that ends on N, directly or by a ladder to N, wins: the event names the winner, winner() is set, next_player() is None, and every later play_turn is GameOver without changing anything; no other turn wins",
    "decide the win after following the jumps, from the final square, not from the square the dice reached",
);
/// Extra turns and the three-in-a-row forfeit.
pub const EXTRA_TURNS: Criterion = Criterion::new(
    "snake-ladder/stage2/extra-turns",
    2,
    3,
    "a highest roll earns one more turn; the third in a row is forfeited",
    "with OnHighestRoll, a highest roll (every die on its top face) gives the same player another turn unless it won; the third highest roll in a row does not move the player and passes the turn; with Never, there are no extra turns",
    "count highest rolls in a row per turn, reset the count when the turn passes, and check it before moving",
);
/// Chained jumps are followed to the end.
pub const CHAINED_JUMPS: Criterion = Criterion::new(
    "snake-ladder/stage2/chained-jumps",
    2,
    2,
    "chained jumps are followed to the end",
    "when chains are followed, a move that reaches a jump's start follows it, then the jump at its end, and so on until a square with no jump; `landed` is the square the roll reached and `to` the end of the chain",
    "loop while the current square starts a jump (the board was checked for cycles), or resolve every chain once when the board is built",
);
/// The same seed replays the same game.
pub const REPLAY: Criterion = Criterion::new(
    "snake-ladder/stage2/replay-from-seed",
    2,
    3,
    "a seed replays its game exactly",
    "two games with the same board, rules, players and seeded_dice(seed) produce the same events, even when their turns are interleaved",
    "keep the generator's state inside the dice value; no global or thread-local RNG",
);
/// Long chains: no recursion limits.
pub const LONG_CHAINS: Criterion = Criterion::new(
    "snake-ladder/stage3/long-chains",
    3,
    3,
    "chains of tens of thousands of jumps work",
    "on a 100,000-square board with a chain of 40,000 ladders, validation accepts the chain (and rejects it as a Cycle once closed), a move onto its start ends at its far end, and no player ever rests on a jump's start",
    "follow chains in a loop, not by recursion, and never cap the number of jumps followed: a depth limit strands players halfway",
);
/// Thousands of players on a big board.
pub const MANY_PLAYERS: Criterion = Criterion::new(
    "snake-ladder/stage3/many-players",
    3,
    3,
    "10,000 squares and 1,000 players: every turn right, and the game ends",
    "on a 10,000-square board with 1,000 players and extra turns, every event and position matches the model game with the same dice, positions stay in 0..=N, and the game ends with a winner",
    "one turn should cost O(dice) — no scan over players or squares — and the current player must advance exactly as in a small game",
);
/// Expected turns, exactly.
pub const EXPECTED_TURNS: Criterion = Criterion::new(
    "snake-ladder/stage4/expected-turns-exact",
    4,
    5,
    "expected game length is exact",
    "analyze().expected_turns equals the exact expected number of turns of one player's game (absorbing Markov chain) within 10⁻⁶ relative, for every rule set — 39.2251223 for the classic Chutes and Ladders board",
    "solve E[s] = 1 + Σ P(r)·E[next(s, r)] with E[N] = 0 exactly (a linear system), counting every roll as a turn; a simulation is off by a noticeable fraction of a turn",
);
/// The distribution of game length, median and shortest game, exactly.
pub const DISTRIBUTION: Criterion = Criterion::new(
    "snake-ladder/stage4/distribution-exact",
    4,
    4,
    "P(finished within k), median and shortest game are exact",
    "finished_within(k)[j] is exactly P(a single player has finished within j turns) (entry 0 is 0), the median is the smallest k with that probability ≥ 1/2, and shortest_game is the fewest turns that can finish",
    "propagate the distribution over states one turn at a time from the start state; after 0 turns nobody has finished",
);
/// Simulation agrees with the exact figures.
pub const MONTE_CARLO: Criterion = Criterion::new(
    "snake-ladder/stage4/monte-carlo-agreement",
    4,
    3,
    "simulated games agree with the exact figures",
    "4,000 single-player games played with the solution's own engine and seeded dice have a mean length within 5 standard errors of analyze().expected_turns, and the share finished within the median within 5 standard errors of finished_within",
    "the game and the analysis must share one move function; a turn counted in one and not the other shows here",
);
/// The analysis at the largest board size.
pub const ANALYSIS_AT_SCALE: Criterion = Criterion::new(
    "snake-ladder/stage4/analysis-at-scale",
    4,
    3,
    "the analysis is exact on a 1,000,000-square board, in seconds",
    "on a board of MAX_SQUARES (1,000,000) squares whose every game is the same 900,000 turns (a one-faced die, 100 ladders), analyze() gives expected_turns, median_turns and shortest_game of 900,000, and finished_within(900,000) is 0 up to the last entry and 1 there — within the criterion's deadline",
    "games on a million squares last hundreds of thousands of turns: never cap the turns you follow, and push forward only the squares that hold probability, not every square of the board on every turn",
);

/// Every criterion of this kata, in rubric order.
pub const CRITERIA: &[Criterion] = &[
    VALID_BOARDS,
    INVALID_BOARDS,
    CHAINS_AND_CYCLES,
    UNREACHABLE,
    BOARD_FILE,
    TURN_ORDER,
    DICE,
    OVERSHOOT,
    WIN_ON_LAST,
    EXTRA_TURNS,
    CHAINED_JUMPS,
    REPLAY,
    LONG_CHAINS,
    MANY_PLAYERS,
    EXPECTED_TURNS,
    DISTRIBUTION,
    MONTE_CARLO,
    ANALYSIS_AT_SCALE,
];

/// Every check, bound to the implementation `B`.
pub fn suite<B: SnakeLadder>() -> Vec<Check> {
    vec![
        Check::new(&VALID_BOARDS, valid_boards::<B>),
        Check::new(&INVALID_BOARDS, invalid_boards::<B>),
        Check::new(&CHAINS_AND_CYCLES, chains_and_cycles::<B>),
        Check::new(&UNREACHABLE, unreachable::<B>),
        Check::new(&BOARD_FILE, board_file::<B>),
        Check::new(&TURN_ORDER, turn_order::<B>),
        Check::new(&DICE, dice::<B>),
        Check::new(&OVERSHOOT, overshoot::<B>),
        Check::new(&WIN_ON_LAST, win_on_last::<B>),
        Check::new(&EXTRA_TURNS, extra_turns::<B>),
        Check::new(&CHAINED_JUMPS, chained_jumps::<B>),
        Check::new(&REPLAY, replay::<B>),
        Check::new(&LONG_CHAINS, long_chains::<B>),
        Check::new(&MANY_PLAYERS, many_players::<B>),
        Check::new(&EXPECTED_TURNS, expected_turns::<B>),
        Check::new(&DISTRIBUTION, distribution::<B>),
        Check::new(&MONTE_CARLO, monte_carlo::<B>),
        Check::new(&ANALYSIS_AT_SCALE, analysis_at_scale::<B>),
    ]
}

/// The contract's rules, each with the criteria that drive a solution into it. The ids appear
/// next to the statements in the contract's docs (`snake_ladder/mod.rs`).
pub const RULES: &[Rule] = &[
    Rule::new(
        "snake-ladder/dice-range",
        "Dice are 1 to MAX_DICE dice of 1 to MAX_FACES faces, both ends allowed; anything else is InvalidDice { count, faces }, checked before anything else.",
        &[INVALID_BOARDS.id, VALID_BOARDS.id],
    ),
    Rule::new(
        "snake-ladder/squares-range",
        "N is at least max(2, highest roll) and at most MAX_SQUARES, both ends allowed; anything else is SquaresOutOfRange { squares, min, max }, checked right after the dice.",
        &[INVALID_BOARDS.id, VALID_BOARDS.id],
    ),
    Rule::new(
        "snake-ladder/jump-on-board",
        "Both ends of a jump lie in 1..=N — a ladder may end on N and a jump may start on square 1 — or the board is JumpOutOfRange naming the jump.",
        &[VALID_BOARDS.id, INVALID_BOARDS.id],
    ),
    Rule::new(
        "snake-ladder/no-jump-from-last",
        "A jump starting on N is JumpFromLastSquare.",
        &[INVALID_BOARDS.id],
    ),
    Rule::new(
        "snake-ladder/no-jump-to-itself",
        "A jump ending where it starts is JumpToItself.",
        &[INVALID_BOARDS.id],
    ),
    Rule::new(
        "snake-ladder/unique-start",
        "A jump starting where an earlier one starts is DuplicateStart { first: the earlier, second: the later }.",
        &[INVALID_BOARDS.id],
    ),
    Rule::new(
        "snake-ladder/declared-direction",
        "A declared snake that goes up or a declared ladder that goes down is WrongDirection; `jump` may go either way.",
        &[INVALID_BOARDS.id],
    ),
    Rule::new(
        "snake-ladder/error-order",
        "new returns the first error in the documented order: dice, squares, then each jump in the order written (out of range, on N, to itself, repeated start, wrong direction), then chains or cycles, then reachability.",
        &[INVALID_BOARDS.id],
    ),
    Rule::new(
        "snake-ladder/chains-forbidden",
        "Under ChainRule::Forbidden a jump ending on another jump's start is ChainedJump { jump, next }, naming the first such jump written.",
        &[CHAINS_AND_CYCLES.id],
    ),
    Rule::new(
        "snake-ladder/no-cycles",
        "Under ChainRule::Follow chains are accepted, but a cycle of chained jumps is Cycle naming the first jump written that lies on it.",
        &[CHAINS_AND_CYCLES.id, LONG_CHAINS.id],
    ),
    Rule::new(
        "snake-ladder/reachable-finish",
        "A board where some square a player can stand on has no way on to N is Unreachable, naming the lowest such square (0 when N is unreachable from the start).",
        &[UNREACHABLE.id],
    ),
    Rule::new(
        "snake-ladder/board-file-format",
        "A board file is one statement per line — `squares = N` exactly once, `snake A -> B`, `ladder A -> B`, `jump A -> B` — with `#` comments, blank lines and extra spacing ignored, and lines of any length; it parses to its squares and its jumps in the order written.",
        &[BOARD_FILE.id],
    ),
    Rule::new(
        "snake-ladder/board-file-numbers",
        "A square number in a board file is any non-negative integer that fits in 32 bits, u32::MAX included; anything else is BadNumber.",
        &[BOARD_FILE.id],
    ),
    Rule::new(
        "snake-ladder/parse-error-line",
        "A bad file is a ParseError naming the first bad line, counting from 1, and the kind of reason; a missing `squares` line points one past the last line.",
        &[BOARD_FILE.id],
    ),
    Rule::new(
        "snake-ladder/no-players",
        "new_game with no players is NoPlayers.",
        &[TURN_ORDER.id],
    ),
    Rule::new(
        "snake-ladder/turn-order",
        "Every player starts on 0; players move in index order 0, 1, …, players − 1, 0, …, and after an extra turn or a forfeit the order resumes with the player after the one who rolled.",
        &[TURN_ORDER.id, MANY_PLAYERS.id],
    ),
    Rule::new(
        "snake-ladder/seeded-dice-fair",
        "seeded_dice rolls every face in 1..=faces, each equally likely, and nothing else.",
        &[DICE.id],
    ),
    Rule::new(
        "snake-ladder/dice-per-turn",
        "A turn calls Dice::roll once per die, count times, and moves by the sum.",
        &[DICE.id],
    ),
    Rule::new(
        "snake-ladder/invalid-roll",
        "A die showing a face outside 1..=faces makes the turn InvalidRoll { value, faces }, and a failed turn changes nothing.",
        &[DICE.id],
    ),
    Rule::new(
        "snake-ladder/overshoot",
        "A roll past N follows the rules' Overshoot: Stay does not move and takes no jump, Bounce ends on N − (position + roll − N) and takes the jump there, Finish ends on N and wins.",
        &[OVERSHOOT.id],
    ),
    Rule::new(
        "snake-ladder/exact-finish",
        "A roll that reaches N exactly ends on N and wins, under every overshoot rule.",
        &[OVERSHOOT.id, WIN_ON_LAST.id],
    ),
    Rule::new(
        "snake-ladder/win-after-jumps",
        "Ending the move on N wins, decided after the jumps: a ladder to N wins, and no other turn does.",
        &[WIN_ON_LAST.id],
    ),
    Rule::new(
        "snake-ladder/game-over",
        "After the win, next_player is None and every play_turn is GameOver { winner }, changing nothing.",
        &[WIN_ON_LAST.id],
    ),
    Rule::new(
        "snake-ladder/extra-turn",
        "With OnHighestRoll, a highest roll — every die on its top face — gives the mover another turn unless it won; with Never there are no extra turns.",
        &[EXTRA_TURNS.id],
    ),
    Rule::new(
        "snake-ladder/forfeit-third",
        "The third highest roll in a row is forfeited: the mover does not move, the turn passes, and the count of highest rolls starts again for the next player.",
        &[EXTRA_TURNS.id, TURN_ORDER.id],
    ),
    Rule::new(
        "snake-ladder/follow-chains",
        "Under ChainRule::Follow a move follows jump after jump to a square with no jump: `landed` is the square the roll reached, `to` the chain's end, and no player ever rests on a jump's start.",
        &[CHAINED_JUMPS.id, LONG_CHAINS.id],
    ),
    Rule::new(
        "snake-ladder/replay",
        "Dice from seeded_dice(seed) are fixed by the seed alone: two games with the same setup and seed replay the same events, even when played in alternation.",
        &[REPLAY.id],
    ),
    Rule::new(
        "snake-ladder/expected-turns",
        "analyze().expected_turns is the exact expected number of turns of one player's game, forfeited turns included.",
        &[EXPECTED_TURNS.id, MONTE_CARLO.id],
    ),
    Rule::new(
        "snake-ladder/distribution",
        "finished_within(k) has k + 1 entries, entry j exactly P(finished within j turns) with entry 0 equal to 0; median_turns is the smallest k with that probability at least 1/2, and shortest_game the fewest turns that can finish.",
        &[DISTRIBUTION.id, MONTE_CARLO.id],
    ),
    Rule::new(
        "snake-ladder/median-tie",
        "median_turns is the smallest k with P(finished within k) ≥ 1/2: where that probability is exactly 1/2, k itself is the median, not k + 1.",
        &[DISTRIBUTION.id],
    ),
    Rule::new(
        "snake-ladder/analysis-at-scale",
        "analyze and finished_within are exact on every valid board up to MAX_SQUARES squares, where a game lasts hundreds of thousands of turns: no cap on the turns followed, and fast enough for a 1,000,000-square board within the criterion's deadline.",
        &[ANALYSIS_AT_SCALE.id],
    ),
];
