//! TARP: tests of accuracy with random points (Lemos, Coogan, Hezaveh & Perreault-Levasseur
//! 2023, "Sampling-based accuracy testing of posterior estimators for general inference",
//! ICML).

use crate::checks;
use crate::error::{Result, input};
use ndarray::{ArrayView2, ArrayView3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Settings of [`tarp`].
#[derive(Debug, Clone, PartialEq)]
pub struct TarpConfig {
    /// Credibility levels evaluated: `α_k = k / bins`, `k = 0..=bins`.
    pub bins: usize,
    /// Seed of the random reference points.
    pub seed: u64,
}

impl Default for TarpConfig {
    fn default() -> Self {
        Self { bins: 50, seed: 7 }
    }
}

/// The TARP expected-coverage curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Tarp {
    /// Credibility levels `α_k`.
    pub alpha: Vec<f64>,
    /// Expected coverage probability at each level.
    pub ecp: Vec<f64>,
    /// `max_k |ECP(α_k) − α_k|`.
    pub max_error: f64,
}

/// The TARP expected coverage of the joint posterior.
///
/// Parameters are scaled to `[0, 1]` by the range of the truths. For data set `i` a reference
/// point `θ_r` is drawn uniformly from the unit cube, and `f_i` is the fraction of posterior
/// draws closer to `θ_r` (Euclidean) than the truth is: the credibility of the smallest ball
/// around `θ_r` that holds the truth. `ECP(α) = #{i : f_i < α} / N`. A calibrated joint
/// posterior gives `ECP(α) = α` (the curve lies on the diagonal); above the diagonal means
/// under-confident, below over-confident or biased. Unlike marginal checks TARP sees the
/// dependence between parameters, and it is necessary and sufficient for calibration when
/// the reference points are random.
pub fn tarp(draws: ArrayView3<f64>, truths: ArrayView2<f64>, cfg: &TarpConfig) -> Result<Tarp> {
    let (n, m, p) = checks::draws_truths("tarp", &draws, &truths)?;
    if cfg.bins < 2 || cfg.bins > super::MAX_BINS {
        return Err(input(
            "tarp",
            format!("need 2 to {} bins, got {}", super::MAX_BINS, cfg.bins),
        ));
    }
    let (lo, scale): (Vec<f64>, Vec<f64>) = (0..p)
        .map(|j| {
            let c = truths.column(j);
            let lo = c.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = c.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (lo, if hi > lo { hi - lo } else { 1.0 })
        })
        .unzip();
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut reference = vec![0.0; p];
    let mut f = Vec::with_capacity(n);
    for i in 0..n {
        reference.iter_mut().for_each(|r| *r = rng.random::<f64>());
        let dist = |x: &mut dyn Iterator<Item = f64>| -> f64 {
            x.enumerate()
                .map(|(j, v)| {
                    let d = (v - lo[j]) / scale[j] - reference[j];
                    d * d
                })
                .sum()
        };
        let d_true = dist(&mut truths.row(i).iter().copied());
        let closer = (0..m)
            .filter(|&k| dist(&mut draws.slice(ndarray::s![i, k, ..]).iter().copied()) < d_true)
            .count();
        f.push(closer as f64 / m as f64);
    }
    let alpha: Vec<f64> = (0..=cfg.bins).map(|k| k as f64 / cfg.bins as f64).collect();
    let ecp: Vec<f64> = alpha
        .iter()
        .map(|&a| {
            if a >= 1.0 {
                1.0
            } else {
                f.iter().filter(|v| **v < a).count() as f64 / n as f64
            }
        })
        .collect();
    let max_error = ecp
        .iter()
        .zip(&alpha)
        .map(|(e, a)| (e - a).abs())
        .fold(0.0, f64::max);
    Ok(Tarp {
        alpha,
        ecp,
        max_error,
    })
}
