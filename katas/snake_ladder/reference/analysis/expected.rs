//! The expected game length: one backward sweep from N that eliminates each feedback variable
//! as soon as its own square is reached.
//!
//! `E[u] = 1 + Σ_r P(r) · E[next(u, r)]`. Sweeping squares from N − 1 down to 0, every state
//! ahead of the sweep is already known as an affine expression `a + Σ c_k x_k` in the
//! *feedback variables* `x_k`: the states below the sweep that some state above it moves back
//! to (a snake's tail, a bounce target). A variable is opened when the sweep first meets a move
//! back to it, and closed when the sweep reaches its own square: there its equation reads
//! `x_k = a + c·x_k + …`, so `x_k = (a + …) / (1 − c)` is substituted into every expression
//! still alive, and its slot is reused. Only three kinds of expression stay alive: the last
//! `highest roll` squares (the moves of the next squares down reach no further), the tops of
//! ladders (reached from far below), and nothing else — so memory is
//! O((highest roll + ladders) · W) and time O(S·N·d·W), with `W` the most variables open at
//! once: the number of snakes spanning a square, plus a few bounce targets.
//!
//! Eliminating in sweep order needs no pivoting: `I − Q` of an absorbing chain whose every
//! state reaches N is a non-singular M-matrix, and so is every Schur complement taken from it,
//! so each divisor `1 − c` is positive.

use super::{Moves, State};
use std::collections::HashMap;

/// How often (in squares) the sweep reports progress.
const REPORT_EVERY: usize = 1 << 16;

/// The expected number of turns from the start. `reach[s]` has bit `k` set when state
/// (s, streak k) is reachable; only reachable states take part.
pub(super) fn expected_turns(m: &Moves, reach: &[u8], progress: &mut dyn FnMut(f64)) -> f64 {
    let n = m.squares() as usize;
    let sc = usize::from(m.streaks);
    let idx = |(sq, k): State| sq as usize * sc + usize::from(k);
    let present = |s: usize| (0..sc).filter(move |&k| reach[s] & (1 << k) != 0);

    // 1. The feedback variables, and the most of them open at once (the expression width).
    let mut top = vec![0u32; n * sc];
    for s in 0..n {
        for k in present(s) {
            for &(roll, _) in &m.rolls {
                if let Some(t) = m.step((s as u32, k as u8), roll)
                    && (t.0 as usize) < s
                {
                    top[idx(t)] = top[idx(t)].max(s as u32);
                }
            }
        }
    }
    let mut open = vec![0i64; n + 1];
    for (i, &t) in top.iter().enumerate() {
        if t > 0 {
            open[i / sc] += 1;
            open[t as usize + 1] -= 1;
        }
    }
    let vars = open[..n]
        .iter()
        .scan(0i64, |run, d| {
            *run += d;
            Some(*run)
        })
        .max()
        .unwrap_or(0) as usize;
    drop(top);
    // An expression: [constant, coefficient of slot 0, slot 1, …].
    let w = vars + 1;

    // 2. Where the live expressions are kept.
    let ring_len = m.highest as usize + 1;
    let mut ring = vec![0.0; ring_len * sc * w];
    let mut ring_ok = vec![0u8; ring_len];
    let mut store: HashMap<u32, usize> = HashMap::new();
    for h in 1..n {
        let d = m.board.dest[h];
        if d as usize > h && (d as usize) < n {
            let next = store.len();
            store.entry(d).or_insert(next);
        }
    }
    let mut stored = vec![0.0; store.len() * sc * w];
    let mut stored_ok = vec![0u8; store.len()];
    let mut slot_of = vec![u32::MAX; n * sc];
    let mut free: Vec<u32> = (0..vars as u32).rev().collect();

    // 3. The sweep.
    let mut rows = vec![0.0; 3 * w];
    for s in (0..n).rev() {
        if (n - s).is_multiple_of(REPORT_EVERY) {
            progress((n - s) as f64 / n as f64);
        }
        let at = s % ring_len;
        let ks: Vec<usize> = present(s).collect();
        ring_ok[at] = 0;
        if ks.is_empty() {
            continue;
        }
        // Each state's equation: its row (right-hand side, over the open variables) and its
        // coefficients on the states of this square.
        let mut coef = [[0.0f64; 3]; 3];
        for &k in &ks {
            let row = &mut rows[k * w..(k + 1) * w];
            row.fill(0.0);
            row[0] = 1.0;
            for &(roll, p) in &m.rolls {
                let Some((ts, tk)) = m.step((s as u32, k as u8), roll) else {
                    continue;
                };
                let (ts, tk) = (ts as usize, usize::from(tk));
                if ts == s {
                    coef[k][tk] += p;
                } else if ts < s {
                    let slot = &mut slot_of[ts * sc + tk];
                    if *slot == u32::MAX {
                        // Step 1 counted the variables open at once, so a slot is free.
                        *slot = free.pop().expect("a free slot (counted in step 1)");
                    }
                    row[1 + *slot as usize] += p;
                } else {
                    let e = if ts - s < ring_len {
                        &ring[((ts % ring_len) * sc + tk) * w..][..w]
                    } else {
                        // Only a jump reaches further than the highest roll: a ladder top.
                        let i = store[&(ts as u32)];
                        &stored[(i * sc + tk) * w..][..w]
                    };
                    axpy(row, p, e);
                }
            }
        }
        // Solve (I − C) E = rows for this square's ≤ 3 states (Gauss–Jordan, no pivoting).
        for (i, &ki) in ks.iter().enumerate() {
            let d = 1.0 - coef[ki][ki];
            let inv = 1.0 / d;
            for c in coef[ki].iter_mut() {
                *c *= inv;
            }
            coef[ki][ki] = 0.0;
            scale(&mut rows[ki * w..(ki + 1) * w], inv);
            for &kj in ks.iter().filter(|&&kj| kj != ki) {
                let f = coef[kj][ki];
                if f == 0.0 {
                    continue;
                }
                coef[kj][ki] = 0.0;
                for &kl in &ks[i + 1..] {
                    coef[kj][kl] += f * coef[ki][kl];
                }
                let (src, dst) = pair(&mut rows, ki * w, kj * w, w);
                axpy(dst, f, src);
            }
        }
        // Close the variables that live on this square.
        for &k in &ks {
            let slot = slot_of[s * sc + k];
            if slot == u32::MAX {
                continue;
            }
            let c = 1 + slot as usize;
            let row = &mut rows[k * w..(k + 1) * w];
            let inv = 1.0 / (1.0 - row[c]);
            row[c] = 0.0;
            scale(row, inv);
            let row = rows[k * w..(k + 1) * w].to_vec();
            let substitute = |e: &mut [f64]| {
                let f = e[c];
                if f != 0.0 {
                    e[c] = 0.0;
                    axpy(e, f, &row);
                }
            };
            for &j in ks.iter().filter(|&&j| j != k) {
                substitute(&mut rows[j * w..(j + 1) * w]);
            }
            for (sq, &ok) in ring_ok.iter().enumerate() {
                for kk in (0..sc).filter(|kk| ok & (1 << kk) != 0) {
                    substitute(&mut ring[(sq * sc + kk) * w..][..w]);
                }
            }
            for (i, &ok) in stored_ok.iter().enumerate() {
                for kk in (0..sc).filter(|kk| ok & (1 << kk) != 0) {
                    substitute(&mut stored[(i * sc + kk) * w..][..w]);
                }
            }
            slot_of[s * sc + k] = u32::MAX;
            free.push(slot);
        }
        for &k in &ks {
            ring[(at * sc + k) * w..][..w].copy_from_slice(&rows[k * w..(k + 1) * w]);
            if let Some(&i) = store.get(&(s as u32)) {
                stored[(i * sc + k) * w..][..w].copy_from_slice(&rows[k * w..(k + 1) * w]);
                stored_ok[i] |= 1 << k;
            }
        }
        ring_ok[at] = reach[s];
    }
    progress(1.0);
    // Every variable lives on a square ≥ 1, so the start's expression is a constant by now.
    rows[0]
}

/// `dst += p · src`.
fn axpy(dst: &mut [f64], p: f64, src: &[f64]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += p * s;
    }
}

fn scale(v: &mut [f64], f: f64) {
    for x in v {
        *x *= f;
    }
}

/// Two disjoint rows of `w` values from one buffer: (`at a`, `at b`), `a != b`.
fn pair(buf: &mut [f64], a: usize, b: usize, w: usize) -> (&[f64], &mut [f64]) {
    if a < b {
        let (lo, hi) = buf.split_at_mut(b);
        (&lo[a..a + w], &mut hi[..w])
    } else {
        let (lo, hi) = buf.split_at_mut(a);
        (&hi[..w], &mut lo[b..b + w])
    }
}
