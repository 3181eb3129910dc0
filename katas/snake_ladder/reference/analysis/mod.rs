//! Stage 4: the exact analysis of one player's game as an absorbing Markov chain (see the
//! module docs of [`super`] for the algorithms and their cost).
//!
//! Code map: this file holds the chain's states and moves ([`Moves`]), the exploration that
//! finds the reachable states and the shortest game, and the entry points; `expected.rs` the
//! backward solve for the expected length, `distribution.rs` the forward propagation of the
//! state distribution with its tail bound.

mod distribution;
mod expected;
mod filter;

pub use distribution::{Distribution, TAIL_BOUND};

use super::Inner;
use crate::snake_ladder::{Analysis, ExtraTurn};
use std::collections::VecDeque;

/// A state of the chain: (square, highest rolls in a row so far).
type State = (u32, u8);

/// The single-player chain of a board: which state each roll leads to.
pub(super) struct Moves<'a> {
    board: &'a Inner,
    /// Streak values per square: 3 with extra turns (0, 1 or 2 highest rolls in a row), else 1.
    streaks: u8,
    /// Each roll value with its probability, lowest first.
    rolls: Vec<(u32, f64)>,
    /// The highest roll, the one that earns an extra turn.
    highest: u32,
}

impl<'a> Moves<'a> {
    pub(super) fn new(board: &'a Inner) -> Self {
        let dice = board.rules.dice;
        Self {
            board,
            streaks: match board.rules.extra_turn {
                ExtraTurn::Never => 1,
                ExtraTurn::OnHighestRoll => 3,
            },
            rolls: roll_probabilities(dice.count, dice.faces),
            highest: dice.highest(),
        }
    }

    /// N.
    fn squares(&self) -> u32 {
        self.board.squares
    }

    /// Where `state` goes with `roll`; `None` once the game is won. The one move function of
    /// the game (overshoot, jumps, chains) plus the streak bookkeeping of extra turns.
    fn step(&self, (square, streak): State, roll: u32) -> Option<State> {
        let bonus = self.streaks > 1 && roll == self.highest;
        if bonus && streak == 2 {
            // The third highest roll in a row is forfeited: no move, and the count restarts.
            return Some((square, 0));
        }
        let (_, to) = self.board.advance(square, roll);
        (to != self.board.squares).then_some((to, if bonus { streak + 1 } else { 0 }))
    }

    /// Breadth-first search from the start: the reachable streaks of every square (bit `k` of
    /// `reach[s]` for streak `k`) and the fewest turns that can finish.
    fn explore(&self) -> (Vec<u8>, u32) {
        let n = self.squares() as usize;
        let mut reach = vec![0u8; n];
        let mut shortest = u32::MAX;
        reach[0] = 1;
        let mut queue = VecDeque::from([((0u32, 0u8), 0u32)]);
        while let Some((state, depth)) = queue.pop_front() {
            for &(roll, _) in &self.rolls {
                match self.step(state, roll) {
                    // Breadth-first, so the first finish found is the shortest game.
                    None => shortest = shortest.min(depth + 1),
                    Some((sq, k)) => {
                        let bit = 1 << k;
                        if reach[sq as usize] & bit == 0 {
                            reach[sq as usize] |= bit;
                            queue.push_back(((sq, k), depth + 1));
                        }
                    }
                }
            }
        }
        (reach, shortest)
    }
}

/// The probability of each roll, `lowest..=highest`, of `count` dice with `faces` faces.
pub fn roll_probabilities(count: u32, faces: u32) -> Vec<(u32, f64)> {
    let mut dist = vec![1.0f64];
    for _ in 0..count {
        let mut next = vec![0.0; dist.len() + faces as usize];
        for (sum, p) in dist.iter().enumerate() {
            for face in 1..=faces as usize {
                next[sum + face] += p / f64::from(faces);
            }
        }
        dist = next;
    }
    dist.into_iter()
        .enumerate()
        .filter(|&(_, p)| p > 0.0)
        .map(|(r, p)| (r as u32, p))
        .collect()
}

/// Exact figures for one player's game on `board`.
pub(super) fn analyze(board: &Inner) -> Analysis {
    let moves = Moves::new(board);
    let (reach, shortest_game) = moves.explore();
    Analysis {
        expected_turns: expected::expected_turns(&moves, &reach, &mut |_| {}),
        median_turns: distribution::median(&moves),
        shortest_game,
    }
}

/// `P(finished within k turns)` for `k` in `0..=turns`.
pub(super) fn finished_within(board: &Inner, turns: u32) -> Vec<f64> {
    let moves = Moves::new(board);
    let mut front = distribution::Front::new(&moves, TAIL_BOUND / 2.0);
    let mut out = Vec::with_capacity(turns as usize + 1);
    out.push(0.0);
    for _ in 0..turns {
        front.step();
        out.push(front.finished());
    }
    out
}

/// The expected number of turns; `progress` is told the share of squares solved (0 to 1).
pub(super) fn expected_turns(board: &Inner, progress: &mut dyn FnMut(f64)) -> f64 {
    let moves = Moves::new(board);
    let (reach, _) = moves.explore();
    expected::expected_turns(&moves, &reach, progress)
}

/// The fewest turns that can finish.
pub(super) fn shortest_game(board: &Inner) -> u32 {
    Moves::new(board).explore().1
}

/// The distribution of game length up to the tail bound (or `max_turns`).
pub(super) fn distribution(
    board: &Inner,
    tail_bound: f64,
    max_turns: u32,
    progress: &mut dyn FnMut(u32, f64),
) -> Distribution {
    distribution::distribution(&Moves::new(board), tail_bound, max_turns, progress)
}
