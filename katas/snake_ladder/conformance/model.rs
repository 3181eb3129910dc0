//! The exact model the checks compare with: validation by the contract's rules read literally,
//! the move function, a model game fed the same die faces as the solution's, and a dense linear
//! solve of the single-player chain. Written for clarity, not speed.

use crate::snake_ladder::{
    BoardError, BoardSpec, ChainRule, Dice, DiceSpec, ExtraTurn, GameError, Jump, JumpKind,
    MAX_DICE, MAX_FACES, MAX_SQUARES, Overshoot, Rules, SplitMix64, TurnEvent,
};
use std::collections::VecDeque;

/// The rules read literally: the suite's source of truth for validation, moves and numbers.
#[derive(Debug, Clone)]
pub struct Oracle {
    pub(super) squares: u32,
    pub(super) rules: Rules,
    pub(super) jumps: Vec<Jump>,
    /// Jump ends by start square (the jumps, indexed).
    pub(super) starts: std::collections::BTreeMap<u32, u32>,
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
pub(super) struct ModelGame {
    pub(super) board: Oracle,
    pub(super) positions: Vec<u32>,
    pub(super) current: usize,
    pub(super) streak: u8,
    pub(super) winner: Option<usize>,
}

impl ModelGame {
    pub(super) fn new(board: &Oracle, players: usize) -> Self {
        Self {
            board: board.clone(),
            positions: vec![0; players],
            current: 0,
            streak: 0,
            winner: None,
        }
    }

    /// The event for a turn whose dice show `faces`.
    pub(super) fn turn(&mut self, faces: &[u32]) -> Result<TurnEvent, GameError> {
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

/// The suite's own seeded dice: SplitMix64 with a multiply-shift, shared by the solution's game
/// and the model game so both see the same faces.
#[derive(Debug, Clone)]
pub(super) struct SuiteDice(pub(super) SplitMix64);

impl Dice for SuiteDice {
    fn roll(&mut self, faces: u32) -> u32 {
        ((u128::from(self.0.next_u64()) * u128::from(faces)) >> 64) as u32 + 1
    }
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
