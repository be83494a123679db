//! `as_simplex`: points of the probability simplex ↔ unconstrained vectors.

use super::step::{Step, map_rows, restrict_keys, shape_error};
use crate::data::Data;
use crate::elementwise::numeric::sigmoid;
use crate::error::{AdapterError, Result};
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use serde::{Deserialize, Serialize};

/// How far the entries of a simplex point may sum from 1.
pub(crate) const SIMPLEX_TOLERANCE: f64 = 1e-6;

/// How [`AsSimplex`] maps the simplex to unconstrained vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SimplexMethod {
    /// Softmax with the last logit fixed at 0: `y_i = ln(x_i / x_K)` (additive log-ratio);
    /// the inverse is `softmax([y, 0])`.
    #[default]
    Softmax,
    /// Stick breaking: `y_k = logit(x_k / (x_k + … + x_K)) + ln(K − k)`, so that the centre of
    /// the simplex maps to 0.
    #[serde(alias = "stick")]
    StickBreaking,
}

/// Maps points of the simplex (`K ≥ 2` positive entries on the last axis summing to 1, e.g.
/// mixture weights) to `K − 1` unconstrained values, and back. The log-det is
/// `−Σ_i ln x_i` for both methods (density with respect to the first `K − 1` entries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsSimplex {
    /// Entries.
    pub keys: Vec<String>,
    /// The map (default softmax).
    #[serde(default)]
    pub method: SimplexMethod,
}

impl AsSimplex {
    /// `x` (K values on the simplex) → `y` (K − 1); returns the log-det.
    fn unconstrain(&self, key: &str, x: &[f64], y: &mut [f64]) -> Result<f64> {
        let k = x.len();
        if let Some(bad) = x.iter().find(|v| !(**v > 0.0 && v.is_finite())) {
            return Err(self.domain_error(key, *bad));
        }
        let sum: f64 = x.iter().sum();
        if (sum - 1.0).abs() > SIMPLEX_TOLERANCE * k as f64 {
            return Err(self.domain_error(key, sum));
        }
        match self.method {
            SimplexMethod::Softmax => {
                let last = x[k - 1].ln();
                for (yi, xi) in y.iter_mut().zip(x) {
                    *yi = xi.ln() - last;
                }
            }
            SimplexMethod::StickBreaking => {
                // after[i] = x_{i+1} + … + x_K, the stick left after piece i, summed from the
                // end so that small pieces keep their precision
                let mut after = vec![0.0; k];
                for i in (0..k - 1).rev() {
                    after[i] = after[i + 1] + x[i + 1];
                }
                for i in 0..k - 1 {
                    y[i] = x[i].ln() - after[i].ln() + ((k - 1 - i) as f64).ln();
                }
            }
        }
        Ok(-x.iter().map(|v| v.ln()).sum::<f64>())
    }

    /// `y` (K − 1 values) → `x` (K values on the simplex).
    fn constrain(&self, y: &[f64], x: &mut [f64]) {
        let k = x.len();
        match self.method {
            SimplexMethod::Softmax => {
                let m = y.iter().copied().fold(0.0, f64::max);
                for (xi, yi) in x.iter_mut().zip(y) {
                    *xi = (yi - m).exp();
                }
                x[k - 1] = (-m).exp();
                let s: f64 = x.iter().sum();
                x.iter_mut().for_each(|v| *v /= s);
            }
            SimplexMethod::StickBreaking => {
                let mut stick = 1.0;
                for i in 0..k - 1 {
                    let t = y[i] - ((k - 1 - i) as f64).ln();
                    x[i] = stick * sigmoid(t);
                    stick *= sigmoid(-t);
                }
                x[k - 1] = stick;
            }
        }
    }

    fn domain_error(&self, key: &str, value: f64) -> AdapterError {
        AdapterError::Domain {
            transform: self.name().into(),
            key: key.into(),
            value,
            domain: format!(
                "the simplex (positive entries summing to 1 within {SIMPLEX_TOLERANCE} per entry)"
            ),
        }
    }
}

impl Step for AsSimplex {
    fn name(&self) -> &'static str {
        "as_simplex"
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        mut ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        for key in &self.keys {
            let x = data.f64(self.name(), key)?;
            let k = x.shape().last().copied().unwrap_or(0);
            if x.ndim() == 0 || k < 2 {
                return Err(shape_error(self.name(), key, vec![2], x.shape()));
            }
            let (y, l) = map_rows(self.name(), &x, 1, &[k - 1], |row, out| {
                self.unconstrain(key, row, out)
            })?;
            if let Some(acc) = ldj.as_deref_mut() {
                acc.add(self.name(), key, l)?;
            }
            data.set(key.clone(), y);
        }
        Ok(())
    }

    fn inverse(&self, data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        for key in &self.keys {
            let Some(a) = data.get(key) else { continue };
            let y = a.to_f64();
            let k1 = y.shape().last().copied().unwrap_or(0);
            if y.ndim() == 0 || k1 == 0 {
                return Err(shape_error(self.name(), key, vec![1], y.shape()));
            }
            let (x, _) = map_rows(self.name(), &y, 1, &[k1 + 1], |row, out| {
                self.constrain(row, out);
                Ok(0.0)
            })?;
            data.set(key.clone(), x);
        }
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(restrict_keys(&mut self.keys, data))
    }
}
