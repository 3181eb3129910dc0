//! Seeded random boards, for benches and scaling measurements: the same seed always gives the
//! same board, so a table of timings can be reproduced.

use super::{BoardSpec, Jump, SplitMix64};

/// A board of `squares` squares with `jumps` jumps — alternately a snake and a ladder, each
/// starting on a random free square and `1..=max_length` squares long — drawn from `seed`.
///
/// Every square is the end of at most one jump and never on square 1 or N, so there are no
/// chains; with few jumps the board is valid under any rule set with a small die (a wall of
/// snake heads as wide as the highest roll is possible in principle: validate with
/// [`SnakeLadder::new`](super::SnakeLadder::new)).
pub fn random_board(squares: u32, jumps: u32, max_length: u32, seed: u64) -> BoardSpec {
    let mut rng = SplitMix64::new(seed);
    let mut used = vec![false; squares as usize + 1];
    let mut out = Vec::with_capacity(jumps as usize);
    // Bounded tries, so a board too small for `jumps` jumps still comes back (with fewer).
    let mut tries = 0u64;
    while out.len() < jumps as usize && tries < 100 * u64::from(jumps) + 1_000 {
        tries += 1;
        let from = 2 + (rng.next_u64() % u64::from(squares.saturating_sub(3).max(1))) as u32;
        let length = 1 + (rng.next_u64() % u64::from(max_length.max(1))) as u32;
        let ladder = out.len() % 2 == 1;
        let to = if ladder {
            from.checked_add(length).filter(|&t| t < squares)
        } else {
            from.checked_sub(length).filter(|&t| t >= 2)
        };
        let Some(to) = to else { continue };
        if from >= squares || used[from as usize] || used[to as usize] {
            continue;
        }
        used[from as usize] = true;
        used[to as usize] = true;
        out.push(if ladder {
            Jump::ladder(from, to)
        } else {
            Jump::snake(from, to)
        });
    }
    BoardSpec {
        squares,
        jumps: out,
    }
}

/// `spec` written in the board file format (see `kata prompt snake-ladder`).
pub fn board_file(spec: &BoardSpec) -> String {
    let mut text = format!("squares = {}\n", spec.squares);
    for jump in &spec.jumps {
        text.push_str(&format!("{jump}\n"));
    }
    text
}
