//! The element-wise math of the encoder, written so the compiler can
//! vectorize it: `exp` for the attention softmax and `erf` for GELU, both
//! without calls into libm (which run one value at a time and were a fifth
//! of the forward pass in a profile). Pure.

/// e^x for x ≤ 0 (softmax inputs after the row maximum is subtracted), with
/// a relative error under 2e-7; inputs below −87 give 0.
#[inline(always)]
fn exp_nonpositive(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split in two so `x - n·ln2` keeps its low bits.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5·2^23 rounds to the nearest integer.
    const ROUND: f32 = 12_582_912.0;
    let under = x < -87.0;
    let x = x.max(-87.0);
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    // e^r on [−ln2/2, ln2/2] (Cephes' expf polynomial).
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let er = p * r * r + r + 1.0;
    // 2^n through the exponent bits (n ≥ −126 here).
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    if under {
        0.0
    } else {
        er * scale
    }
}

/// erf(x), as Eigen and XLA compute it for f32: a rational function of x
/// on [−4, 4] (|erf| is 1 to f32 precision beyond), absolute error under
/// 1e-6.
#[inline(always)]
fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10_f32;
    p = p * x2 + 2.770_681_4e-8;
    p = p * x2 + -2.101_024e-6;
    p = p * x2 + -5.692_506_4e-5;
    p = p * x2 + -7.349_906_3e-4;
    p = p * x2 + -2.954_600_3e-3;
    p = p * x2 + -1.609_603_3e-2;
    let mut q = -1.456_607_2e-5_f32;
    q = q * x2 + -2.133_740_6e-4;
    q = q * x2 + -1.682_827e-3;
    q = q * x2 + -7.373_329_3e-3;
    q = q * x2 + -1.426_474e-2;
    x * p / q
}

/// GELU in place, the exact (erf) form BERT was trained with:
/// x · ½ · (1 + erf(x / √2)).
pub(super) fn gelu(xs: &mut [f32]) {
    for x in xs {
        *x = 0.5 * *x * (1.0 + erf(*x * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// Lanes of the reductions below: independent accumulators, so the
/// compiler can keep them in one vector register (a single running value
/// would force one addition at a time, in order).
const LANES: usize = 16;

fn max_of(xs: &[f32]) -> f32 {
    let mut acc = [f32::MIN; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a = if x > *a { x } else { *a };
        }
    }
    rest.iter()
        .chain(&acc)
        .fold(f32::MIN, |m, &x| if x > m { x } else { m })
}

fn sum_of(xs: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let chunks = xs.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    rest.iter().chain(&acc).sum()
}

/// Softmax of each `row`-long row of `xs`, in place, after adding `mask`
/// (one additive value per column: 0 to keep, a large negative to drop).
pub(super) fn masked_softmax(xs: &mut [f32], row: usize, mask: &[f32]) {
    debug_assert_eq!(mask.len(), row);
    for r in xs.chunks_exact_mut(row) {
        for (x, m) in r.iter_mut().zip(mask) {
            *x += m;
        }
        let max = max_of(r);
        for x in r.iter_mut() {
            *x = exp_nonpositive(*x - max);
        }
        let inv = 1.0 / sum_of(r);
        for x in r.iter_mut() {
            *x *= inv;
        }
    }
}

/// Layer norm of each `gamma.len()`-long row of `rows`, in place.
pub(super) fn layer_norm(rows: &mut [f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let w = gamma.len();
    for r in rows.chunks_exact_mut(w) {
        let mean = sum_of(r) / w as f32;
        let mut centred = [0.0f32; LANES];
        for c in r.chunks(LANES) {
            for (a, x) in centred.iter_mut().zip(c) {
                *a += (x - mean) * (x - mean);
            }
        }
        let var = centred.iter().sum::<f32>() / w as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((x, g), b) in r.iter_mut().zip(gamma).zip(beta) {
            *x = (*x - mean) * inv * g + b;
        }
    }
}

/// Mean of each input's real (mask 1) rows of `hidden` (inputs of `width`
/// rows of `D` values, row-major), scaled to unit length.
pub(super) fn mean_pool<const D: usize>(
    hidden: &[f32],
    mask: &[u32],
    width: usize,
) -> Vec<[f32; D]> {
    hidden
        .chunks_exact(width * D)
        .zip(mask.chunks_exact(width))
        .map(|(rows, m)| {
            let mut v = [0.0f32; D];
            for (row, _) in rows.chunks_exact(D).zip(m).filter(|(_, &m)| m != 0) {
                for (a, x) in v.iter_mut().zip(row) {
                    *a += x;
                }
            }
            // The mean's direction is the sum's: only its length matters.
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            let scale = 1.0 / norm.max(1e-12);
            v.iter_mut().for_each(|x| *x *= scale);
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// erf by its defining integral (Simpson's rule in f64), the reference
    /// the approximation is checked against.
    fn erf_f64(x: f64) -> f64 {
        let n = 20_000;
        let h = x / n as f64;
        let f = |t: f64| (-t * t).exp();
        let mut s = f(0.0) + f(x);
        for i in 1..n {
            s += f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        s * h / 3.0 * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn exp_is_close_to_std_for_softmax_inputs() {
        let mut worst: f32 = 0.0;
        for i in 0..=100_000 {
            let x = -(i as f32) * 87.0 / 100_000.0;
            let (got, want) = (exp_nonpositive(x), x.exp());
            if want > 1e-30 {
                worst = worst.max(((got - want) / want).abs());
            }
        }
        assert!(worst < 5e-7, "worst relative error {worst}");
        assert_eq!(exp_nonpositive(-88.0), 0.0);
        assert_eq!(exp_nonpositive(f32::MIN), 0.0);
        assert_eq!(exp_nonpositive(0.0), 1.0);
    }

    #[test]
    fn erf_is_close_to_the_integral() {
        let mut worst: f64 = 0.0;
        for i in -60..=60 {
            let x = i as f64 / 10.0;
            worst = worst.max((erf(x as f32) as f64 - erf_f64(x)).abs());
        }
        assert!(worst < 2e-6, "worst absolute error {worst}");
    }

    #[test]
    fn softmax_rows_sum_to_one_and_masked_columns_vanish() {
        let mut xs = vec![1.0, 2.0, 3.0, 50.0, -4.0, 0.0, 4.0, 9.0];
        masked_softmax(&mut xs, 4, &[0.0, 0.0, 0.0, f32::MIN]);
        for r in xs.chunks(4) {
            assert!((r.iter().sum::<f32>() - 1.0).abs() < 1e-6);
            assert_eq!(r[3], 0.0);
        }
        let e = [1f32.exp(), 2f32.exp(), 3f32.exp()];
        let s: f32 = e.iter().sum();
        assert!((xs[2] - e[2] / s).abs() < 1e-6);
    }

    #[test]
    fn layer_norm_centres_and_scales() {
        let mut xs = [1.0f32, 2.0, 3.0, 4.0];
        layer_norm(&mut xs, &[1.0, 1.0, 2.0, 2.0], &[0.0, 0.0, 0.0, 1.0], 0.0);
        let z = 1.5 / 1.25f32.sqrt();
        let want = [-z, -z / 3.0, 2.0 * z / 3.0, 2.0 * z + 1.0];
        for (g, w) in xs.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{xs:?}");
        }
    }

    #[test]
    fn mean_pool_skips_padding_and_normalises() {
        // Two inputs of width 2, dim 2; the second's second row is padding.
        let hidden = [3.0, 0.0, 3.0, 8.0, 0.0, 2.0, 9.0, 9.0];
        let v = mean_pool::<2>(&hidden, &[1, 1, 1, 0], 2);
        assert!((v[0][0] - 0.6).abs() < 1e-6 && (v[0][1] - 0.8).abs() < 1e-6);
        assert_eq!(v[1], [0.0, 1.0]);
    }

    #[test]
    fn gelu_matches_its_definition() {
        let mut xs = [-3.0f32, -1.0, 0.0, 0.5, 2.0];
        let want: Vec<f64> = xs
            .iter()
            .map(|&x| {
                let x = x as f64;
                0.5 * x * (1.0 + erf_f64(x / 2f64.sqrt()))
            })
            .collect();
        gelu(&mut xs);
        for (g, w) in xs.iter().zip(want) {
            assert!((*g as f64 - w).abs() < 2e-6, "{g} vs {w}");
        }
    }
}
