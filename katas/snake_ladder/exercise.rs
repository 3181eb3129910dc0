//! Your solution. Fill in every `todo!()`; keep the signatures.
//!
//! Run the suite against this file with
//! `cargo test --features exercise --test snake_ladder` (add `stage1`, `stage2`, … to run one
//! stage), and grade it with `cargo run --release -- grade snake-ladder`.
//!
//! The contract — what each method must do, exactly — is documented on the traits in
//! `snake_ladder/mod.rs` (`cargo doc --open`, module `snake_ladder`), and the prompt is in
//! `snake_ladder/PROMPT.md`. Add any fields, types and helpers you need.

use super::{
    Analysis, BoardError, BoardSpec, Dice, GameError, ParseError, Rules, SnakeLadder, TurnEvent,
};

/// Your validated board.
pub struct Board {
    // Your state goes here.
}

impl SnakeLadder for Board {
    type Game = Game;

    fn parse(text: &str) -> Result<BoardSpec, ParseError> {
        todo!(
            "read a board file of {} bytes: `squares = N` exactly once, `snake A -> B`, \
             `ladder A -> B`, `jump A -> B`, `#` comments and blank lines; a bad line is a \
             ParseError with its 1-based line number and reason",
            text.len()
        )
    }

    fn new(spec: &BoardSpec, rules: &Rules) -> Result<Self, BoardError> {
        todo!(
            "validate {} squares and {} jumps under {rules:?}: dice, squares, each jump in \
             order (out of range, on N, to itself, duplicate start, wrong direction), chains or \
             cycles, then reachability of N — the first problem is a typed BoardError naming the \
             jump",
            spec.squares,
            spec.jumps.len()
        )
    }

    fn seeded_dice(seed: u64) -> Box<dyn Dice> {
        todo!("dice whose every roll is fixed by seed {seed}: faces 1..=faces, uniform")
    }

    fn new_game(&self, players: usize, dice: Box<dyn Dice>) -> Result<Game, GameError> {
        let _ = dice;
        todo!("a game for {players} players (0 is NoPlayers), all at square 0, player 0 to move")
    }

    fn analyze(&self) -> Analysis {
        todo!(
            "exact expected turns, median and shortest game for one player, from the absorbing \
             Markov chain — not by simulation"
        )
    }

    fn finished_within(&self, turns: u32) -> Vec<f64> {
        todo!("exact P(finished within k turns) for k in 0..={turns}; entry 0 is 0")
    }
}

/// Your game in progress.
pub struct Game {
    // Your state goes here.
}

impl super::Game for Game {
    fn play_turn(&mut self) -> Result<TurnEvent, GameError> {
        todo!(
            "roll, move (overshoot rule), follow jumps (chains if the rules say so), win on N, \
             extra turn on the highest roll (the third in a row is forfeited), pass the turn; \
             GameOver once someone has won"
        )
    }

    fn positions(&self) -> &[u32] {
        todo!("every player's square, by index")
    }

    fn next_player(&self) -> Option<usize> {
        todo!("who moves next, None once the game is over")
    }

    fn winner(&self) -> Option<usize> {
        todo!("the winner, once there is one")
    }
}

/// This solution's conformance suite: every criterion of the rubric, bound to the types above.
/// `cargo test` and `kata grade` run it; leave it as it is.
pub fn suite() -> Vec<crate::grading::Check> {
    super::conformance::suite::<Board>()
}
