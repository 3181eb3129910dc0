//! Seeded dice and the game: one O(dice) turn at a time.

use super::Board;
use crate::snake_ladder::{Dice, DiceSpec, ExtraTurn, GameError, SplitMix64, TurnEvent};

/// Dice driven by [`SplitMix64`]: every face equally likely (to within 2⁻⁶⁴).
#[derive(Debug, Clone)]
pub struct SeededDice {
    rng: SplitMix64,
}

impl SeededDice {
    /// Dice whose every roll is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: SplitMix64::new(seed),
        }
    }
}

impl Dice for SeededDice {
    fn roll(&mut self, faces: u32) -> u32 {
        // Lemire's multiply-shift: the high 64 bits of x · faces are uniform in 0..faces.
        let wide = u128::from(self.rng.next_u64()) * u128::from(faces);
        (wide >> 64) as u32 + 1
    }
}

/// Rolls `spec.count` dice of `spec.faces` faces and returns their sum.
///
/// # Errors
/// [`GameError::InvalidRoll`] when a die shows a face outside `1..=faces`.
pub fn roll(dice: &mut dyn Dice, spec: DiceSpec) -> Result<u32, GameError> {
    let mut sum = 0;
    for _ in 0..spec.count {
        let value = dice.roll(spec.faces);
        if !(1..=spec.faces).contains(&value) {
            return Err(GameError::InvalidRoll {
                value,
                faces: spec.faces,
            });
        }
        sum += value;
    }
    Ok(sum)
}

/// A game in progress on a [`Board`].
pub struct Game {
    board: Board,
    dice: Box<dyn Dice>,
    positions: Vec<u32>,
    current: usize,
    /// Highest rolls in a row in the current player's turn.
    streak: u8,
    winner: Option<usize>,
}

impl crate::snake_ladder::Game for Game {
    fn play_turn(&mut self) -> Result<TurnEvent, GameError> {
        if let Some(winner) = self.winner {
            return Err(GameError::GameOver { winner });
        }
        let dice = self.board.inner.rules.dice;
        let roll = roll(&mut *self.dice, dice)?;
        let player = self.current;
        let from = self.positions[player];
        let highest =
            roll == dice.highest() && self.board.inner.rules.extra_turn == ExtraTurn::OnHighestRoll;
        let mut event = TurnEvent::standing(player, roll, from);
        if highest && self.streak == 2 {
            // The third highest roll in a row is forfeited.
            self.pass_turn();
            return Ok(event);
        }
        (event.landed, event.to) = self.board.advance(from, roll);
        self.positions[player] = event.to;
        if event.to == self.board.inner.squares {
            self.winner = Some(player);
            event.winner = Some(player);
        } else if highest {
            self.streak += 1;
            event.extra_turn = true;
        } else {
            self.pass_turn();
        }
        Ok(event)
    }

    fn positions(&self) -> &[u32] {
        &self.positions
    }

    fn next_player(&self) -> Option<usize> {
        self.winner.is_none().then_some(self.current)
    }

    fn winner(&self) -> Option<usize> {
        self.winner
    }
}

impl Game {
    /// A new game on `board` for `players` players, all on 0, player 0 to move.
    pub(super) fn new(
        board: Board,
        players: usize,
        dice: Box<dyn Dice>,
    ) -> Result<Self, GameError> {
        if players == 0 {
            return Err(GameError::NoPlayers);
        }
        Ok(Self {
            board,
            dice,
            positions: vec![0; players],
            current: 0,
            streak: 0,
            winner: None,
        })
    }

    fn pass_turn(&mut self) {
        self.streak = 0;
        self.current = (self.current + 1) % self.positions.len();
    }
}
