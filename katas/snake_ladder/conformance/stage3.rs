//! Stage 3 checks: long chains, and thousands of players on a big board.

use super::MANY_PLAYERS;
use super::describe::*;
use super::model::*;
use super::scenario::*;
use crate::grading::{Failure, Transcript};
use crate::snake_ladder::{
    BoardError, BoardSpec, ChainRule, DiceSpec, ExtraTurn, Game, Jump, Overshoot, Rules,
    ScriptedDice, SnakeLadder, SplitMix64, TurnEvent,
};

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
