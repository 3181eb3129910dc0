//! The distribution of game length: the state distribution pushed forward one turn at a time,
//! over the window of squares that holds mass.
//!
//! A turn is a small FIR filter over the roll values (`filter.rs`) followed by a sparse
//! correction that moves the mass landing on a jump's start to the jump's end, and the
//! overshoot rule on the last squares. Only the window `lo..=hi` of squares that can hold mass
//! is touched, so a turn costs O(d · S · window) instead of O(d · S · N): on a board of 10⁶
//! squares the mass front is 6,000 to 24,000 squares wide, not a million. A window that wide
//! can be split between two threads ([`propagate`]; off for now, see [`Plan::here`]).
//!
//! The edges of the window are *pruned*: each turn, the mass at either end that is smaller than
//! a share of the pruning budget is dropped, and every dropped bit is counted. The total
//! dropped never exceeds the budget (each turn takes at most 2⁻¹⁶ of what is left of it), so
//! `P(finished within k)` is exact from below to within the budget: the true value lies in
//! `[finished, finished + pruned]`.

use super::Moves;
use super::filter;
use crate::snake_ladder::Overshoot;

/// The probability mass the distribution may leave unaccounted: it stops once the games still
/// running plus the mass pruned on the way weigh at most this.
pub const TAIL_BOUND: f64 = 1e-12;

/// Each turn may prune at most this share of the pruning budget still left.
const PRUNE_SHARE: f64 = 1.0 / 65_536.0;

/// Below this much unfinished mass (by the running sum) the exact stopping test is taken.
const ROUGHLY_DONE: f64 = 1e-6;

/// How often (in turns) the propagation reports progress.
const REPORT_EVERY: u32 = 1 << 10;

/// The distribution of one player's game length, up to a tail bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    /// `P(finished within k turns)` for `k = 0, 1, …` up to the turn where the tail bound was
    /// met (or the turn limit). Each entry is exact from below to within `tail_mass`.
    pub finished_within: Vec<f64>,
    /// The probability not accounted as finished by the last entry: the games still running
    /// then, plus every bit of mass pruned on the way. The true `P(finished within k)` lies in
    /// `[finished_within[k], finished_within[k] + tail_mass]`.
    pub tail_mass: f64,
}

impl Distribution {
    /// The smallest k with `P(finished within k) ≥ 1/2` (up to rounding), if the distribution
    /// reaches it.
    pub fn median(&self) -> Option<u32> {
        self.finished_within
            .iter()
            .position(|&p| p >= HALF)
            .map(|k| k as u32)
    }
}

/// One half, less what rounding may take off an exact tie.
const HALF: f64 = 0.5 - 1e-12;

/// The smallest k with `P(finished within k) ≥ 1/2`.
pub(super) fn median(m: &Moves) -> u32 {
    let done = |f: &Front| f.finished() >= HALF;
    let (_, cdf) = propagate(
        m,
        TAIL_BOUND / 2.0,
        u32::MAX,
        &mut |_, _| {},
        &done,
        Plan::here(),
    );
    cdf.iter().position(|&p| p >= HALF).unwrap_or(cdf.len() - 1) as u32
}

/// The distribution until the games still running plus the mass pruned weigh at most
/// `tail_bound`, or `max_turns` turns. `progress` is told (turns, P(finished)) now and then.
pub(super) fn distribution(
    m: &Moves,
    tail_bound: f64,
    max_turns: u32,
    progress: &mut dyn FnMut(u32, f64),
) -> Distribution {
    // The window's sum is the exact test, taken only near the end (it costs a pass over the
    // window).
    let done =
        |f: &Front| 1.0 - f.finished() <= ROUGHLY_DONE && f.remaining() + f.pruned <= tail_bound;
    let (front, cdf) = propagate(
        m,
        tail_bound / 2.0,
        max_turns,
        progress,
        &done,
        Plan::here(),
    );
    Distribution {
        finished_within: cdf,
        tail_mass: front.remaining() + front.pruned,
    }
}

/// When the window is split between two threads (see [`propagate`]).
#[derive(Debug, Clone, Copy)]
struct Plan {
    /// Threads to use: 1 or 2.
    threads: usize,
    /// A window at least this wide is split in two halves, one per thread.
    split_width: usize,
    /// Turns the two halves play apart before they are summed again.
    block: u32,
}

impl Plan {
    /// Two threads where the machine has two cores. The halves overlap and a block ends in a
    /// join, so two threads cost ~15 % more CPU; on an idle 2-core machine the 10⁶-square
    /// board takes 2.2 s with two against 2.9 s with one. A second thread that has no core of
    /// its own (a loaded machine) makes it slower, not faster.
    fn here() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(2)),
            split_width: 8192,
            block: 256,
        }
    }
}

/// Above this much finished mass, turns are played on one thread only, one at a time.
const SPLIT_UNTIL: f64 = 1.0 - 1e-3;

/// Plays from the start until `done` holds after a turn, or `max_turns` turns; returns the
/// state then and `P(finished within k)` for every turn `k` played.
///
/// The chain is linear, so the mass of a wide window can be split in two parts that play on
/// apart — the lower half on this thread, the upper half on another — and be summed again:
/// the sum is what one front would hold (up to rounding). The lower half's mass flows into
/// the upper half's squares as it plays, so each half covers a little more than half the
/// window; after `plan.block` turns the halves are summed and split anew. `done` is tested after
/// every turn played on one thread, and at the end of each block otherwise; near the end of
/// the game ([`SPLIT_UNTIL`]) everything is played on one thread.
fn propagate<'m, 'a>(
    m: &'m Moves<'a>,
    budget: f64,
    max_turns: u32,
    progress: &mut dyn FnMut(u32, f64),
    done: &dyn Fn(&Front) -> bool,
    plan: Plan,
) -> (Front<'m, 'a>, Vec<f64>) {
    let block = plan.block;
    let mut front = Front::new(m, budget);
    let mut upper: Option<Front> = None;
    let mut cdf = vec![0.0];
    let mut turns = 0u32;
    let mut reported = 0u32;
    while turns < max_turns {
        let wide = front
            .window
            .is_some_and(|(lo, hi)| hi - lo + 1 >= plan.split_width);
        if plan.threads > 1 && wide && front.finished() < SPLIT_UNTIL && max_turns - turns >= block
        {
            let other = upper.get_or_insert_with(|| Front::idle(m));
            front.split_into(other);
            let play = |f: &mut Front| -> Vec<f64> {
                (0..block)
                    .map(|_| {
                        f.step();
                        f.finished()
                    })
                    .collect()
            };
            let (mine, theirs) = std::thread::scope(|s| {
                let helper = s.spawn(|| play(other));
                let mine = play(&mut front);
                (mine, helper.join())
            });
            // A panic on the other thread is a bug in this module: pass it on.
            let theirs = theirs.unwrap_or_else(|e| std::panic::resume_unwind(e));
            front.absorb(other);
            cdf.extend(mine.iter().zip(&theirs).map(|(a, b)| (a + b).min(1.0)));
            turns += block;
        } else {
            front.step();
            turns += 1;
            cdf.push(front.finished());
        }
        if turns - reported >= REPORT_EVERY {
            reported = turns;
            progress(turns, front.finished());
        }
        if done(&front) {
            break;
        }
    }
    progress(turns, front.finished());
    (front, cdf)
}

/// The state distribution after some turns: mass per (streak, square) inside `lo..=hi`.
pub(super) struct Front<'m, 'a> {
    m: &'m Moves<'a>,
    /// `cur[k][s]`: P(on square s with k highest rolls in a row, game not over).
    cur: Vec<Vec<f64>>,
    /// The next turn is built here: zero but for `stale`, the squares of the turn before,
    /// which the filter overwrites or clears.
    next: Vec<Vec<f64>>,
    stale: Option<(usize, usize)>,
    /// With extra turns: the mass of every streak, summed (the non-highest rolls ignore it);
    /// all zero between turns.
    sum: Vec<f64>,
    /// The squares that may hold mass; `None` once none does.
    window: Option<(usize, usize)>,
    /// The filter of every roll, and of the rolls without the highest (see [`filter_taps`]).
    taps: Vec<f64>,
    plain_taps: Vec<f64>,
    /// Jump starts, ascending, with where the chain from each ends.
    heads: Vec<(usize, usize)>,
    /// P(finished so far), summed with compensation (`finished + carry`).
    finished: f64,
    carry: f64,
    /// Mass dropped at the window's edges, and how much may be.
    pruned: f64,
    budget: f64,
    /// Turns played, and the rate at which rounded roll probabilities lose mass (see
    /// [`Front::unscale`]).
    turns: u32,
    shrink: f64,
}

impl<'m, 'a> Front<'m, 'a> {
    /// Everybody at the start; at most `budget` of mass may be pruned, ever.
    pub(super) fn new(m: &'m Moves<'a>, budget: f64) -> Self {
        let n = m.squares() as usize;
        let layers = usize::from(m.streaks);
        let mut cur = vec![vec![0.0; n]; layers];
        cur[0][0] = 1.0;
        let heads = (1..n)
            .filter(|&s| m.board.dest[s] as usize != s)
            .map(|s| (s, m.board.dest[s] as usize))
            .collect();
        Self {
            m,
            cur,
            next: vec![vec![0.0; n]; layers],
            stale: None,
            sum: if layers > 1 { vec![0.0; n] } else { Vec::new() },
            window: Some((0, 0)),
            taps: filter_taps(&m.rolls),
            plain_taps: filter_taps(&m.rolls[..m.rolls.len().saturating_sub(1)]),
            heads,
            finished: 0.0,
            carry: 0.0,
            pruned: 0.0,
            budget,
            turns: 0,
            shrink: shrink_rate(&m.rolls),
        }
    }

    /// A front holding no mass, to take half of another's (see [`Front::split_into`]).
    fn idle(m: &'m Moves<'a>) -> Self {
        let mut f = Self::new(m, 0.0);
        f.cur[0][0] = 0.0;
        f.window = None;
        f
    }

    /// Moves the upper half of the window's mass into `other` (which holds none), with half
    /// of the pruning budget left; `other` then plays on from the same turn.
    fn split_into(&mut self, other: &mut Self) {
        let Some((lo, hi)) = self.window else {
            return;
        };
        let at = lo + (hi - lo) / 2 + 1;
        for (mine, theirs) in self.cur.iter_mut().zip(&mut other.cur) {
            theirs[at..=hi].copy_from_slice(&mine[at..=hi]);
            mine[at..=hi].fill(0.0);
        }
        self.window = Some((lo, at - 1));
        other.window = Some((at, hi));
        other.turns = self.turns;
        (other.finished, other.carry, other.pruned) = (0.0, 0.0, 0.0);
        let half = (self.budget - self.pruned).max(0.0) / 2.0;
        self.budget -= half;
        other.budget = half;
    }

    /// Adds the mass of `other` (split from this front, played as many turns) back in, with
    /// what it finished and pruned; `other` is left holding none.
    fn absorb(&mut self, other: &mut Self) {
        if let Some((lo, hi)) = other.window.take() {
            for (mine, theirs) in self.cur.iter_mut().zip(&mut other.cur) {
                for (a, b) in mine[lo..=hi].iter_mut().zip(&mut theirs[lo..=hi]) {
                    *a += std::mem::take(b);
                }
            }
            self.window = Some(
                self.window
                    .map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))),
            );
        }
        self.add_finished(other.finished);
        self.add_finished(other.carry);
        self.pruned += other.pruned;
        self.budget += other.budget;
        (other.finished, other.carry, other.pruned, other.budget) = (0.0, 0.0, 0.0, 0.0);
    }

    /// Adds `won` to P(finished), with Neumaier's compensation: hundreds of thousands of small
    /// increments stay exact enough.
    fn add_finished(&mut self, won: f64) {
        let t = self.finished + won;
        if self.finished.abs() >= won.abs() {
            self.carry += (self.finished - t) + won;
        } else {
            self.carry += (won - t) + self.finished;
        }
        self.finished = t;
    }

    /// P(finished within the turns played so far).
    pub(super) fn finished(&self) -> f64 {
        (self.finished + self.carry).min(1.0)
    }

    /// The mass of the games still running.
    fn remaining(&self) -> f64 {
        self.unscale(self.window.map_or(0.0, |(lo, hi)| {
            self.cur
                .iter()
                .map(|l| l[lo..=hi].iter().sum::<f64>())
                .sum()
        }))
    }

    /// The true size of `mass` held now. The roll probabilities are rounded to `f64` — six
    /// times the nearest `f64` to 1/6 is 1 − 2⁻⁵⁴ — so every turn scales all the mass by their
    /// exact sum `1 − δ`; over the ~300,000 turns of a game on 10⁶ squares that drift
    /// (~10⁻¹¹) would outweigh the tail bound. The mass after `t` turns is therefore divided
    /// by `(1 − δ)^t` wherever it is counted; the rounding of each operation, unbiased, is
    /// what remains.
    fn unscale(&self, mass: f64) -> f64 {
        mass * (1.0 + (self.shrink * f64::from(self.turns)).exp_m1())
    }

    /// Plays one more turn.
    pub(super) fn step(&mut self) {
        let Some((lo, hi)) = self.window else {
            return;
        };
        let n = self.m.squares() as usize;
        let overshoot = self.m.board.rules.overshoot;
        let highest = self.m.highest;
        let Self {
            cur,
            next,
            sum,
            m,
            taps,
            plain_taps,
            stale,
            ..
        } = self;
        let mut turn = Turn {
            n,
            overshoot,
            won: 0.0,
            lo: usize::MAX,
            hi: 0,
        };
        if cur.len() == 1 {
            turn.spread_all(&cur[0], &mut next[0], (lo, hi), &m.rolls, taps, *stale);
        } else {
            if let Some((a, b)) = stale.take() {
                next.iter_mut().for_each(|l| l[a..=b].fill(0.0));
            }
            // Extra turns: a highest roll moves streak k to k + 1 (and forfeits from streak 2);
            // every other roll moves the summed mass to streak 0.
            for (s, v) in sum[lo..=hi].iter_mut().enumerate() {
                *v = cur[0][lo + s] + cur[1][lo + s] + cur[2][lo + s];
            }
            let top = m.rolls.last().map_or(0.0, |&(_, p)| p);
            let plain = &m.rolls[..m.rolls.len() - 1];
            turn.spread_all(sum, &mut next[0], (lo, hi), plain, plain_taps, None);
            let (n0, rest) = next.split_at_mut(1);
            let (n1, n2) = rest.split_at_mut(1);
            turn.spread(&cur[0], &mut n1[0], lo, hi, highest as usize, top);
            turn.spread(&cur[1], &mut n2[0], lo, hi, highest as usize, top);
            for (d, s) in n0[0][lo..=hi].iter_mut().zip(&cur[2][lo..=hi]) {
                *d += top * s;
            }
            // Zero again, as the fused filter reads around the window.
            sum[lo..=hi].fill(0.0);
            turn.touch(lo);
            turn.touch(hi);
        }
        // Jumps: whatever landed on a jump's start moves to the end of its chain.
        if turn.lo <= turn.hi {
            let first = self.heads.partition_point(|&(h, _)| h < turn.lo);
            let last = self.heads.partition_point(|&(h, _)| h <= turn.hi);
            for &(from, to) in &self.heads[first..last] {
                for layer in next.iter_mut() {
                    let v = std::mem::take(&mut layer[from]);
                    if v == 0.0 {
                        continue;
                    }
                    if to == n {
                        turn.won += v;
                    } else {
                        layer[to] += v;
                        turn.lo = turn.lo.min(to);
                        turn.hi = turn.hi.max(to);
                    }
                }
            }
        }
        // The old state is the next turn's output buffer: its window is all that is not zero.
        std::mem::swap(&mut self.cur, &mut self.next);
        self.stale = Some((lo, hi));
        self.turns += 1;
        turn.won = self.unscale(turn.won);
        self.add_finished(turn.won);
        self.window = (turn.lo <= turn.hi).then_some((turn.lo, turn.hi));
        self.prune();
    }

    /// Drops the smallest mass at the window's ends, within this turn's share of the budget.
    fn prune(&mut self) {
        let Some((mut lo, mut hi)) = self.window else {
            return;
        };
        let allowance = (self.budget - self.pruned).max(0.0) * PRUNE_SHARE;
        let mut dropped = 0.0;
        let mass = |cur: &[Vec<f64>], s: usize| cur.iter().map(|l| l[s]).sum::<f64>();
        let clear = |cur: &mut [Vec<f64>], s: usize| cur.iter_mut().for_each(|l| l[s] = 0.0);
        while lo <= hi {
            let v = mass(&self.cur, lo);
            if dropped + v > allowance {
                break;
            }
            dropped += v;
            clear(&mut self.cur, lo);
            lo += 1;
        }
        while lo <= hi {
            let v = mass(&self.cur, hi);
            if dropped + v > allowance {
                break;
            }
            dropped += v;
            clear(&mut self.cur, hi);
            if hi == lo {
                lo += 1;
                break;
            }
            hi -= 1;
        }
        self.pruned += self.unscale(dropped);
        self.window = (lo <= hi).then_some((lo, hi));
    }
}

/// The filter taps of `rolls` (ascending): the probability of each roll from the highest down
/// to the lowest, zero for a value in between that cannot be rolled.
fn filter_taps(rolls: &[(u32, f64)]) -> Vec<f64> {
    let (Some(&(lowest, _)), Some(&(highest, _))) = (rolls.first(), rolls.last()) else {
        return Vec::new();
    };
    let mut taps = vec![0.0; (highest - lowest) as usize + 1];
    for &(r, p) in rolls {
        taps[(highest - r) as usize] = p;
    }
    taps
}

/// Zeroes `layer[stale]`, but for the squares `keep` about to be overwritten.
fn clear_outside(layer: &mut [f64], stale: Option<(usize, usize)>, keep: Option<(usize, usize)>) {
    let Some((a, b)) = stale else {
        return;
    };
    match keep {
        Some((first, last)) => {
            if a < first {
                layer[a..first.min(b + 1)].fill(0.0);
            }
            if b > last {
                layer[a.max(last + 1)..=b].fill(0.0);
            }
        }
        None => layer[a..=b].fill(0.0),
    }
}

/// `−ln(Σ p)` for the rolls' rounded probabilities `p`: the share of mass a turn loses to
/// their rounding (zero when they sum to exactly 1, as halves and quarters do).
fn shrink_rate(rolls: &[(u32, f64)]) -> f64 {
    // Σ p as an unevaluated sum hi + lo (each step's rounding error kept, Knuth's two-sum).
    let (mut hi, mut lo) = (0.0f64, 0.0f64);
    for &(_, p) in rolls {
        let s = hi + p;
        let v = s - hi;
        lo += (hi - (s - v)) + (p - v);
        hi = s;
    }
    // 1 − hi is exact (hi is within a few ulps of 1), so this is 1 − Σ p to full precision.
    let deficit = (1.0 - hi) - lo;
    -(-deficit).ln_1p()
}

/// One turn's bookkeeping: what finished, and which squares were written.
struct Turn {
    n: usize,
    overshoot: Overshoot,
    won: f64,
    lo: usize,
    hi: usize,
}

impl Turn {
    fn touch(&mut self, s: usize) {
        self.lo = self.lo.min(s);
        self.hi = self.hi.max(s);
    }

    /// Moves the mass of `src[lo..=hi]` forward by every roll in `rolls` (ascending), as
    /// [`Turn::spread`] does one roll at a time — but below N as one filter (`taps`, see
    /// [`filter_taps`]) that overwrites each output square with what the `d` squares behind it
    /// send. `src` must be zero outside `lo..=hi`, `dst` outside `stale`; afterwards `dst` is
    /// zero outside what this turn wrote.
    fn spread_all(
        &mut self,
        src: &[f64],
        dst: &mut [f64],
        (lo, hi): (usize, usize),
        rolls: &[(u32, f64)],
        taps: &[f64],
        stale: Option<(usize, usize)>,
    ) {
        let n = self.n;
        let (lowest, highest) = match (rolls.first(), rolls.last()) {
            (Some(a), Some(b)) => (a.0 as usize, b.0 as usize),
            _ => return,
        };
        // The fused filter reads `highest` squares behind each output: only where those exist.
        let first = lo + lowest;
        let last = (hi + highest).min(n - 1);
        if first < highest || first > last {
            clear_outside(dst, stale, None);
            for &(r, p) in rolls {
                self.spread(src, dst, lo, hi, r as usize, p);
            }
            return;
        }
        clear_outside(dst, stale, Some((first, last)));
        filter::set_filtered(&mut dst[first..=last], &src[first - highest..], taps);
        self.touch(first);
        self.touch(last);
        // N itself and past it, roll by roll (only near the end of the board).
        for &(r, p) in rolls {
            let r = r as usize;
            if let Some(s) = n.checked_sub(r).filter(|s| (lo..=hi).contains(s)) {
                self.won += p * src[s];
            }
            self.overshoot(src, dst, lo, hi, r, p);
        }
    }

    /// The rolls from `src[lo..=hi]` by `r` that pass N, by the overshoot rule.
    fn overshoot(&mut self, src: &[f64], dst: &mut [f64], lo: usize, hi: usize, r: usize, p: f64) {
        let n = self.n;
        for s in lo.max((n + 1).saturating_sub(r))..=hi {
            let v = p * src[s];
            match self.overshoot {
                Overshoot::Stay => {
                    dst[s] += v;
                    self.touch(s);
                }
                Overshoot::Bounce => {
                    let t = 2 * n - s - r;
                    dst[t] += v;
                    self.touch(t);
                }
                Overshoot::Finish => self.won += v,
            }
        }
    }

    /// Moves `p` of the mass of `src[lo..=hi]` forward by `r` squares into `dst`, with the
    /// overshoot rule past N. Jumps are taken afterwards, by the caller.
    fn spread(&mut self, src: &[f64], dst: &mut [f64], lo: usize, hi: usize, r: usize, p: f64) {
        let n = self.n;
        // Squares below N: one shifted, scaled copy (an axpy the compiler vectorises).
        if lo + r < n {
            let end = hi.min(n - 1 - r);
            for (d, s) in dst[lo + r..=end + r].iter_mut().zip(&src[lo..=end]) {
                *d += p * s;
            }
            self.touch(lo + r);
            self.touch(end + r);
        }
        // Exactly N: won.
        if let Some(s) = n.checked_sub(r).filter(|s| (lo..=hi).contains(s)) {
            self.won += p * src[s];
        }
        // Past N: the overshoot rule.
        self.overshoot(src, dst, lo, hi, r, p);
    }
}

#[cfg(test)]
mod tests {
    use super::{Front, Moves, Plan, propagate};
    use crate::snake_ladder::generate::random_board;
    use crate::snake_ladder::reference::Board;
    use crate::snake_ladder::{ChainRule, DiceSpec, ExtraTurn, Overshoot, Rules, SnakeLadder};

    /// Splitting the window between two threads changes nothing but rounding: the same
    /// distribution as one thread, on boards with snakes and ladders, every overshoot rule,
    /// and extra turns.
    #[test]
    fn two_halves_play_the_same_game_as_one_front() {
        let spec = random_board(3_000, 60, 150, 7);
        let mut played = 0;
        for overshoot in [Overshoot::Stay, Overshoot::Bounce, Overshoot::Finish] {
            for extra_turn in [ExtraTurn::Never, ExtraTurn::OnHighestRoll] {
                for dice in [
                    DiceSpec { count: 1, faces: 6 },
                    DiceSpec { count: 2, faces: 6 },
                ] {
                    let rules = Rules {
                        dice,
                        overshoot,
                        extra_turn,
                        chains: ChainRule::Follow,
                    };
                    // Some rules make a square unreachable (and the board invalid): skip those.
                    let Ok(board) = Board::new(&spec, &rules) else {
                        continue;
                    };
                    played += 1;
                    let m = Moves::new(&board.inner);
                    let done = |f: &Front| f.finished() >= 1.0 - 1e-9;
                    let run = |threads| {
                        let plan = Plan {
                            threads,
                            split_width: 40,
                            block: 16,
                        };
                        propagate(&m, 5e-13, 1_000_000, &mut |_, _| {}, &done, plan)
                    };
                    let ((one, a), (two, b)) = (run(1), run(2));
                    let case = format!("{rules:?}");
                    assert!(a.len() > 100, "{case}: {} turns", a.len());
                    for (k, (x, y)) in a.iter().zip(&b).enumerate() {
                        assert!((x - y).abs() < 1e-13, "{case}, turn {k}: {x} vs {y}");
                    }
                    let left =
                        |f: &Front, cdf: &[f64]| f.remaining() + f.pruned + cdf[cdf.len() - 1];
                    assert!((left(&one, &a) - 1.0).abs() < 1e-13, "{case}");
                    assert!((left(&two, &b) - 1.0).abs() < 1e-13, "{case}");
                }
            }
        }
        assert!(played >= 6, "only {played} rule sets make a valid board");
    }
}
