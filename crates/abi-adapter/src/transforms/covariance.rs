//! `as_covariance_matrix`: symmetric positive definite matrices ↔ unconstrained vectors
//! through their Cholesky factor.

use super::step::{Step, invalid, map_rows, restrict_keys, shape_error};
use crate::data::Data;
use crate::elementwise::{Constrain, ConstrainMethod, Elementwise};
use crate::error::{AdapterError, Result};
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use serde::{Deserialize, Serialize};
use std::f64::consts::LN_2;

/// Relative asymmetry `|a_ij − a_ji|` a covariance matrix may have.
const SYMMETRY_TOLERANCE: f64 = 1e-9;

/// Maps covariance matrices (last two axes `K × K`, symmetric positive definite) to vectors
/// of `K (K + 1) / 2` unconstrained values, and back: with `Σ = L Lᵀ` (Cholesky, positive
/// diagonal), first the `K` diagonal entries of `L` mapped to the real line like
/// `constrain(lower = 0)` (softplus by default, or exp), then the entries below the diagonal
/// row by row (`L₁₀, L₂₀, L₂₁, L₃₀, …`). The inverse builds `L L ᵀ`, so it always gives a
/// valid covariance matrix. The log-det is that of the map from the lower triangle of `Σ`:
/// `Σ_i ln |c'(L_ii)| − K ln 2 − Σ_i (K − i) ln L_ii` (`i` from 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsCovarianceMatrix {
    /// Entries.
    pub keys: Vec<String>,
    /// Map of the diagonal: `softplus` (default) or `exp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<ConstrainMethod>,
}

/// `K` with `K (K + 1) / 2 = p`, if there is one.
fn triangle_side(p: usize) -> Option<usize> {
    let k = ((((8 * p + 1) as f64).sqrt() - 1.0) / 2.0).round() as usize;
    (k >= 1 && k * (k + 1) / 2 == p).then_some(k)
}

impl AsCovarianceMatrix {
    fn diagonal(&self) -> Elementwise {
        Elementwise::Constrain(Constrain {
            lower: Some(0.0),
            upper: None,
            method: self.method,
        })
    }

    fn domain_error(&self, key: &str, value: f64, what: &str) -> AdapterError {
        AdapterError::Domain {
            transform: self.name().into(),
            key: key.into(),
            value,
            domain: format!("symmetric positive definite matrices ({what})"),
        }
    }

    /// `a` (K × K, row-major) → the vector; returns the log-det.
    fn unconstrain(&self, key: &str, k: usize, a: &[f64], out: &mut [f64]) -> Result<f64> {
        let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for i in 0..k {
            for j in 0..i {
                let gap = (a[i * k + j] - a[j * k + i]).abs();
                if !(gap <= SYMMETRY_TOLERANCE * (1.0 + scale)) {
                    return Err(self.domain_error(key, gap, "this one is not symmetric"));
                }
            }
        }
        let mut l = vec![0.0f64; k * k];
        for j in 0..k {
            let s = a[j * k + j] - (0..j).map(|m| l[j * k + m].powi(2)).sum::<f64>();
            if !(s > 0.0 && s.is_finite()) {
                return Err(self.domain_error(key, s, "a Cholesky pivot is not positive"));
            }
            l[j * k + j] = s.sqrt();
            for i in j + 1..k {
                let dot: f64 = (0..j).map(|m| l[i * k + m] * l[j * k + m]).sum();
                l[i * k + j] = (a[i * k + j] - dot) / l[j * k + j];
            }
        }
        let diag = self.diagonal();
        let mut ldj = -(k as f64) * LN_2;
        for i in 0..k {
            let d = l[i * k + i];
            out[i] = diag.forward(d);
            ldj += diag.log_abs_derivative(d) - (k - i) as f64 * d.ln();
        }
        let mut p = k;
        for i in 1..k {
            for j in 0..i {
                out[p] = l[i * k + j];
                p += 1;
            }
        }
        Ok(ldj)
    }

    /// The vector → `L Lᵀ` (K × K, row-major).
    fn constrain(&self, k: usize, v: &[f64], a: &mut [f64]) {
        let diag = self.diagonal();
        let mut l = vec![0.0f64; k * k];
        for i in 0..k {
            l[i * k + i] = diag.inverse(v[i]);
        }
        let mut p = k;
        for i in 1..k {
            for j in 0..i {
                l[i * k + j] = v[p];
                p += 1;
            }
        }
        for i in 0..k {
            for j in 0..=i {
                let s: f64 = (0..=j).map(|m| l[i * k + m] * l[j * k + m]).sum();
                a[i * k + j] = s;
                a[j * k + i] = s;
            }
        }
    }
}

impl Step for AsCovarianceMatrix {
    fn name(&self) -> &'static str {
        "as_covariance_matrix"
    }

    fn validate(&self) -> Result<()> {
        match self.method {
            None | Some(ConstrainMethod::Softplus | ConstrainMethod::Exp) => Ok(()),
            Some(m) => Err(invalid(
                self.name(),
                format!("the diagonal map must be softplus or exp, not {m:?}"),
            )),
        }
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        mut ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        for key in &self.keys {
            let x = data.f64(self.name(), key)?;
            let n = x.ndim();
            if n < 2 || x.shape()[n - 1] != x.shape()[n - 2] || x.shape()[n - 1] == 0 {
                let k = x.shape().last().copied().unwrap_or(1).max(1);
                return Err(shape_error(self.name(), key, vec![k, k], x.shape()));
            }
            let k = x.shape()[n - 1];
            let (y, l) = map_rows(self.name(), &x, 2, &[k * (k + 1) / 2], |row, out| {
                self.unconstrain(key, k, row, out)
            })?;
            if let Some(acc) = ldj.as_deref_mut() {
                // the matrix has no log-det of its own shape: only an all-zero one can pass
                acc.reshaped(self.name(), key)?;
                acc.put(key, l);
            }
            data.set(key.clone(), y);
        }
        Ok(())
    }

    fn inverse(&self, data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        for key in &self.keys {
            let Some(a) = data.get(key) else { continue };
            let v = a.to_f64();
            let p = v.shape().last().copied().unwrap_or(0);
            let Some(k) = triangle_side(p).filter(|_| v.ndim() >= 1) else {
                return Err(invalid(
                    self.name(),
                    format!(
                        "`{key}` has shape {:?}: its last axis must hold K (K + 1) / 2 values",
                        v.shape()
                    ),
                ));
            };
            let (x, _) = map_rows(self.name(), &v, 1, &[k, k], |row, out| {
                self.constrain(k, row, out);
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

#[cfg(test)]
mod tests {
    use super::triangle_side;

    #[test]
    fn triangle_sides() {
        assert_eq!(triangle_side(1), Some(1));
        assert_eq!(triangle_side(3), Some(2));
        assert_eq!(triangle_side(6), Some(3));
        assert_eq!(triangle_side(10), Some(4));
        assert_eq!(triangle_side(0), None);
        assert_eq!(triangle_side(4), None);
    }
}
