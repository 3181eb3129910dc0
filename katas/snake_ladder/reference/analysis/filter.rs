//! The free move of one turn as a filter over the window: `out[j] += Σ_k w[k] · src[j + k]`,
//! with `w` the roll probabilities, highest roll first.
//!
//! This is the inner loop of the distribution (billions of output squares on a board of 10⁶
//! squares), so it is written for the compiler to vectorise: for up to [`MAX_FIXED`] taps the
//! tap count is a constant (one monomorphised loop per count), the taps live in registers and
//! each output square is read once and written once. The common dice — one die, or the rolls
//! that do not earn an extra turn — have equal taps, so the sum is formed first and scaled
//! once: `W − 1` additions and one multiplication per square instead of `W` of each. Longer
//! filters (many dice with many faces) fall back to one scaled, shifted copy per tap, in
//! cache-sized chunks.

/// The longest filter with a loop of its own.
const MAX_FIXED: usize = 16;

/// Adds `Σ_k w[k] · src[j + k]` to every `out[j]`. `src` must hold at least
/// `out.len() + w.len() − 1` values.
pub(super) fn add_filtered(out: &mut [f64], src: &[f64], w: &[f64]) {
    let Some(&first) = w.first() else {
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

/// `W` equal taps `p`: the window's sum, scaled once.
fn boxed<const W: usize>(out: &mut [f64], src: &[f64], p: f64) {
    let src = &src[..out.len() + W - 1];
    for (j, o) in out.iter_mut().enumerate() {
        let window: &[f64; W] = src[j..j + W].try_into().expect("W values");
        *o += p * window.iter().sum::<f64>();
    }
}

/// `W` taps of any weight.
fn fixed<const W: usize>(out: &mut [f64], src: &[f64], w: &[f64; W]) {
    let src = &src[..out.len() + W - 1];
    for (j, o) in out.iter_mut().enumerate() {
        let window: &[f64; W] = src[j..j + W].try_into().expect("W values");
        *o += w.iter().zip(window).map(|(a, b)| a * b).sum::<f64>();
    }
}

/// Any number of taps: one scaled, shifted copy per tap over a chunk that stays in the cache.
fn chunked(out: &mut [f64], src: &[f64], w: &[f64]) {
    const CHUNK: usize = 256;
    for (c, out) in out.chunks_mut(CHUNK).enumerate() {
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
    use super::add_filtered;

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
                add_filtered(&mut out, &src, &w);
                for (j, &o) in out.iter().enumerate() {
                    let want = 1.0 + (0..taps).map(|k| w[k] * src[j + k]).sum::<f64>();
                    assert!(
                        (o - want).abs() <= 1e-12 * want,
                        "{taps} taps, out[{j}]: {o} vs {want}"
                    );
                }
            }
        }
    }
}
