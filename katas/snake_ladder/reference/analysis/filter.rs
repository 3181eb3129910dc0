//! The free move of one turn as a filter over the window: `out[j] = Σ_k w[k] · src[j + k]`,
//! with `w` the roll probabilities, highest roll first.
//!
//! This is the inner loop of the distribution (billions of output squares on a board of 10⁶
//! squares), so it is written for the compiler to vectorise: for up to [`MAX_FIXED`] taps the
//! tap count is a constant (one monomorphised loop per count), the taps live in registers and
//! each output square is written once, without being read (the caller need not clear it).
//! The common dice — one die, or the rolls that do not earn an extra turn — have equal taps:
//! there the window's sum is formed from sums of neighbouring pairs, computed once per pair
//! for a chunk of outputs, so a window of `W` squares costs `⌈W / 2⌉` additions and one
//! multiplication instead of `W` of each. Longer filters (many dice with many faces) fall back
//! to one scaled, shifted copy per tap, in cache-sized chunks.

/// The longest filter with a loop of its own.
const MAX_FIXED: usize = 16;

/// Outputs per chunk: the pair sums of a chunk stay in the L1 cache.
const CHUNK: usize = 512;

/// Sets every `out[j]` to `Σ_k w[k] · src[j + k]`. `src` must hold at least
/// `out.len() + w.len() − 1` values.
pub(super) fn set_filtered(out: &mut [f64], src: &[f64], w: &[f64]) {
    if out.is_empty() {
        return;
    }
    let Some(&first) = w.first() else {
        out.fill(0.0);
        return;
    };
    let equal = w.iter().all(|&x| x == first);
    macro_rules! by_length {
        ($($n:literal)*) => {
            match w.len() {
                $($n if equal => boxed::<$n>(out, src, first),
                  $n => fixed::<$n>(out, src, w.try_into().expect("the length was matched")),)*
                _ => chunked(out, src, w),
            }
        };
    }
    const _: () = assert!(MAX_FIXED == 16);
    by_length!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
}

/// `W` equal taps `p`: the window's sum from pair sums, scaled once.
fn boxed<const W: usize>(out: &mut [f64], src: &[f64], p: f64) {
    // pairs[k] = src[k] + src[k + 1] for the chunk, plus one slot so that every output
    // can view `W` pair sums as an array (the slot past the last pair is never added in).
    let mut pairs = [0.0f64; CHUNK + MAX_FIXED];
    for (c, out) in out.chunks_mut(CHUNK).enumerate() {
        let src = &src[c * CHUNK..][..out.len() + W - 1];
        let used = out.len() + W - 2;
        for ((v, a), b) in pairs[..used].iter_mut().zip(src).zip(&src[1..]) {
            *v = a + b;
        }
        pairs[used] = 0.0;
        let pairs = &pairs[..=used];
        for (j, o) in out.iter_mut().enumerate() {
            let two: &[f64; W] = pairs[j..j + W].try_into().expect("W pair sums");
            let one: &[f64; W] = src[j..j + W].try_into().expect("W values");
            let mut sum = if W == 1 { one[0] } else { two[0] };
            for k in 1..W / 2 {
                sum += two[2 * k];
            }
            if W % 2 == 1 && W > 1 {
                sum += one[W - 1];
            }
            *o = p * sum;
        }
    }
}

/// `W` taps of any weight.
fn fixed<const W: usize>(out: &mut [f64], src: &[f64], w: &[f64; W]) {
    let src = &src[..out.len() + W - 1];
    for (j, o) in out.iter_mut().enumerate() {
        let window: &[f64; W] = src[j..j + W].try_into().expect("W values");
        *o = w.iter().zip(window).map(|(a, b)| a * b).sum::<f64>();
    }
}

/// Any number of taps: one scaled, shifted copy per tap over a chunk that stays in the cache.
fn chunked(out: &mut [f64], src: &[f64], w: &[f64]) {
    for (c, out) in out.chunks_mut(CHUNK).enumerate() {
        out.fill(0.0);
        for (k, &p) in w.iter().enumerate() {
            let from = &src[c * CHUNK + k..][..out.len()];
            for (o, s) in out.iter_mut().zip(from) {
                *o += p * s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::set_filtered;

    /// Every loop computes the same filter as the plain double sum.
    #[test]
    fn every_filter_length_matches_the_plain_sum() {
        for taps in 1..=40usize {
            for equal in [true, false] {
                let w: Vec<f64> = (0..taps)
                    .map(|k| {
                        if equal {
                            0.125
                        } else {
                            (k as f64 + 1.0) / 64.0
                        }
                    })
                    .collect();
                let len = 700;
                let src: Vec<f64> = (0..len + taps - 1)
                    .map(|i| ((i * 7919) % 101) as f64 / 128.0)
                    .collect();
                let mut out = vec![1.0; len];
                set_filtered(&mut out, &src, &w);
                for (j, &o) in out.iter().enumerate() {
                    let want = (0..taps).map(|k| w[k] * src[j + k]).sum::<f64>();
                    assert!(
                        (o - want).abs() <= 1e-12 * want,
                        "{taps} taps, out[{j}]: {o} vs {want}"
                    );
                }
            }
        }
    }
}
