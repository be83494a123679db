//! Running mean and variance per feature, for `standardize`.

use crate::error::{AdapterError, Result};
use ndarray::ArrayD;
use serde::{Deserialize, Serialize};

/// Running mean and variance per feature (last axis), merged batch by batch. Saved exactly
/// (non-finite values included) so a loaded adapter standardises to the same bits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunningStats {
    /// Number of values seen per feature.
    #[serde(with = "crate::float::exact")]
    pub count: f64,
    /// Mean per feature.
    #[serde(with = "crate::float::exact_vec")]
    pub mean: Vec<f64>,
    /// Sum of squared deviations per feature.
    #[serde(with = "crate::float::exact_vec")]
    pub m2: Vec<f64>,
}

impl RunningStats {
    /// The statistics of `x` (rows × features, any leading axes flattened into rows).
    pub(crate) fn of(key: &str, x: &ArrayD<f64>) -> Result<Self> {
        let d = x.shape().last().copied().unwrap_or(1);
        let rows = x.len() / d.max(1);
        let flat = x
            .as_standard_layout()
            .into_owned()
            .into_shape_with_order((rows, d))
            .map_err(|e| AdapterError::Invalid {
                transform: "standardize".into(),
                reason: format!("cannot view `{key}` as rows of {d} features: {e}"),
            })?;
        let mean: Vec<f64> = (0..d).map(|j| flat.column(j).sum() / rows as f64).collect();
        let m2 = (0..d)
            .map(|j| flat.column(j).iter().map(|v| (v - mean[j]).powi(2)).sum())
            .collect();
        Ok(RunningStats {
            count: rows as f64,
            mean,
            m2,
        })
    }

    /// The statistics of the rows of `x` whose `keep` flag is set (`keep` has one flag per
    /// row, rows as in [`RunningStats::of`]).
    pub(crate) fn of_rows(key: &str, x: &ArrayD<f64>, keep: &[bool]) -> Result<Self> {
        let d = x.shape().last().copied().unwrap_or(1);
        let rows = x.len() / d.max(1);
        if keep.len() != rows {
            return Err(AdapterError::Invalid {
                transform: "standardize".into(),
                reason: format!(
                    "the mask of `{key}` flags {} elements, but `{key}` has {rows} rows of {d} features",
                    keep.len()
                ),
            });
        }
        let x = x.as_standard_layout();
        let values = x.as_slice().unwrap_or(&[]);
        let kept: Vec<&[f64]> = values
            .chunks(d.max(1))
            .zip(keep)
            .filter_map(|(row, &k)| k.then_some(row))
            .collect();
        let count = kept.len();
        let mean: Vec<f64> = (0..d)
            .map(|j| kept.iter().map(|r| r[j]).sum::<f64>() / count.max(1) as f64)
            .collect();
        let m2 = (0..d)
            .map(|j| kept.iter().map(|r| (r[j] - mean[j]).powi(2)).sum())
            .collect();
        Ok(RunningStats {
            count: count as f64,
            mean,
            m2,
        })
    }

    /// Merges statistics of more data (Chan et al.'s parallel update).
    pub(crate) fn merge(&mut self, other: &RunningStats) {
        if other.count == 0.0 {
            return;
        }
        if self.count == 0.0 {
            *self = other.clone();
            return;
        }
        let n = self.count + other.count;
        for j in 0..self.mean.len() {
            let delta = other.mean[j] - self.mean[j];
            self.mean[j] += delta * other.count / n;
            self.m2[j] += other.m2[j] + delta * delta * self.count * other.count / n;
        }
        self.count = n;
    }

    /// Standard deviation per feature (1 where a feature is constant).
    pub fn std(&self) -> Vec<f64> {
        self.m2
            .iter()
            .map(|m2| {
                let s = (m2 / self.count).sqrt();
                if s > 1e-12 { s } else { 1.0 }
            })
            .collect()
    }
}
