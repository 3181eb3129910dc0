//! Board validation, in the documented order, and resolving every jump chain once.

use super::{Board, Inner};
use crate::snake_ladder::{
    BoardError, BoardSpec, ChainRule, JumpKind, MAX_DICE, MAX_FACES, MAX_SQUARES, Rules,
};
use std::collections::VecDeque;
use std::sync::Arc;

/// Validates `spec` under `rules` and resolves every jump chain; see [`SnakeLadder::new`](crate::snake_ladder::SnakeLadder::new).
pub fn validate(spec: &BoardSpec, rules: &Rules) -> Result<Board, BoardError> {
    let dice = rules.dice;
    if !(1..=MAX_DICE).contains(&dice.count) || !(1..=MAX_FACES).contains(&dice.faces) {
        return Err(BoardError::InvalidDice {
            count: dice.count,
            faces: dice.faces,
        });
    }
    let n = spec.squares;
    let min = dice.highest().max(2);
    if !(min..=MAX_SQUARES).contains(&n) {
        return Err(BoardError::SquaresOutOfRange {
            squares: n,
            min,
            max: MAX_SQUARES,
        });
    }
    // `start[s]`: index of the jump starting on square s.
    let mut start: Vec<Option<usize>> = vec![None; n as usize + 1];
    for (i, &jump) in spec.jumps.iter().enumerate() {
        let on_board = |s: u32| (1..=n).contains(&s);
        if !on_board(jump.from) || !on_board(jump.to) {
            return Err(BoardError::JumpOutOfRange { jump });
        }
        if jump.from == n {
            return Err(BoardError::JumpFromLastSquare { jump });
        }
        if jump.from == jump.to {
            return Err(BoardError::JumpToItself { jump });
        }
        if let Some(first) = start[jump.from as usize] {
            return Err(BoardError::DuplicateStart {
                first: spec.jumps[first],
                second: jump,
            });
        }
        let wrong_way = match jump.kind {
            JumpKind::Snake => jump.to > jump.from,
            JumpKind::Ladder => jump.to < jump.from,
            JumpKind::Unspecified => false,
        };
        if wrong_way {
            return Err(BoardError::WrongDirection { jump });
        }
        start[jump.from as usize] = Some(i);
    }
    // The jump that follows jump i in a chain, if any.
    let next = |i: usize| start[spec.jumps[i].to as usize];
    match rules.chains {
        ChainRule::Forbidden => {
            if let Some((i, j)) = (0..spec.jumps.len()).find_map(|i| next(i).map(|j| (i, j))) {
                return Err(BoardError::ChainedJump {
                    jump: spec.jumps[i],
                    next: spec.jumps[j],
                });
            }
        }
        ChainRule::Follow => {
            if let Some(i) = first_on_cycle(spec.jumps.len(), next) {
                return Err(BoardError::Cycle {
                    jump: spec.jumps[i],
                });
            }
        }
    }
    let dest = resolve_chains(spec, &start, next);
    let inner = Inner {
        squares: n,
        rules: *rules,
        dest,
    };
    if let Some(square) = first_unreachable(&inner) {
        return Err(BoardError::Unreachable { square });
    }
    Ok(Board {
        inner: Arc::new(inner),
    })
}

/// The lowest-indexed node lying on a cycle of the functional graph `next` (each node has at
/// most one successor). Iterative: a chain of a million jumps needs no stack.
fn first_on_cycle(nodes: usize, next: impl Fn(usize) -> Option<usize>) -> Option<usize> {
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; nodes];
    let mut on_cycle = vec![false; nodes];
    let mut path = Vec::new();
    for root in 0..nodes {
        let mut at = Some(root);
        while let Some(i) = at {
            match state[i] {
                NEW => {
                    state[i] = ON_PATH;
                    path.push(i);
                    at = next(i);
                }
                ON_PATH => {
                    // The path from i's first visit to here is a cycle.
                    let from = path.iter().rposition(|&p| p == i).unwrap_or(0);
                    for &p in &path[from..] {
                        on_cycle[p] = true;
                    }
                    break;
                }
                _ => break,
            }
        }
        for p in path.drain(..) {
            state[p] = DONE;
        }
    }
    on_cycle.iter().position(|&c| c)
}

/// `dest[s]` for every square: follow the chain from `s` to its end, memoised, iteratively.
/// Call only on boards without cycles.
fn resolve_chains(
    spec: &BoardSpec,
    start: &[Option<usize>],
    next: impl Fn(usize) -> Option<usize>,
) -> Vec<u32> {
    let mut dest: Vec<Option<u32>> = (0..start.len())
        .map(|s| start[s].is_none().then_some(s as u32))
        .collect();
    let mut path = Vec::new();
    for first in 0..spec.jumps.len() {
        let mut at = first;
        let end = loop {
            if let Some(d) = dest[spec.jumps[at].from as usize] {
                break d;
            }
            path.push(at);
            match next(at) {
                Some(j) => at = j,
                None => break spec.jumps[at].to,
            }
        };
        for i in path.drain(..) {
            dest[spec.jumps[i].from as usize] = Some(end);
        }
    }
    dest.into_iter()
        .enumerate()
        .map(|(s, d)| d.unwrap_or(s as u32))
        .collect()
}

/// The lowest square reachable from 0 from which N is unreachable.
fn first_unreachable(board: &Inner) -> Option<u32> {
    let n = board.squares as usize;
    let dice = board.rules.dice;
    let rolls = dice.lowest()..=dice.highest();
    let mut reached = vec![false; n + 1];
    reached[0] = true;
    let mut queue = VecDeque::from([0u32]);
    while let Some(p) = queue.pop_front() {
        // Reaching N ends the game: nobody moves on from it.
        if p == board.squares {
            continue;
        }
        for r in rolls.clone() {
            let (_, to) = board.advance(p, r);
            if !reached[to as usize] {
                reached[to as usize] = true;
                queue.push_back(to);
            }
        }
    }
    // Reverse edges among reached squares, in compressed form, then search back from N.
    let mut count = vec![0u32; n + 2];
    let each_edge = |f: &mut dyn FnMut(usize, usize)| {
        for p in (0..n).filter(|&p| reached[p]) {
            for r in rolls.clone() {
                f(p, board.advance(p as u32, r).1 as usize);
            }
        }
    };
    each_edge(&mut |_, to| count[to + 1] += 1);
    for i in 1..count.len() {
        count[i] += count[i - 1];
    }
    let mut fill = count.clone();
    let mut from = vec![0u32; count[n + 1] as usize];
    each_edge(&mut |p, to| {
        from[fill[to] as usize] = p as u32;
        fill[to] += 1;
    });
    let mut ends = vec![false; n + 1];
    ends[n] = true;
    let mut queue = VecDeque::from([n]);
    while let Some(q) = queue.pop_front() {
        for &p in &from[count[q] as usize..count[q + 1] as usize] {
            if !ends[p as usize] {
                ends[p as usize] = true;
                queue.push_back(p as usize);
            }
        }
    }
    (0..n).find(|&p| reached[p] && !ends[p]).map(|p| p as u32)
}
