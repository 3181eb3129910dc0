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

use super::{
    BoardError, BoardSpec, ChainRule, Dice, DiceSpec, ExtraTurn, Game, GameError, Jump, JumpKind,
    MAX_DICE, MAX_FACES, MAX_SQUARES, Overshoot, ParseError, ParseReason, Rules, ScriptedDice,
    SnakeLadder, SplitMix64, TurnEvent,
};
use crate::grading::{Check, Criterion, Failure, Rule, Transcript, check_property};
use proptest::prelude::*;
use std::collections::VecDeque;
use std::fmt;

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
    ]
}

// ---------------------------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------------------------

/// The rules read literally: the suite's source of truth for validation, moves and numbers.
#[derive(Debug, Clone)]
pub struct Oracle {
    squares: u32,
    rules: Rules,
    jumps: Vec<Jump>,
    /// Jump ends by start square (the jumps, indexed).
    starts: std::collections::BTreeMap<u32, u32>,
}

impl Oracle {
    /// Validates `spec` under `rules` exactly as the contract says, in the documented order.
    ///
    /// # Errors
    /// The first [`BoardError`].
    pub fn new(spec: &BoardSpec, rules: &Rules) -> Result<Self, BoardError> {
        let DiceSpec { count, faces } = rules.dice;
        if count == 0 || count > MAX_DICE || faces == 0 || faces > MAX_FACES {
            return Err(BoardError::InvalidDice { count, faces });
        }
        let n = spec.squares;
        let min = (count * faces).max(2);
        if n < min || n > MAX_SQUARES {
            return Err(BoardError::SquaresOutOfRange {
                squares: n,
                min,
                max: MAX_SQUARES,
            });
        }
        let jumps = &spec.jumps;
        for (i, &jump) in jumps.iter().enumerate() {
            if jump.from < 1 || jump.from > n || jump.to < 1 || jump.to > n {
                return Err(BoardError::JumpOutOfRange { jump });
            }
            if jump.from == n {
                return Err(BoardError::JumpFromLastSquare { jump });
            }
            if jump.from == jump.to {
                return Err(BoardError::JumpToItself { jump });
            }
            if let Some(&first) = jumps[..i].iter().find(|j| j.from == jump.from) {
                return Err(BoardError::DuplicateStart {
                    first,
                    second: jump,
                });
            }
            let wrong = (jump.kind == JumpKind::Snake && jump.to > jump.from)
                || (jump.kind == JumpKind::Ladder && jump.to < jump.from);
            if wrong {
                return Err(BoardError::WrongDirection { jump });
            }
        }
        let starting_at = |s: u32| jumps.iter().copied().find(|j| j.from == s);
        for &jump in jumps {
            if let Some(next) = starting_at(jump.to) {
                match rules.chains {
                    ChainRule::Forbidden => return Err(BoardError::ChainedJump { jump, next }),
                    ChainRule::Follow => {
                        // On a cycle iff following the chain comes back to this jump.
                        let mut at = next;
                        for _ in 0..jumps.len() {
                            if at == jump {
                                return Err(BoardError::Cycle { jump });
                            }
                            match starting_at(at.to) {
                                Some(j) => at = j,
                                None => break,
                            }
                        }
                    }
                }
            }
        }
        let oracle = Self {
            squares: n,
            rules: *rules,
            jumps: jumps.clone(),
            starts: jumps.iter().map(|j| (j.from, j.to)).collect(),
        };
        if let Some(square) = oracle.trap() {
            return Err(BoardError::Unreachable { square });
        }
        Ok(oracle)
    }

    /// Where a move reaching `square` ends, following jumps (chains only if the rules say so;
    /// on a valid board without `Follow` there are none).
    fn destination(&self, square: u32) -> u32 {
        let mut at = square;
        for _ in 0..=self.jumps.len() {
            match self.starts.get(&at) {
                Some(&to) => at = to,
                None => break,
            }
        }
        at
    }

    /// (square reached by the roll after the overshoot rule, square after jumps).
    pub fn advance(&self, from: u32, roll: u32) -> (u32, u32) {
        let n = self.squares;
        let landed = if from + roll <= n {
            from + roll
        } else {
            match self.rules.overshoot {
                Overshoot::Stay => return (from, from),
                Overshoot::Bounce => n - (from + roll - n),
                Overshoot::Finish => n,
            }
        };
        (landed, self.destination(landed))
    }

    fn rolls(&self) -> std::ops::RangeInclusive<u32> {
        self.rules.dice.count..=self.rules.dice.count * self.rules.dice.faces
    }

    /// The lowest square reachable from 0 with no way on to N.
    fn trap(&self) -> Option<u32> {
        let n = self.squares as usize;
        let mut reachable = vec![false; n + 1];
        let mut back: Vec<Vec<usize>> = vec![Vec::new(); n + 1];
        reachable[0] = true;
        let mut queue = VecDeque::from([0usize]);
        while let Some(p) = queue.pop_front() {
            if p == n {
                continue;
            }
            for r in self.rolls() {
                let to = self.advance(p as u32, r).1 as usize;
                back[to].push(p);
                if !reachable[to] {
                    reachable[to] = true;
                    queue.push_back(to);
                }
            }
        }
        let mut finishes = vec![false; n + 1];
        finishes[n] = true;
        let mut queue = VecDeque::from([n]);
        while let Some(q) = queue.pop_front() {
            for &p in &back[q] {
                if !finishes[p] {
                    finishes[p] = true;
                    queue.push_back(p);
                }
            }
        }
        (0..n)
            .find(|&p| reachable[p] && !finishes[p])
            .map(|p| p as u32)
    }

    /// The single-player chain: states (square, streak) reachable from (0, 0), and per state
    /// its transitions `(Some(target) | None for finished, probability)`.
    fn chain(&self) -> (Vec<(u32, u8)>, Transitions) {
        let dice = self.rules.dice;
        let extra = self.rules.extra_turn == ExtraTurn::OnHighestRoll;
        // P(roll) by enumerating every combination of faces.
        let mut p_roll = vec![0.0; (dice.count * dice.faces) as usize + 1];
        let combos = u64::from(dice.faces).pow(dice.count);
        for c in 0..combos {
            let (mut rest, mut sum) = (c, 0);
            for _ in 0..dice.count {
                sum += (rest % u64::from(dice.faces)) as usize + 1;
                rest /= u64::from(dice.faces);
            }
            p_roll[sum] += 1.0 / combos as f64;
        }
        let mut states = vec![(0u32, 0u8)];
        let mut edges = Vec::new();
        let mut i = 0;
        while i < states.len() {
            let (sq, streak) = states[i];
            let mut out = Vec::new();
            for r in self.rolls() {
                let top = extra && r == dice.count * dice.faces;
                let next = if top && streak == 2 {
                    Some((sq, 0))
                } else {
                    let to = self.advance(sq, r).1;
                    (to != self.squares).then_some((to, if top { streak + 1 } else { 0 }))
                };
                let target = next.map(|s| match states.iter().position(|&x| x == s) {
                    Some(k) => k,
                    None => {
                        states.push(s);
                        states.len() - 1
                    }
                });
                out.push((target, p_roll[r as usize]));
            }
            edges.push(out);
            i += 1;
        }
        (states, edges)
    }

    /// Expected turns to finish, by a dense solve of (I − Q) E = 1 over the reachable states.
    pub fn expected_turns(&self) -> f64 {
        let (states, edges) = self.chain();
        let n = states.len();
        let mut a = vec![vec![0.0; n + 1]; n];
        for (i, out) in edges.iter().enumerate() {
            a[i][i] += 1.0;
            a[i][n] = 1.0;
            for &(t, p) in out {
                if let Some(t) = t {
                    a[i][t] -= p;
                }
            }
        }
        for col in 0..n {
            let piv = (col..n)
                .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
                .unwrap_or(col);
            a.swap(col, piv);
            for row in col + 1..n {
                let f = a[row][col] / a[col][col];
                if f != 0.0 {
                    let pivot = a[col].clone();
                    for (x, p) in a[row].iter_mut().zip(&pivot).skip(col) {
                        *x -= f * p;
                    }
                }
            }
        }
        let mut e = vec![0.0; n];
        for row in (0..n).rev() {
            let s: f64 = (row + 1..n).map(|k| a[row][k] * e[k]).sum();
            e[row] = (a[row][n] - s) / a[row][row];
        }
        e[0]
    }

    /// P(finished within j turns) for j in 0..=turns.
    pub fn finished_within(&self, turns: u32) -> Vec<f64> {
        let (states, edges) = self.chain();
        let mut mass = vec![0.0; states.len()];
        mass[0] = 1.0;
        let mut done = 0.0;
        let mut out = vec![0.0];
        for _ in 0..turns {
            let mut next = vec![0.0; states.len()];
            for (i, out) in edges.iter().enumerate() {
                for &(t, p) in out {
                    match t {
                        Some(t) => next[t] += mass[i] * p,
                        None => done += mass[i] * p,
                    }
                }
            }
            mass = next;
            out.push(done);
        }
        out
    }

    /// The fewest turns that can finish.
    pub fn shortest_game(&self) -> u32 {
        let (states, edges) = self.chain();
        let mut depth = vec![None; states.len()];
        depth[0] = Some(0);
        let mut queue = VecDeque::from([0usize]);
        while let Some(i) = queue.pop_front() {
            let d = depth[i].unwrap_or(0);
            for &(t, _) in &edges[i] {
                match t {
                    None => return d + 1,
                    Some(t) if depth[t].is_none() => {
                        depth[t] = Some(d + 1);
                        queue.push_back(t);
                    }
                    Some(_) => {}
                }
            }
        }
        u32::MAX
    }
}

/// Per state, its transitions: (`Some(target)`, or `None` for finished, probability).
type Transitions = Vec<Vec<(Option<usize>, f64)>>;

/// The model game: the same rules, turn by turn, fed the same die faces as the solution.
#[derive(Debug, Clone)]
struct ModelGame {
    board: Oracle,
    positions: Vec<u32>,
    current: usize,
    streak: u8,
    winner: Option<usize>,
}

impl ModelGame {
    fn new(board: &Oracle, players: usize) -> Self {
        Self {
            board: board.clone(),
            positions: vec![0; players],
            current: 0,
            streak: 0,
            winner: None,
        }
    }

    /// The event for a turn whose dice show `faces`.
    fn turn(&mut self, faces: &[u32]) -> Result<TurnEvent, GameError> {
        if let Some(winner) = self.winner {
            return Err(GameError::GameOver { winner });
        }
        let rules = self.board.rules;
        let roll: u32 = faces.iter().sum();
        let player = self.current;
        let from = self.positions[player];
        let top = rules.extra_turn == ExtraTurn::OnHighestRoll
            && faces.iter().all(|&f| f == rules.dice.faces);
        let mut event = TurnEvent::standing(player, roll, from);
        if !(top && self.streak == 2) {
            (event.landed, event.to) = self.board.advance(from, roll);
            self.positions[player] = event.to;
        }
        if event.to == self.board.squares {
            self.winner = Some(player);
            event.winner = Some(player);
        } else if top && self.streak < 2 {
            self.streak += 1;
            event.extra_turn = true;
        } else {
            self.streak = 0;
            self.current = (player + 1) % self.positions.len();
        }
        Ok(event)
    }
}

// ---------------------------------------------------------------------------------------------
// Scenario plumbing
// ---------------------------------------------------------------------------------------------

/// The suite's own seeded dice: SplitMix64 with a multiply-shift, shared by the solution's game
/// and the model game so both see the same faces.
#[derive(Debug, Clone)]
struct SuiteDice(SplitMix64);

impl Dice for SuiteDice {
    fn roll(&mut self, faces: u32) -> u32 {
        ((u128::from(self.0.next_u64()) * u128::from(faces)) >> 64) as u32 + 1
    }
}

/// A board as the file format writes it, on one line.
fn describe(spec: &BoardSpec) -> String {
    let mut s = format!("squares = {}", spec.squares);
    for j in &spec.jumps {
        s.push_str(&format!("; {j}"));
    }
    s
}

fn describe_rules(r: &Rules) -> String {
    format!(
        "{}d{}, overshoot {:?}, extra turn {:?}, chains {:?}",
        r.dice.count, r.dice.faces, r.overshoot, r.extra_turn, r.chains
    )
}

fn setup_line(spec: &BoardSpec, rules: &Rules) -> String {
    format!(
        "board: {}\nrules: {}",
        describe(spec),
        describe_rules(rules)
    )
}

fn show_event(e: &TurnEvent) -> String {
    let mut s = format!(
        "player {} rolls {}: {} → {}",
        e.player, e.roll, e.from, e.landed
    );
    if e.to != e.landed {
        s.push_str(&format!(" → jump → {}", e.to));
    }
    if e.extra_turn {
        s.push_str(", extra turn");
    }
    if let Some(w) = e.winner {
        s.push_str(&format!(", player {w} wins"));
    }
    s
}

fn show_result(r: &Result<TurnEvent, GameError>) -> String {
    match r {
        Ok(e) => show_event(e),
        Err(e) => format!("Err({e:?})"),
    }
}

/// Builds the solution's board, failing with the transcript if it refuses a valid one.
fn build<B: SnakeLadder>(spec: &BoardSpec, rules: &Rules, log: &Transcript) -> Result<B, Failure> {
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
fn play_against_model<B: SnakeLadder>(
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

fn expected_player(r: &Result<TurnEvent, GameError>) -> usize {
    r.as_ref().map_or(0, |e| e.player)
}

fn short(v: &[u32]) -> String {
    if v.len() <= 12 {
        format!("{v:?}")
    } else {
        format!("{:?} … ({} players)", &v[..12], v.len())
    }
}

/// Rules over small dice, where highest rolls (and so extra turns) are frequent.
fn any_rules() -> impl Strategy<Value = Rules> {
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
fn playable(rules: Rules) -> Rules {
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
fn board_size(max_extra: u32) -> impl Strategy<Value = u32> {
    prop_oneof![4 => 0..=max_extra, 1 => Just(0u32), 1 => Just(1u32), 1 => Just(max_extra)]
}

/// A fraction of N in thousandths, with both ends mixed in: 0 maps to square 1, 999 to the
/// last square (N − 1 for a start, N for an end) on any board below 1,000 squares.
fn fraction() -> impl Strategy<Value = u32> {
    prop_oneof![4 => 0u32..1000, 1 => Just(0u32), 1 => Just(999u32)]
}

/// Candidate jumps as (from, to, kind) fractions of N, so they shrink with the board.
fn raw_jumps() -> impl Strategy<Value = Vec<(u32, u32, u8)>> {
    prop::collection::vec((fraction(), fraction(), 0u8..3), 0..9)
}

fn kind(k: u8, from: u32, to: u32) -> Jump {
    match k {
        0 => Jump::either_way(from, to),
        _ if to > from => Jump::ladder(from, to),
        _ => Jump::snake(from, to),
    }
}

/// A valid board: candidate jumps are added one by one and kept when the board stays valid.
fn valid_board(rules: &Rules, squares: u32, raw: &[(u32, u32, u8)]) -> BoardSpec {
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

/// The classic Milton Bradley "Chutes and Ladders" board.
pub fn classic_board() -> BoardSpec {
    let ladders = [
        (1, 38),
        (4, 14),
        (9, 31),
        (21, 42),
        (28, 84),
        (36, 44),
        (51, 67),
        (71, 91),
        (80, 100),
    ];
    let chutes = [
        (16, 6),
        (47, 26),
        (49, 11),
        (56, 53),
        (62, 19),
        (64, 60),
        (87, 24),
        (93, 73),
        (95, 75),
        (98, 78),
    ];
    BoardSpec {
        squares: 100,
        jumps: ladders
            .iter()
            .map(|&(a, b)| Jump::ladder(a, b))
            .chain(chutes.iter().map(|&(a, b)| Jump::snake(a, b)))
            .collect(),
    }
}

/// Exact expected length of the classic game, one player, one die, stay on overshoot, to 7
/// decimals — the published figure (e.g. DataGenetics, "Mathematics of Chutes and Ladders").
pub const CLASSIC_EXPECTED_TURNS: f64 = 39.225_122_3;

/// A valid game setup: rules, a board valid under them, players, a seed.
#[derive(Clone)]
struct Setup {
    spec: BoardSpec,
    rules: Rules,
    players: usize,
    seed: u64,
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
fn setup(
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
fn model_game<B: SnakeLadder>(s: &Setup, max_turns: usize) -> Result<usize, Failure> {
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
fn scripted<B: SnakeLadder>(
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
fn walk_to(square: u32, max_face: u32) -> Vec<u32> {
    let step = max_face.saturating_sub(1).max(1);
    let mut faces = vec![step; (square / step) as usize];
    if !square.is_multiple_of(step) {
        faces.push(square % step);
    }
    faces
}

// ---------------------------------------------------------------------------------------------
// Stage 1
// ---------------------------------------------------------------------------------------------

fn expect_verdict<B: SnakeLadder>(spec: &BoardSpec, rules: &Rules) -> Result<(), Failure> {
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
struct BoardCase(BoardSpec, Rules);

impl fmt::Debug for BoardCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&setup_line(&self.0, &self.1))
    }
}

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

/// How a parse is shown in a failure: errors by line and kind, as [`same_parse`] compares them.
fn show_parse(r: &Result<BoardSpec, ParseError>) -> String {
    match r {
        Ok(spec) => format!("Ok({})", describe(spec)),
        Err(e) => format!("Err(line {}, {}) — {e}", e.line, reason_kind(&e.reason)),
    }
}

fn reason_kind(r: &ParseReason) -> &'static str {
    match r {
        ParseReason::UnknownKeyword(_) => "UnknownKeyword",
        ParseReason::Malformed(_) => "Malformed",
        ParseReason::BadNumber(_) => "BadNumber",
        ParseReason::DuplicateSquares => "DuplicateSquares",
        ParseReason::MissingSquares => "MissingSquares",
    }
}

/// Board files round-trip; bad files name the line.
pub fn board_file<B: SnakeLadder>() -> Result<(), Failure> {
    let shipped = [
        include_str!("boards/classic.txt"),
        include_str!("boards/tiny.txt"),
        include_str!("boards/chains.txt"),
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

// ---------------------------------------------------------------------------------------------
// Stage 2
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Stage 3
// ---------------------------------------------------------------------------------------------

/// Chains of 40,000 jumps: accepted, followed to the end, cycles found.
pub fn long_chains<B: SnakeLadder>() -> Result<(), Failure> {
    const N: u32 = 100_000;
    const LINKS: u32 = 40_000;
    let rules = Rules {
        chains: ChainRule::Follow,
        ..Rules::default()
    };
    let end = 2 + 2 * LINKS;
    let mut spec = BoardSpec {
        squares: N,
        jumps: (0..LINKS)
            .map(|i| Jump::ladder(2 + 2 * i, 4 + 2 * i))
            .collect(),
    };
    let setup = format!(
        "squares = {N}; ladder 2 -> 4; ladder 4 -> 6; … ladder {} -> {end} ({LINKS} chained ladders); rules: {}",
        end - 2,
        describe_rules(&rules)
    );
    let mut log = Transcript::new(setup.clone());
    let board = build::<B>(&spec, &rules, &log)?;
    let mut game = board
        .new_game(1, Box::new(ScriptedDice::new([2, 1])))
        .map_err(|e| Failure::new(&log, "a game", format!("{e:?}")))?;
    let got = game.play_turn();
    let want = TurnEvent {
        player: 0,
        roll: 2,
        from: 0,
        landed: 2,
        to: end,
        extra_turn: false,
        winner: None,
    };
    if got != Ok(want) {
        return Err(Failure::new(
            format!("{log}\nscripted dice [2]: play_turn()"),
            show_event(&want),
            show_result(&got),
        ));
    }
    // Many players on seeded dice: nobody ever rests on a jump's start.
    let mut game = board
        .new_game(50, Box::new(SuiteDice(SplitMix64::new(7))))
        .map_err(|e| Failure::new(&log, "a game", format!("{e:?}")))?;
    log.step("new_game(players: 50), suite dice seed 7");
    for turn in 1..=3_000 {
        let e = game.play_turn();
        match e {
            Ok(e) if e.to >= 2 && e.to < end && e.to % 2 == 0 => {
                return Err(Failure::new(
                    &log,
                    format!("turn {turn}: a move onto the chain ends on {end}"),
                    format!("{} — resting on a ladder's bottom", show_event(&e)),
                ));
            }
            Ok(e) => log.step(format!("turn {turn}: {}", show_event(&e))),
            Err(_) => break,
        }
    }
    // Closing the chain into a cycle of 40,001 jumps.
    spec.jumps.push(Jump::snake(end, 2));
    let got = B::new(&spec, &rules).map(|_| ());
    let want = Err(BoardError::Cycle {
        jump: Jump::ladder(2, 4),
    });
    if got != want {
        return Err(Failure::new(
            format!("{setup}; snake {end} -> 2\nSnakeLadder::new"),
            format!("{want:?}"),
            format!("{got:?}"),
        ));
    }
    Ok(())
}

/// A 10,000-square board with 1,000 players, against the model.
pub fn many_players<B: SnakeLadder>() -> Result<(), Failure> {
    const N: u32 = 10_000;
    const PLAYERS: usize = 1_000;
    let mut rng = SplitMix64::new(crate::grading::fnv1a(MANY_PLAYERS.id, 0));
    for overshoot in [Overshoot::Bounce] {
        let rules = Rules {
            dice: DiceSpec { count: 2, faces: 6 },
            overshoot,
            extra_turn: ExtraTurn::OnHighestRoll,
            chains: ChainRule::Forbidden,
        };
        // Ladders every ~40 squares, snakes every ~90; kept only if the board stays valid.
        let mut jumps = Vec::new();
        let mut used = vec![false; N as usize + 1];
        for from in (5..N - 12).step_by(23) {
            let r = rng.next_u64();
            let to = if r.is_multiple_of(4) {
                from.saturating_sub(1 + (r >> 8) as u32 % 80).max(1)
            } else {
                (from + 1 + (r >> 8) as u32 % 300).min(N - 1)
            };
            if !used[from as usize] && !used[to as usize] && from != to {
                used[from as usize] = true;
                used[to as usize] = true;
                jumps.push(Jump::either_way(from, to));
            }
        }
        let spec = BoardSpec { squares: N, jumps };
        let mut log = Transcript::new(format!(
            "squares = {N} with {} jumps (suite board); rules: {}",
            spec.jumps.len(),
            describe_rules(&rules)
        ));
        let oracle = Oracle::new(&spec, &rules)
            .map_err(|e| Failure::new(&log, "a valid board (suite bug)", format!("{e}")))?;
        let board = build::<B>(&spec, &rules, &log)?;
        let played = play_against_model(
            &board,
            &oracle,
            PLAYERS,
            SuiteDice(SplitMix64::new(rng.next_u64())),
            3_000_000,
            &mut log,
        )?;
        if played == 3_000_000 {
            return Err(Failure::new(
                &log,
                "the game ends (the model game did)",
                "no winner after 3,000,000 turns",
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Stage 4
// ---------------------------------------------------------------------------------------------

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
    check_property(&DISTRIBUTION, 80, analysis_boards(), check)
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
];
