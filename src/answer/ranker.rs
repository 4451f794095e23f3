//! The sentence ranker: the linear score of the features plus a small
//! residual network (one tanh layer) that learns how features interact,
//! e.g. that proximity matters more when coverage is high. Pure.
//!
//! The residual starts at zero and is fitted after the linear weights (see
//! `verbatim bench squad --fit`), so the linear model alone is always the
//! baseline it must beat on the tuning split.

use super::weights::{FEATURES, RESIDUAL, WEIGHTS};

/// Hidden units of the residual network.
pub const HIDDEN: usize = 12;

/// One tanh hidden layer and a linear output, added to the linear score.
#[derive(Debug, Clone, PartialEq)]
pub struct Residual {
    /// Input weights of each hidden unit.
    pub w1: [[f64; FEATURES]; HIDDEN],
    /// Bias of each hidden unit.
    pub b1: [f64; HIDDEN],
    /// Output weight of each hidden unit.
    pub w2: [f64; HIDDEN],
}

impl Residual {
    /// A network that adds nothing.
    pub const ZERO: Residual = Residual {
        w1: [[0.0; FEATURES]; HIDDEN],
        b1: [0.0; HIDDEN],
        w2: [0.0; HIDDEN],
    };

    /// The hidden activations for `f`.
    pub fn hidden(&self, f: &[f64; FEATURES]) -> [f64; HIDDEN] {
        let mut a = [0.0; HIDDEN];
        for (h, out) in a.iter_mut().enumerate() {
            let z: f64 = self.b1[h] + self.w1[h].iter().zip(f).map(|(w, x)| w * x).sum::<f64>();
            *out = z.tanh();
        }
        a
    }

    /// What the network adds to the linear score of `f`.
    pub fn score(&self, f: &[f64; FEATURES]) -> f64 {
        self.hidden(f)
            .iter()
            .zip(&self.w2)
            .map(|(a, w)| a * w)
            .sum()
    }
}

/// The linear score of `f` under `w`.
pub fn linear(f: &[f64; FEATURES], w: &[f64; FEATURES]) -> f64 {
    f.iter().zip(w).map(|(a, b)| a * b).sum()
}

/// The score of `f` under given weights (comparable within one question only).
pub fn score_with(f: &[f64; FEATURES], w: &[f64; FEATURES], r: &Residual) -> f64 {
    linear(f, w) + r.score(f)
}

/// The score of `f` under the fitted weights.
pub fn score(f: &[f64; FEATURES]) -> f64 {
    score_with(f, &WEIGHTS, &RESIDUAL)
}
