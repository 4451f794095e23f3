//! The sentence ranker: the linear score of the features plus a small
//! residual network (one tanh layer) that learns how features interact,
//! e.g. that proximity matters more when coverage is high. Pure.
//!
//! The residual starts at zero and is fitted after the linear weights (see
//! `verbatim bench squad --fit`), so the linear model alone is always the
//! baseline it must beat on the tuning split.

use std::fmt::Write;
use std::sync::LazyLock;

use super::features::{Feature, Features};
use super::weights;

/// Hidden units of the residual network.
pub(crate) const HIDDEN: usize = weights::HIDDEN;

/// Number of features.
const N: usize = Feature::COUNT;

/// One tanh hidden layer and a linear output, added to the linear score.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Residual {
    /// Input weights of each hidden unit, by feature position.
    pub(crate) w1: [[f64; N]; HIDDEN],
    /// Bias of each hidden unit.
    pub(crate) b1: [f64; HIDDEN],
    /// Output weight of each hidden unit.
    pub(crate) w2: [f64; HIDDEN],
}

impl Residual {
    /// A network that adds nothing.
    pub(crate) const ZERO: Residual = Residual {
        w1: [[0.0; N]; HIDDEN],
        b1: [0.0; HIDDEN],
        w2: [0.0; HIDDEN],
    };

    /// The hidden activations for `f`.
    pub(crate) fn hidden(&self, f: &Features) -> [f64; HIDDEN] {
        let mut a = [0.0; HIDDEN];
        for (h, out) in a.iter_mut().enumerate() {
            let z: f64 = self.b1[h] + self.w1[h].iter().zip(&f.0).map(|(w, x)| w * x).sum::<f64>();
            *out = z.tanh();
        }
        a
    }

    /// What the network adds to the linear score of `f`.
    fn score(&self, f: &Features) -> f64 {
        self.hidden(f)
            .iter()
            .zip(&self.w2)
            .map(|(a, w)| a * w)
            .sum()
    }
}

/// Linear weights plus the residual network.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Model {
    /// Linear weight of each feature, by position.
    pub(crate) linear: [f64; N],
    /// What the linear score misses.
    pub(crate) residual: Residual,
}

/// The model fitted on the tuning split, from [`weights`].
static FITTED: LazyLock<Model> = LazyLock::new(|| {
    let mut linear = [0.0; N];
    let mut w1 = [[0.0; N]; HIDDEN];
    for (feature, w, hidden) in weights::FEATURE_WEIGHTS {
        linear[feature as usize] = w;
        for (h, v) in hidden.into_iter().enumerate() {
            w1[h][feature as usize] = v;
        }
    }
    Model {
        linear,
        residual: Residual {
            w1,
            b1: weights::HIDDEN_BIAS,
            w2: weights::HIDDEN_OUT,
        },
    }
});

impl Model {
    /// The model the service ranks with.
    pub(crate) fn fitted() -> &'static Model {
        &FITTED
    }

    /// The linear score of `f`.
    pub(crate) fn linear(&self, f: &Features) -> f64 {
        linear(f, &self.linear)
    }

    /// The score of `f` (comparable within one question only).
    pub(crate) fn score(&self, f: &Features) -> f64 {
        self.linear(f) + self.residual.score(f)
    }

    /// The model as the arrays of `weights.rs`, for `bench squad --fit`.
    pub(crate) fn to_rust(&self) -> String {
        let mut s = String::from(
            "pub(super) const FEATURE_WEIGHTS: [(Feature, f64, [f64; HIDDEN]); Feature::COUNT] = [\n",
        );
        for f in Feature::ALL {
            let i = f as usize;
            let hidden: Vec<f64> = (0..HIDDEN).map(|h| self.residual.w1[h][i]).collect();
            let _ = writeln!(s, "    ({f:?}, {:?}, {hidden:?}),", self.linear[i]);
        }
        let _ = writeln!(s, "];");
        let _ = writeln!(
            s,
            "pub(super) const HIDDEN_BIAS: [f64; HIDDEN] = {:?};",
            self.residual.b1
        );
        let _ = writeln!(
            s,
            "pub(super) const HIDDEN_OUT: [f64; HIDDEN] = {:?};",
            self.residual.w2
        );
        s
    }
}

/// The linear score of `f` under `w`.
pub(crate) fn linear(f: &Features, w: &[f64; N]) -> f64 {
    f.0.iter().zip(w).map(|(a, b)| a * b).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_has_exactly_one_fitted_weight() {
        let mut seen = [false; N];
        for (f, _, _) in weights::FEATURE_WEIGHTS {
            assert!(!seen[f as usize], "{} is weighted twice", f.name());
            seen[f as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }
}
