//! # Snake-and-ladder engine — the contract
//!
//! > "Build a snake-and-ladder game engine that supports variable board configurations."
//!
//! This module is the contract every solution implements: the [`SnakeLadder`] (a validated
//! board that starts games and analyses them), [`Game`] and [`Dice`] traits, the board and rule
//! types, and the typed errors. The prompt, stage by stage, is in `PROMPT.md`
//! (`kata prompt snake-ladder`); it is also rendered at the end of this page.
//!
//! ## The model, precisely
//!
//! - A board has `squares` N, numbered `1..=N`; every player starts off the board, at 0
//!   (rule `snake-ladder/turn-order`).
//! - A [`Jump`] moves a player who *ends a move* on its `from` square to its `to` square:
//!   a snake goes down, a ladder goes up.
//! - A turn is **one roll** of [`DiceSpec::count`] dice with [`DiceSpec::faces`] faces each;
//!   the roll is their sum. The mover goes `roll` squares forward; if that passes N the
//!   [`Overshoot`] rule decides (stay where you are, bounce back off N, or finish anyway; rule
//!   `snake-ladder/overshoot`); a roll that reaches N exactly is no overshoot (rule
//!   `snake-ladder/exact-finish`). Then the jump on the square reached is taken, and — when
//!   [`ChainRule::Follow`] — the jump on the square *that* reaches, and so on (rule
//!   `snake-ladder/follow-chains`).
//! - Ending the move on N — directly or by a ladder — wins (rule `snake-ladder/win-after-jumps`),
//!   and the game is over (rule `snake-ladder/game-over`).
//! - With [`ExtraTurn::OnHighestRoll`], a highest roll (every die on its top face) gives the
//!   mover another turn (unless it won; rule `snake-ladder/extra-turn`). The third highest roll
//!   in a row is *forfeited*: the mover does not move, and the turn passes to the next player,
//!   whose count of highest rolls starts from zero (rule `snake-ladder/forfeit-third`).
//! - Players take turns in index order `0, 1, …, players − 1, 0, …`; an extra turn is taken by
//!   the same player before the order resumes with the next one (rule `snake-ladder/turn-order`).
//!
//! ## Why the design is shaped like this
//!
//! - **Dice are injected** ([`Dice`]): the game never touches a global RNG, so a scripted die
//!   puts a player on the exact square a rule is about, and a seeded die replays a game exactly.
//! - **A board is validated once, at construction** ([`SnakeLadder::new`]): a value of the
//!   board type is proof that every game on it ends, so the game itself has no error paths
//!   other than "the game is over".
//! - **Rules are data** ([`Rules`]), not subclasses: every combination is one value, which is
//!   what lets the suite (and the analysis) range over all of them.
//! - **Analysis is exact** ([`SnakeLadder::analyze`]): a single player's game is an absorbing
//!   Markov chain, and its expected length is a linear solve, not a simulation.

mod board_file;
pub mod conformance;
pub mod exercise;
pub mod generate;
// Not in the library's own unit-test build, which never grades a mutant (see Cargo.toml).
#[cfg(all(feature = "mutants", not(test)))]
pub mod mutants;
pub mod reference;

pub use board_file::{ParseError, ParseReason};

use crate::grading::{Check, Kata, ManualCriterion};
use std::fmt;
use thiserror::Error;

/// Most squares a board may have.
pub const MAX_SQUARES: u32 = 1_000_000;
/// Most dice rolled per turn.
pub const MAX_DICE: u32 = 8;
/// Most faces on one die.
pub const MAX_FACES: u32 = 100;

/// Whether a jump was declared a snake or a ladder (board files may leave it open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JumpKind {
    /// Goes down: `to < from`.
    Snake,
    /// Goes up: `to > from`.
    Ladder,
    /// Either way (`jump A -> B` in a board file).
    Unspecified,
}

/// A snake or a ladder: ending a move on `from` takes the player to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Jump {
    /// Where it starts (a snake's head, a ladder's bottom).
    pub from: u32,
    /// Where it ends (a snake's tail, a ladder's top).
    pub to: u32,
    /// What the board declared it to be.
    pub kind: JumpKind,
}

impl Jump {
    /// A snake from `head` down to `tail`.
    pub const fn snake(head: u32, tail: u32) -> Self {
        Self {
            from: head,
            to: tail,
            kind: JumpKind::Snake,
        }
    }

    /// A ladder from `bottom` up to `top`.
    pub const fn ladder(bottom: u32, top: u32) -> Self {
        Self {
            from: bottom,
            to: top,
            kind: JumpKind::Ladder,
        }
    }

    /// A jump whose direction is not declared.
    pub const fn either_way(from: u32, to: u32) -> Self {
        Self {
            from,
            to,
            kind: JumpKind::Unspecified,
        }
    }
}

impl fmt::Display for Jump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = match self.kind {
            JumpKind::Snake => "snake",
            JumpKind::Ladder => "ladder",
            JumpKind::Unspecified => "jump",
        };
        write!(f, "{word} {} -> {}", self.from, self.to)
    }
}

/// A board as written down, not yet validated.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct BoardSpec {
    /// N: the last square, the one that wins.
    pub squares: u32,
    /// Snakes and ladders, in the order they were written.
    pub jumps: Vec<Jump>,
}

/// How many dice are rolled per turn, and how many faces each has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DiceSpec {
    /// Dice per roll, `1..=MAX_DICE`.
    pub count: u32,
    /// Faces per die, numbered `1..=faces`, with `faces` in `1..=MAX_FACES`.
    pub faces: u32,
}

impl DiceSpec {
    /// One six-sided die.
    pub const D6: Self = Self { count: 1, faces: 6 };

    /// The lowest roll: every die on 1.
    pub const fn lowest(&self) -> u32 {
        self.count
    }

    /// The highest roll: every die on its top face.
    pub const fn highest(&self) -> u32 {
        self.count * self.faces
    }
}

/// What happens when a roll would take a player past N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Overshoot {
    /// The player does not move (and takes no jump).
    Stay,
    /// The player walks to N and back the excess: `N − (position + roll − N)`.
    Bounce,
    /// The player finishes anyway: reaching N or beyond wins.
    Finish,
}

/// Whether a roll of the highest value earns another turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtraTurn {
    /// Never.
    Never,
    /// A highest roll earns another turn; the third in a row is forfeited.
    OnHighestRoll,
}

/// Whether a jump may end on another jump's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChainRule {
    /// Boards with chained jumps are invalid ([`BoardError::ChainedJump`]).
    Forbidden,
    /// Chained jumps are followed to the end; boards with a cycle are invalid
    /// ([`BoardError::Cycle`]).
    Follow,
}

/// The rules of a game: configuration, not code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rules {
    /// The dice rolled each turn.
    pub dice: DiceSpec,
    /// What happens past N.
    pub overshoot: Overshoot,
    /// Extra turns on the highest roll.
    pub extra_turn: ExtraTurn,
    /// Chained jumps.
    pub chains: ChainRule,
}

impl Default for Rules {
    /// One six-sided die, stay on overshoot, no extra turns, no chains: the classic game.
    fn default() -> Self {
        Self {
            dice: DiceSpec::D6,
            overshoot: Overshoot::Stay,
            extra_turn: ExtraTurn::Never,
            chains: ChainRule::Forbidden,
        }
    }
}

/// Why a board (with its rules) is rejected. Checked in this order: dice, squares, then each jump
/// in the order written (out of range, on the last square, to itself, same start as an earlier
/// jump, wrong direction), then chains or cycles, then reachability (rule
/// `snake-ladder/error-order`): with two defects, the one checked first is reported.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BoardError {
    /// The dice: `count` must be in `1..=MAX_DICE` and `faces` in `1..=MAX_FACES`, both ends
    /// included (rule `snake-ladder/dice-range`).
    #[error("invalid dice {count}d{faces}: 1 to {MAX_DICE} dice of 1 to {MAX_FACES} faces")]
    InvalidDice {
        /// Dice per roll.
        count: u32,
        /// Faces per die.
        faces: u32,
    },
    /// N must be at least 2 and at least the highest roll, and at most [`MAX_SQUARES`], both
    /// ends included (rule `snake-ladder/squares-range`).
    #[error("a board needs {min} to {max} squares, not {squares}")]
    SquaresOutOfRange {
        /// The board's N.
        squares: u32,
        /// The least allowed: `max(2, highest roll)`.
        min: u32,
        /// [`MAX_SQUARES`].
        max: u32,
    },
    /// A jump starts or ends outside `1..=N`; a jump may end on N and start on 1 (rule
    /// `snake-ladder/jump-on-board`).
    #[error("{jump} leaves the board")]
    JumpOutOfRange {
        /// The offending jump.
        jump: Jump,
    },
    /// A jump starts on N (a snake on the winning square; rule `snake-ladder/no-jump-from-last`).
    #[error("{jump} starts on the last square, which ends the game")]
    JumpFromLastSquare {
        /// The offending jump.
        jump: Jump,
    },
    /// A jump ends where it starts (rule `snake-ladder/no-jump-to-itself`).
    #[error("{jump} goes nowhere")]
    JumpToItself {
        /// The offending jump.
        jump: Jump,
    },
    /// Two jumps start on one square (rule `snake-ladder/unique-start`).
    #[error("{second} starts on the same square as {first}")]
    DuplicateStart {
        /// The earlier jump.
        first: Jump,
        /// The later jump, which is the one rejected.
        second: Jump,
    },
    /// A snake that goes up, or a ladder that goes down; a [`JumpKind::Unspecified`] jump may go
    /// either way (rule `snake-ladder/declared-direction`).
    #[error("{jump} goes the wrong way")]
    WrongDirection {
        /// The offending jump.
        jump: Jump,
    },
    /// A jump ends on another jump's start while the rules forbid chains. `jump` is the first
    /// such jump in the order written (rule `snake-ladder/chains-forbidden`).
    #[error("{jump} ends where {next} starts, and the rules forbid chained jumps")]
    ChainedJump {
        /// The jump that ends on a start.
        jump: Jump,
        /// The jump starting there.
        next: Jump,
    },
    /// Following chained jumps would never end. `jump` is the first jump, in the order
    /// written, that lies on the cycle (rule `snake-ladder/no-cycles`).
    #[error("{jump} is part of a cycle of chained jumps")]
    Cycle {
        /// The first jump on the cycle.
        jump: Jump,
    },
    /// From `square` — reachable from the start — N can never be reached, so a game could
    /// never end. `square` is the lowest such square (0 when N is unreachable from the start);
    /// the squares considered are those a player can stand on after a move, so never a jump's
    /// start (rule `snake-ladder/reachable-finish`).
    #[error("from square {square} the last square can never be reached")]
    Unreachable {
        /// The lowest such square.
        square: u32,
    },
}

/// Why a game cannot start or continue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum GameError {
    /// A game needs at least one player (rule `snake-ladder/no-players`).
    #[error("a game needs at least one player")]
    NoPlayers,
    /// The game has a winner; no more turns (rule `snake-ladder/game-over`).
    #[error("the game is over: player {winner} won")]
    GameOver {
        /// The winner's index.
        winner: usize,
    },
    /// The dice returned a face outside `1..=faces`; nothing moved (rule
    /// `snake-ladder/invalid-roll`).
    #[error("the dice rolled {value} on a {faces}-faced die")]
    InvalidRoll {
        /// What the die said.
        value: u32,
        /// Faces on the die.
        faces: u32,
    },
}

/// What one turn did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TurnEvent {
    /// Who moved (0-based).
    pub player: usize,
    /// The sum of the dice.
    pub roll: u32,
    /// Where the player was.
    pub from: u32,
    /// The square the roll reached after the overshoot rule, before any jump (`from` when the
    /// player stayed or forfeited, N when [`Overshoot::Finish`] finished an overshoot).
    pub landed: u32,
    /// Where the player is now, after every jump taken. A jump was taken iff `to != landed`.
    pub to: u32,
    /// The same player rolls again next.
    pub extra_turn: bool,
    /// Set when this turn won the game: the mover's index.
    pub winner: Option<usize>,
}

impl TurnEvent {
    /// `player` rolled `roll` on square `from` and has not moved (yet): no jump, no extra turn,
    /// no winner. The starting point of every turn, and the whole of a forfeited one.
    pub const fn standing(player: usize, roll: u32, from: u32) -> Self {
        Self {
            player,
            roll,
            from,
            landed: from,
            to: from,
            extra_turn: false,
            winner: None,
        }
    }
}

/// Exact figures for a single player's game.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Analysis {
    /// Expected number of turns (rolls, forfeited ones included) to finish (rule
    /// `snake-ladder/expected-turns`).
    pub expected_turns: f64,
    /// The smallest k with P(finished within k turns) ≥ 1/2 (rule `snake-ladder/distribution`);
    /// where that probability is exactly 1/2, k itself (rule `snake-ladder/median-tie`).
    pub median_turns: u32,
    /// The fewest turns in which the game can be finished.
    pub shortest_game: u32,
}

/// A source of die faces. Games call [`Dice::roll`] once per die, `count` times per turn, and
/// move by the sum (rule `snake-ladder/dice-per-turn`).
pub trait Dice: Send {
    /// One die's face, in `1..=faces`.
    fn roll(&mut self, faces: u32) -> u32;
}

/// Dice that replay a script of faces, cycling when it runs out: the way tests put a player on
/// an exact square. The script is returned as is, even faces out of range.
#[derive(Debug, Clone)]
pub struct ScriptedDice {
    faces: Vec<u32>,
    next: usize,
}

impl ScriptedDice {
    /// Dice that show `faces` in order, then start over. An empty script always shows 1.
    pub fn new(faces: impl Into<Vec<u32>>) -> Self {
        Self {
            faces: faces.into(),
            next: 0,
        }
    }
}

impl Dice for ScriptedDice {
    fn roll(&mut self, _faces: u32) -> u32 {
        let Some(&face) = self.faces.get(self.next) else {
            return 1;
        };
        self.next = (self.next + 1) % self.faces.len();
        face
    }
}

/// SplitMix64: a tiny, fast, seedable 64-bit generator (Steele, Lea & Flood, 2014). Solutions
/// may build their seeded dice on it; the suite uses it to draw boards and seeds.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose whole future is fixed by `seed`.
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// A validated board under fixed rules: starts games and analyses them.
///
/// A value of this type is proof that the board is valid, so every game on it ends.
pub trait SnakeLadder: Sized + Send + Sync + 'static {
    /// A game in progress.
    type Game: Game;

    /// Reads a board file (stage 1). The format is documented in `PROMPT.md`:
    /// one statement per line, `#` starts a comment, blank lines are ignored;
    /// `squares = N` exactly once; `snake A -> B`, `ladder A -> B`, `jump A -> B`. Words are
    /// separated by spaces or tabs (any number); lines may be of any length. Jumps come out in
    /// the order written (rule `snake-ladder/board-file-format`).
    /// Only the syntax is checked here; [`SnakeLadder::new`] validates the board.
    ///
    /// # Errors
    /// A [`ParseError`] naming the first bad line (1-based) and why.
    fn parse(text: &str) -> Result<BoardSpec, ParseError>;

    /// Validates `spec` under `rules` (stage 1).
    ///
    /// # Errors
    /// The first [`BoardError`], in the order documented on the type.
    fn new(spec: &BoardSpec, rules: &Rules) -> Result<Self, BoardError>;

    /// Dice whose every roll is fixed by `seed` (stage 2): each face in `1..=faces`, uniform
    /// (rule `snake-ladder/seeded-dice-fair`); dice from the same seed replay the same faces,
    /// whatever else runs in between (rule `snake-ladder/replay`).
    fn seeded_dice(seed: u64) -> Box<dyn Dice>;

    /// A new game for `players` players, all at square 0, player 0 to move (stage 2).
    ///
    /// # Errors
    /// [`GameError::NoPlayers`] when `players == 0`.
    fn new_game(&self, players: usize, dice: Box<dyn Dice>) -> Result<Self::Game, GameError>;

    /// Exact figures for one player's game on this board under its rules (stage 4): no
    /// simulation. Exact on every valid board up to [`MAX_SQUARES`] squares, where a game can
    /// last hundreds of thousands of turns, and fast enough to analyse a 1,000,000-square board
    /// in seconds: no cap on the turns followed, and no cost of squares × turns (rule
    /// `snake-ladder/analysis-at-scale`).
    fn analyze(&self) -> Analysis;

    /// `P(finished within k turns)` for `k` in `0..=turns`, exactly (stage 4). Entry 0 is 0
    /// (rule `snake-ladder/distribution`). The same scale applies as for
    /// [`SnakeLadder::analyze`] (rule `snake-ladder/analysis-at-scale`).
    fn finished_within(&self, turns: u32) -> Vec<f64>;
}

/// A game in progress.
pub trait Game: Send {
    /// Plays the next turn: rolls, moves, follows jumps, decides who is next.
    ///
    /// # Errors
    /// [`GameError::GameOver`] once someone has won; [`GameError::InvalidRoll`] when the dice
    /// misbehave. A failed turn changes nothing.
    fn play_turn(&mut self) -> Result<TurnEvent, GameError>;

    /// Every player's square, by player index.
    fn positions(&self) -> &[u32];

    /// Who moves next, or `None` once the game is over.
    fn next_player(&self) -> Option<usize>;

    /// The winner, once there is one.
    fn winner(&self) -> Option<usize>;
}

/// Stage titles, in order.
pub const STAGES: &[&str] = &[
    "boards: validation with typed errors, a shareable board file format",
    "the game: players, injected dice, rules as configuration, replay from a seed",
    "robustness and scale: 10,000 squares, thousands of players, long chains",
    "analysis: exact expected game length, distribution, median, shortest game",
];

/// Manual criteria specific to this kata.
pub const MANUAL: &[ManualCriterion] = &[
    ManualCriterion {
        name: "One move function",
        look_for: "Overshoot, jumps and chains live in one function from (square, roll) to square, shared by the game and the analysis, so they cannot disagree.",
        weight: 3,
    },
    ManualCriterion {
        name: "Analysis argument",
        look_for: "The candidate can say why the expected length is a linear system, why it has a unique solution on a valid board, and what the solve costs in N.",
        weight: 3,
    },
];

/// This kata, as the grader and the command line see it.
pub fn kata() -> Kata {
    Kata {
        id: "snake-ladder",
        title: "Snake-and-ladder engine with variable boards and exact game-length analysis",
        prompt: include_str!("PROMPT.md"),
        stages: STAGES,
        criteria: conformance::CRITERIA,
        rules: conformance::RULES,
        manual: MANUAL,
        reference: reference_suite,
        exercise: exercise::suite,
        stub: include_str!("exercise.rs"),
        #[cfg(all(feature = "mutants", not(test)))]
        mutants: mutants::catalogue,
        #[cfg(not(all(feature = "mutants", not(test))))]
        mutants: Vec::new,
        analyze: Some(tool::run),
    }
}

fn reference_suite() -> Vec<Check> {
    conformance::suite::<reference::Board>()
}

#[doc = include_str!("PROMPT.md")]
pub mod prompt {}

// The analysis command: `kata analyze snake-ladder`.
pub mod tool;
