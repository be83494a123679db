//! Coverage of central credible intervals and the calibration error built on it.

use super::summary::PosteriorSummary;
use crate::checks;
use crate::error::{Result, input};
use ndarray::Array2;

/// Empirical coverage of central credible intervals `(levels, parameters)`: for level `α`, the
/// fraction of data sets whose truth lies in `[q_{(1−α)/2}, q_{(1+α)/2}]` of its posterior
/// draws (quantiles by linear interpolation). A calibrated posterior has coverage `α` at every
/// level (up to binomial noise over data sets); below `α` means over-confident, above `α`
/// under-confident.
pub fn expected_coverage(summary: &PosteriorSummary, levels: &[f64]) -> Result<Array2<f64>> {
    for &a in levels {
        if !(0.0..=1.0).contains(&a) {
            return Err(input(
                "expected_coverage",
                format!("levels must lie in [0, 1], got {a}"),
            ));
        }
    }
    let (n, p) = (summary.num_datasets(), summary.num_parameters());
    let mut out = Array2::zeros((levels.len(), p));
    for j in 0..p {
        for i in 0..n {
            let t = summary.truths[[i, j]];
            for (k, &a) in levels.iter().enumerate() {
                let lo = summary.quantile(i, j, (1.0 - a) / 2.0);
                let hi = summary.quantile(i, j, (1.0 + a) / 2.0);
                if lo <= t && t <= hi {
                    out[[k, j]] += 1.0;
                }
            }
        }
    }
    out.mapv_inplace(|c| c / n as f64);
    Ok(out)
}

/// Settings of [`calibration_error`]; the defaults are BayesFlow's.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationErrorConfig {
    /// Number of interval levels `α`, evenly spaced from `min_level` to `max_level`.
    pub resolution: usize,
    /// Smallest level.
    pub min_level: f64,
    /// Largest level.
    pub max_level: f64,
}

impl Default for CalibrationErrorConfig {
    fn default() -> Self {
        Self {
            resolution: 20,
            min_level: 0.005,
            max_level: 0.995,
        }
    }
}

impl CalibrationErrorConfig {
    /// The levels `α_k = min + k (max − min) / (resolution − 1)`.
    pub fn levels(&self) -> Vec<f64> {
        let r = self.resolution.max(2);
        (0..r)
            .map(|k| self.min_level + k as f64 * (self.max_level - self.min_level) / (r - 1) as f64)
            .collect()
    }
}

/// The calibration error per parameter (BayesFlow's `calibration_error`; Radev et al. 2023,
/// "JANA: jointly amortized neural approximation of complex Bayesian models"): the median over
/// levels `α_k` of `|c(α_k) − α_k|`, where `c(α)` is the [`expected_coverage`] of the central
/// `α` interval. 0 is perfect; the worst value is about 0.5.
pub fn calibration_error(
    summary: &PosteriorSummary,
    cfg: &CalibrationErrorConfig,
) -> Result<Vec<f64>> {
    checks::level("calibration_error", "min_level", cfg.min_level)?;
    checks::level("calibration_error", "max_level", cfg.max_level)?;
    if cfg.resolution < 2 || cfg.min_level >= cfg.max_level {
        return Err(input(
            "calibration_error",
            format!(
                "need resolution ≥ 2 and min_level < max_level, got {}, {}, {}",
                cfg.resolution, cfg.min_level, cfg.max_level
            ),
        ));
    }
    let levels = cfg.levels();
    let coverage = expected_coverage(summary, &levels)?;
    Ok(coverage
        .columns()
        .into_iter()
        .map(|col| {
            let mut err: Vec<f64> = col
                .iter()
                .zip(&levels)
                .map(|(c, a)| (c - a).abs())
                .collect();
            median(&mut err)
        })
        .collect())
}

/// The median of `x` (mean of the two middle values for an even length; NaN when empty).
pub(crate) fn median(x: &mut [f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    x.sort_unstable_by(f64::total_cmp);
    let n = x.len();
    if n % 2 == 1 {
        x[n / 2]
    } else {
        0.5 * (x[n / 2 - 1] + x[n / 2])
    }
}
