//! The model answer: a validated board that resolves every jump chain once, a game that is O(1)
//! per turn, and an exact analysis that exploits the board's structure.
//!
//! Code map: this file holds the [`Board`] and its move function, shared by the game and the
//! analysis; `parse.rs` reads board files, `validate.rs` checks a board in the documented order
//! and resolves its chains, `game.rs` has the seeded dice and the game, `analysis.rs` the
//! absorbing Markov chain.
//!
//! # The analysis, and why it is not a dense solve
//!
//! A single player's game is an absorbing Markov chain over *states* (square, highest rolls in a
//! row so far), with `S = 3` streak values when extra turns are on and `S = 1` otherwise. The
//! expected turns to finish satisfy `E[u] = 1 + Σ_r P(r) · E[next(u, r)]`, with `E = 0` once
//! finished. Solving that densely costs O((S·N)³): 27 × 10¹² operations for 10,000 squares.
//!
//! But the matrix is almost triangular: a roll moves forward by at most the highest roll, and
//! only a few transitions go *back* — snakes, bounces off N, and a streak resetting on the same
//! square. So the solve runs **backwards from N, one square (block of ≤ 3 states) at a time**:
//!
//! 1. Every state that some later square can move back to (a snake's tail, a bounce target) is
//!    made a *feedback variable* `x_k` — there are `K` of them, about the number of snakes plus
//!    the highest roll.
//! 2. Every other state's expectation is an affine function of the variables, `a + Σ c_k x_k`,
//!    computed from the already-known states ahead of it; the ≤ 3 states of one square depend on
//!    each other (stay-on-overshoot, forfeits), so each square is a tiny ≤ 3 × 3 solve.
//! 3. Each variable's own equation gives one row of a `K × K` system, solved by Gaussian
//!    elimination; substituting back gives the start state's expectation.
//!
//! Cost: O(S·N·d·K + K³) time and O(S·N·K) memory, with `d` distinct roll values. For the
//! classic board (K ≈ 10) and for long boards with few snakes that is linear in N; for a board
//! full of snakes it degrades gracefully towards the dense solve instead of failing. It is exact
//! up to floating-point rounding (no iteration to convergence, no simulation).
//!
//! The distribution of game length (`finished_within`, median) is forward propagation of the
//! state distribution over a precomputed sparse transition list: O(k·S·N·d) for k turns. The
//! shortest game is a breadth-first search over states.

mod analysis;
mod game;
mod parse;
mod validate;

pub use analysis::roll_probabilities;
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
