//! Stage 4: the exact analysis of one player's game as an absorbing Markov chain (see the
//! module docs of [`super`] for the algorithm).

use super::Inner;
use crate::snake_ladder::{Analysis, ExtraTurn};
use std::collections::VecDeque;

/// Exact figures for one player's game on `board`.
pub(super) fn analyze(board: &Inner) -> Analysis {
    let chain = Chain::new(board);
    Analysis {
        expected_turns: chain.expected_turns(),
        median_turns: chain.median(),
        shortest_game: chain.shortest_game(),
    }
}

/// `P(finished within k turns)` for `k` in `0..=turns`.
pub(super) fn finished_within(board: &Inner, turns: u32) -> Vec<f64> {
    let chain = Chain::new(board);
    let mut run = chain.propagation();
    let mut out = vec![0.0];
    for _ in 0..turns {
        out.push(run.step());
    }
    out
}

/// Where a transition goes.
const FINISHED: u32 = u32::MAX;

/// The single-player chain restricted to states reachable from the start, with a sparse
/// transition list per state.
struct Chain {
    /// Streak values per square (1 or 3).
    streaks: usize,
    /// `index[square * streaks + streak]`: the state's index, if reachable.
    index: Vec<Option<u32>>,
    /// Per state (in index order): its square and streak.
    states: Vec<(u32, u8)>,
    /// Transitions of state i: `edges[offsets[i]..offsets[i + 1]]`, as (target state or
    /// FINISHED, probability), targets merged.
    offsets: Vec<usize>,
    edges: Vec<(u32, f64)>,
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

impl Chain {
    fn new(board: &Inner) -> Self {
        let rules = board.rules;
        let streaks = match rules.extra_turn {
            ExtraTurn::Never => 1,
            ExtraTurn::OnHighestRoll => 3,
        };
        let rolls = roll_probabilities(rules.dice.count, rules.dice.faces);
        let highest = rules.dice.highest();
        let step = |(square, streak): (u32, u8), roll: u32| -> Option<(u32, u8)> {
            let bonus = streaks > 1 && roll == highest;
            if bonus && streak == 2 {
                return Some((square, 0));
            }
            let (_, to) = board.advance(square, roll);
            (to != board.squares).then_some((to, if bonus { streak + 1 } else { 0 }))
        };
        let mut chain = Self {
            streaks,
            index: vec![None; board.squares as usize * streaks],
            states: Vec::new(),
            offsets: vec![0],
            edges: Vec::new(),
        };
        chain.index[0] = Some(0);
        chain.states.push((0, 0));
        let mut next = 0;
        while next < chain.states.len() {
            let here = chain.states[next];
            let first = chain.edges.len();
            for &(roll, p) in &rolls {
                let target = match step(here, roll) {
                    None => FINISHED,
                    Some(state) => chain.intern(state),
                };
                match chain.edges[first..].iter_mut().find(|e| e.0 == target) {
                    Some(e) => e.1 += p,
                    None => chain.edges.push((target, p)),
                }
            }
            chain.offsets.push(chain.edges.len());
            next += 1;
        }
        chain
    }

    fn intern(&mut self, (square, streak): (u32, u8)) -> u32 {
        let slot = square as usize * self.streaks + usize::from(streak);
        *self.index[slot].get_or_insert_with(|| {
            self.states.push((square, streak));
            (self.states.len() - 1) as u32
        })
    }

    fn edges(&self, state: usize) -> &[(u32, f64)] {
        &self.edges[self.offsets[state]..self.offsets[state + 1]]
    }

    /// Expected turns from the start: block back-substitution with feedback variables (see the
    /// module docs).
    fn expected_turns(&self) -> f64 {
        let square = |s: u32| self.states[s as usize].0;
        // 1. Feedback variables: states entered from a state on a higher square.
        let mut var: Vec<Option<usize>> = vec![None; self.states.len()];
        let mut vars = 0;
        for (u, &(sq, _)) in self.states.iter().enumerate() {
            for &(t, _) in self.edges(u) {
                if t != FINISHED && square(t) < sq && var[t as usize].is_none() {
                    var[t as usize] = Some(vars);
                    vars += 1;
                }
            }
        }
        // 2. Affine expressions a + Σ c_k x_k, stored as [a, c_0, …], square by square from N.
        let width = vars + 1;
        let mut expr: Vec<Vec<f64>> = vec![Vec::new(); self.states.len()];
        let mut rows: Vec<Vec<f64>> = vec![Vec::new(); vars];
        let n = self.index.len() / self.streaks;
        for sq in (0..n).rev() {
            let block: Vec<usize> = (0..self.streaks)
                .filter_map(|s| self.index[sq * self.streaks + s])
                .map(|i| i as usize)
                .collect();
            if block.is_empty() {
                continue;
            }
            let unknown: Vec<usize> = block
                .iter()
                .copied()
                .filter(|&u| var[u].is_none())
                .collect();
            // For each block state: its right-hand side, and its coefficients on the block's
            // unknown (non-variable) states.
            let mut rhs = Vec::with_capacity(block.len());
            let mut coef = Vec::with_capacity(block.len());
            for &u in &block {
                let mut r = vec![0.0; width];
                r[0] = 1.0;
                let mut c = vec![0.0; unknown.len()];
                for &(t, p) in self.edges(u) {
                    if t == FINISHED {
                        continue;
                    }
                    let t = t as usize;
                    if let Some(k) = var[t] {
                        r[k + 1] += p;
                    } else if let Some(j) = unknown.iter().position(|&w| w == t) {
                        c[j] += p;
                    } else {
                        for (a, b) in r.iter_mut().zip(&expr[t]) {
                            *a += p * b;
                        }
                    }
                }
                rhs.push(r);
                coef.push(c);
            }
            // Solve (I − C) E = rhs for the unknown states of the block (≤ 3 × 3).
            let at: Vec<usize> = unknown
                .iter()
                .map(|w| block.iter().position(|b| b == w).unwrap_or(0))
                .collect();
            let mut m: Vec<Vec<f64>> = at
                .iter()
                .enumerate()
                .map(|(i, &b)| {
                    (0..at.len())
                        .map(|j| f64::from(u8::from(i == j)) - coef[b][j])
                        .collect()
                })
                .collect();
            let mut values: Vec<Vec<f64>> = at.iter().map(|&b| rhs[b].clone()).collect();
            gauss_jordan(&mut m, &mut values);
            for (bi, &u) in block.iter().enumerate() {
                match var[u] {
                    Some(k) => {
                        let mut row = rhs[bi].clone();
                        for (j, v) in values.iter().enumerate() {
                            for (a, b) in row.iter_mut().zip(v) {
                                *a += coef[bi][j] * b;
                            }
                        }
                        rows[k] = row;
                        let mut unit = vec![0.0; width];
                        unit[k + 1] = 1.0;
                        expr[u] = unit;
                    }
                    None => {
                        let j = unknown.iter().position(|&w| w == u).unwrap_or(0);
                        expr[u] = values[j].clone();
                    }
                }
            }
        }
        // 3. The K × K system x_k − Σ c_kj x_j = a_k.
        let mut m: Vec<Vec<f64>> = rows
            .iter()
            .enumerate()
            .map(|(k, row)| {
                (0..vars)
                    .map(|j| f64::from(u8::from(k == j)) - row[j + 1])
                    .collect()
            })
            .collect();
        let mut x: Vec<Vec<f64>> = rows.iter().map(|row| vec![row[0]]).collect();
        gauss_jordan(&mut m, &mut x);
        let start = &expr[0];
        start[0] + (0..vars).map(|k| start[k + 1] * x[k][0]).sum::<f64>()
    }

    fn propagation(&self) -> Propagation<'_> {
        let mut mass = vec![0.0; self.states.len()];
        mass[0] = 1.0;
        Propagation {
            chain: self,
            next: vec![0.0; self.states.len()],
            mass,
            finished: 0.0,
        }
    }

    fn median(&self) -> u32 {
        let mut run = self.propagation();
        let mut k = 0;
        while run.finished < 0.5 - 1e-12 {
            run.step();
            k += 1;
        }
        k
    }

    fn shortest_game(&self) -> u32 {
        let mut depth = vec![u32::MAX; self.states.len()];
        depth[0] = 0;
        let mut queue = VecDeque::from([0usize]);
        while let Some(u) = queue.pop_front() {
            for &(t, _) in self.edges(u) {
                if t == FINISHED {
                    return depth[u] + 1;
                }
                if depth[t as usize] == u32::MAX {
                    depth[t as usize] = depth[u] + 1;
                    queue.push_back(t as usize);
                }
            }
        }
        u32::MAX
    }
}

/// The state distribution, one turn at a time.
struct Propagation<'a> {
    chain: &'a Chain,
    mass: Vec<f64>,
    next: Vec<f64>,
    finished: f64,
}

impl Propagation<'_> {
    /// Plays one more turn; returns P(finished within the turns played so far).
    fn step(&mut self) -> f64 {
        self.next.iter_mut().for_each(|m| *m = 0.0);
        for (u, &m) in self.mass.iter().enumerate() {
            if m == 0.0 {
                continue;
            }
            for &(t, p) in self.chain.edges(u) {
                if t == FINISHED {
                    self.finished += m * p;
                } else {
                    self.next[t as usize] += m * p;
                }
            }
        }
        std::mem::swap(&mut self.mass, &mut self.next);
        self.finished.min(1.0)
    }
}

/// Solves `m · X = b` in place (`b` becomes X), with partial pivoting. Each row of `b` is a
/// vector of right-hand sides. `m` must be non-singular; on a valid board it is (every state
/// can reach N, so `I − Q` is invertible).
fn gauss_jordan(m: &mut [Vec<f64>], b: &mut [Vec<f64>]) {
    let n = m.len();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| m[i][col].abs().total_cmp(&m[j][col].abs()))
            .unwrap_or(col);
        m.swap(col, pivot);
        b.swap(col, pivot);
        let d = m[col][col];
        if d == 0.0 {
            continue;
        }
        for v in m[col].iter_mut() {
            *v /= d;
        }
        for v in b[col].iter_mut() {
            *v /= d;
        }
        for row in 0..n {
            let f = m[row][col];
            if row == col || f == 0.0 {
                continue;
            }
            let pivot = m[col].clone();
            for (x, p) in m[row].iter_mut().zip(&pivot) {
                *x -= f * p;
            }
            let (src, dst) = if row < col {
                let (lo, hi) = b.split_at_mut(col);
                (&hi[0], &mut lo[row])
            } else {
                let (lo, hi) = b.split_at_mut(row);
                (&lo[col], &mut hi[0])
            };
            for (a, s) in dst.iter_mut().zip(src) {
                *a -= f * s;
            }
        }
    }
}
