//! The model answer: a validated board that resolves every jump chain once, a game that is O(1)
//! per turn, and an exact analysis that exploits the board's structure.
//!
//! Code map: this file holds the [`Board`] and its move function, shared by the game and the
//! analysis; `parse.rs` reads board files, `validate.rs` checks a board in the documented order
//! and resolves its chains, `game.rs` has the seeded dice and the game, `analysis/` the
//! absorbing Markov chain.
//!
//! # The analysis, and why it is neither a dense solve nor a sweep over the whole board
//!
//! A single player's game is an absorbing Markov chain over *states* (square, highest rolls in a
//! row so far), with `S = 3` streak values when extra turns are on and `S = 1` otherwise. The
//! expected turns to finish satisfy `E[u] = 1 + Σ_r P(r) · E[next(u, r)]`, with `E = 0` once
//! finished. Solving that densely costs O((S·N)³): 27 × 10¹² operations for 10,000 squares.
//!
//! **Expected length** (`analysis/expected.rs`). The matrix is almost triangular: a roll moves
//! forward by at most the highest roll, and only a few transitions go *back* — snakes, bounces
//! off N, and a streak resetting on the same square. So the solve runs backwards from N, one
//! square (≤ 3 states) at a time, keeping every state ahead as an affine expression in the
//! *feedback variables* (states a later square moves back to). A variable is eliminated as
//! soon as the sweep reaches its own square, so the expressions are only as wide as the number
//! of snakes spanning the current square, and only the last `highest roll` squares and the
//! ladder tops are kept. Cost O(S·N·d·W) time, O((highest roll + ladders)·W) memory for the
//! expressions, with `d` roll values and `W` the most variables open at once — linear in N
//! for any board whose snakes do not all span each other. Exact up to rounding: no iteration to
//! convergence, no simulation.
//!
//! **Distribution** (`analysis/distribution.rs`). `finished_within`, the median and `kata
//! analyze`'s chart push the state distribution forward one turn at a time — but only over the
//! window of squares that holds mass, as one filter over the roll values (`analysis/filter.rs`:
//! a loop the compiler vectorises, with the window sum built from pair sums for a single die)
//! plus a sparse correction at jump starts and at N. The window's edges are pruned within a
//! budget that is counted, so every figure is exact from below to within [`TAIL_BOUND`]
//! (10⁻¹²), and `kata analyze` stops where the unfinished mass is below it; the mass the
//! rounded roll probabilities lose each turn is divided back out. Cost O(d·S·Σ window) for
//! the turns played: on a board of a million squares the front is 6,000 to 24,000 squares
//! wide, not a million. (Such a window can be split in two halves played on two threads —
//! the chain is linear, the halves' sum is the whole — but that is off: it did not pay on the
//! shared machine it was measured on.)
//!
//! The shortest game is a breadth-first search over states.

mod analysis;
mod game;
mod parse;
mod validate;

pub use analysis::{Distribution, TAIL_BOUND, roll_probabilities};
pub use game::{Game, SeededDice, roll};
pub use parse::parse;
pub use validate::validate;

use super::{
    Analysis, BoardError, BoardSpec, Dice, GameError, Overshoot, ParseError, Rules, SnakeLadder,
};
use std::sync::Arc;

/// A validated board under fixed rules.
#[derive(Debug, Clone)]
pub struct Board {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    squares: u32,
    rules: Rules,
    /// `dest[s]`: where a move that reaches square `s` ends, after every jump (`s` if none).
    dest: Vec<u32>,
}

impl Board {
    /// N.
    pub fn squares(&self) -> u32 {
        self.inner.squares
    }

    /// The rules this board was validated under.
    pub fn rules(&self) -> Rules {
        self.inner.rules
    }

    /// Where a move that reaches `square` ends after every jump (`square` itself if none).
    pub fn destination(&self, square: u32) -> u32 {
        self.inner.dest[square as usize]
    }

    /// The move function shared by the game and the analysis: from `from` with `roll`, returns
    /// (square reached after the overshoot rule, square after every jump).
    pub fn advance(&self, from: u32, roll: u32) -> (u32, u32) {
        self.inner.advance(from, roll)
    }

    /// The expected number of turns alone (the linear solve behind
    /// [`SnakeLadder::analyze`]); `progress` is told the share of squares solved, 0 to 1.
    pub fn expected_turns(&self, progress: &mut dyn FnMut(f64)) -> f64 {
        analysis::expected_turns(&self.inner, progress)
    }

    /// The fewest turns in which the game can be finished.
    pub fn shortest_game(&self) -> u32 {
        analysis::shortest_game(&self.inner)
    }

    /// The distribution of game length until the games still running plus the mass pruned on
    /// the way weigh at most `tail_bound`, or `max_turns` turns, whichever comes first;
    /// `progress` is told (turns played, P(finished)) every thousand turns or so.
    pub fn distribution(
        &self,
        tail_bound: f64,
        max_turns: u32,
        progress: &mut dyn FnMut(u32, f64),
    ) -> Distribution {
        analysis::distribution(&self.inner, tail_bound, max_turns, progress)
    }
}

impl Inner {
    fn advance(&self, from: u32, roll: u32) -> (u32, u32) {
        let n = self.squares;
        let target = from + roll;
        let landed = if target <= n {
            target
        } else {
            match self.rules.overshoot {
                Overshoot::Stay => from,
                Overshoot::Bounce => 2 * n - target,
                Overshoot::Finish => n,
            }
        };
        (landed, self.dest[landed as usize])
    }
}

impl SnakeLadder for Board {
    type Game = Game;

    fn parse(text: &str) -> Result<BoardSpec, ParseError> {
        parse(text)
    }

    fn new(spec: &BoardSpec, rules: &Rules) -> Result<Self, BoardError> {
        validate(spec, rules)
    }

    fn seeded_dice(seed: u64) -> Box<dyn Dice> {
        Box::new(SeededDice::new(seed))
    }

    fn new_game(&self, players: usize, dice: Box<dyn Dice>) -> Result<Game, GameError> {
        Game::new(self.clone(), players, dice)
    }

    fn analyze(&self) -> Analysis {
        analysis::analyze(&self.inner)
    }

    fn finished_within(&self, turns: u32) -> Vec<f64> {
        analysis::finished_within(&self.inner, turns)
    }
}
