//! Point estimators: means, quantiles and other summaries of the posterior by scoring rules.

use crate::{Activation, Mlp, MlpConfig};
use abi_tensor::{Backend, ParamPath, Result, Tensor, TensorError};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// A scoring rule whose minimiser is the estimate it names (Gneiting & Raftery, 2007).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "score", rename_all = "snake_case")]
pub enum Score {
    /// Squared error: the posterior mean.
    Mean,
    /// Absolute error: the posterior median.
    Median,
    /// Pinball losses at the given levels (in (0, 1), increasing): posterior quantiles, kept in
    /// order by construction (the first from the network, the rest by positive increments).
    Quantiles {
        /// quantile levels
        levels: Vec<f64>,
    },
    /// Negative log-likelihood of a multivariate normal: mean and covariance (through the
    /// Cholesky factor of its precision, so no matrix is inverted in training).
    MvNormal,
}

impl Score {
    fn outputs(&self, dim: usize) -> usize {
        match self {
            Score::Mean | Score::Median => dim,
            Score::Quantiles { levels } => dim * levels.len(),
            Score::MvNormal => dim + dim * (dim + 1) / 2,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Score::Mean => "mean",
            Score::Median => "median",
            Score::Quantiles { .. } => "quantiles",
            Score::MvNormal => "mv_normal",
        }
    }
}

/// Settings of a [`PointEstimator`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointEstimatorConfig {
    /// The estimates to learn (all from one shared trunk).
    pub scores: Vec<Score>,
    /// Hidden widths of the trunk.
    pub widths: Vec<usize>,
    /// Activation.
    pub activation: Activation,
}

impl Default for PointEstimatorConfig {
    fn default() -> Self {
        Self {
            scores: vec![Score::Mean],
            widths: vec![256, 256],
            activation: Activation::Mish,
        }
    }
}

/// Learns point estimates of `v` given conditions `c` by minimising scoring rules: an MLP
/// `c → estimates`, one head per [`Score`].
pub struct PointEstimator<B: Backend> {
    trunk: Mlp<B>,
    scores: Vec<Score>,
    dim: usize,
}

impl<B: Backend> std::fmt::Debug for PointEstimator<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PointEstimator")
            .field("dim", &self.dim)
            .field("scores", &self.scores)
            .finish()
    }
}

/// One named estimate: `(batch, dim)` for means/medians, `(batch, levels, dim)` for quantiles,
/// `(batch, dim)` mean and `(batch, dim, dim)` covariance for the normal.
#[derive(Debug, Clone)]
pub struct Estimate<B: Backend> {
    /// The score's name (`"mean"`, `"median"`, `"quantiles"`, `"mv_normal"`).
    pub name: &'static str,
    /// The estimate.
    pub value: Tensor<B>,
    /// The covariance, for `mv_normal`.
    pub covariance: Option<Tensor<B>>,
}

impl PointEstimatorConfig {
    /// Builds the estimator for `dim` variables and `cond_dim` condition features.
    pub fn build<B: Backend>(
        &self,
        path: &ParamPath<B>,
        dim: usize,
        cond_dim: usize,
        rng: &mut impl Rng,
    ) -> Result<PointEstimator<B>> {
        for s in &self.scores {
            if let Score::Quantiles { levels } = s {
                let ok = !levels.is_empty()
                    && levels.iter().all(|q| *q > 0.0 && *q < 1.0)
                    && levels.windows(2).all(|w| w[0] < w[1]);
                if !ok {
                    return Err(TensorError::InvalidArgument {
                        op: "PointEstimatorConfig",
                        reason: format!(
                            "quantile levels must be increasing in (0, 1), got {levels:?}"
                        ),
                    });
                }
            }
        }
        if self.scores.is_empty() || dim == 0 || cond_dim == 0 {
            return Err(TensorError::InvalidArgument {
                op: "PointEstimatorConfig",
                reason: "need at least one score, dim > 0 and conditions".into(),
            });
        }
        let outputs: usize = self.scores.iter().map(|s| s.outputs(dim)).sum();
        let mut widths = vec![cond_dim];
        widths.extend_from_slice(&self.widths);
        widths.push(outputs);
        Ok(PointEstimator {
            trunk: MlpConfig::new(widths)
                .activation(self.activation)
                .build(&path.sub("trunk"), rng)?,
            scores: self.scores.clone(),
            dim,
        })
    }
}

/// Lower-triangular `(.., d, d)` from `d` diagonal entries (made positive) and `d(d−1)/2`
/// below-diagonal entries, row by row.
fn lower_triangular<B: Backend>(raw: &Tensor<B>, d: usize) -> Result<Tensor<B>> {
    let last = raw.rank() - 1;
    let parts = raw.split(last, &[d, d * (d - 1) / 2])?;
    let diag = parts[0].softplus()?.add_scalar(1e-6)?;
    let zero_shape = {
        let mut s = raw.shape();
        s[last] = 1;
        s
    };
    let zero = Tensor::<B>::zeros(&zero_shape, &raw.device())?;
    // entries: [diag (d), offdiag (m), 0]
    let all = Tensor::cat(&[diag, parts[1].clone(), zero], last)?;
    let zero_slot = d + d * (d - 1) / 2;
    let mut idx = Vec::with_capacity(d * d);
    let mut off = d;
    for i in 0..d {
        for j in 0..d {
            idx.push(if i == j {
                i
            } else if j < i {
                let k = off;
                off += 1;
                k
            } else {
                zero_slot
            });
        }
    }
    let mut shape = raw.shape();
    shape.pop();
    shape.extend([d, d]);
    all.index_select(last, &idx)?.reshape(&shape)
}

impl<B: Backend> PointEstimator<B> {
    fn heads(&self, c: &Tensor<B>) -> Result<Vec<Tensor<B>>> {
        let h = self.trunk.forward(c)?;
        let sizes: Vec<usize> = self.scores.iter().map(|s| s.outputs(self.dim)).collect();
        h.split(h.rank() - 1, &sizes)
    }

    fn quantiles(&self, raw: &Tensor<B>, levels: usize) -> Result<Tensor<B>> {
        // (batch, levels, dim): first level free, then cumulative positive increments
        let b = raw.dim(0)?;
        let r = raw.reshape(&[b, levels, self.dim])?;
        if levels == 1 {
            return Ok(r);
        }
        let parts = r.split(1, &[1, levels - 1])?;
        let steps = Tensor::cat(&[parts[0].clone(), parts[1].softplus()?], 1)?;
        steps.cumsum(1)
    }

    /// The training loss: the sum of the scores' mean losses.
    pub fn loss(&self, v: &Tensor<B>, c: &Tensor<B>) -> Result<Tensor<B>> {
        let mut total = Tensor::scalar(0.0, &v.device())?;
        for (score, raw) in self.scores.iter().zip(self.heads(c)?) {
            let term = match score {
                Score::Mean => raw.sub(v)?.square()?.mean_all()?,
                Score::Median => raw.sub(v)?.abs()?.mean_all()?,
                Score::Quantiles { levels } => {
                    let q = self.quantiles(&raw, levels.len())?;
                    let u = v.unsqueeze(1)?.sub(&q)?; // (batch, levels, dim)
                    let tau = Tensor::<B>::from_f64(levels, &[1, levels.len(), 1], &v.device())?;
                    // pinball: max(τ u, (τ − 1) u)
                    u.mul(&tau)?
                        .maximum(&u.mul(&tau.sub_scalar(1.0)?)?)?
                        .mean_all()?
                }
                Score::MvNormal => {
                    let d = self.dim;
                    let parts = raw.split(1, &[d, d * (d + 1) / 2])?;
                    let l = lower_triangular(&parts[1], d)?; // precision = L Lᵀ
                    let diff = v.sub(&parts[0])?.unsqueeze(1)?; // (batch, 1, d)
                    let z = diff.matmul(&l)?.squeeze(1)?; // Lᵀ (v − μ) as a row
                    let log_diag: Vec<usize> = (0..d).map(|i| i * d + i).collect();
                    let ld = l
                        .reshape(&[l.dim(0)?, d * d])?
                        .index_select(1, &log_diag)?
                        .log()?
                        .sum(&[1], false)?;
                    let nll = z
                        .square()?
                        .sum(&[1], false)?
                        .mul_scalar(0.5)?
                        .sub(&ld)?
                        .add_scalar(0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln())?;
                    nll.mean_all()?
                }
            };
            total = total.add(&term)?;
        }
        Ok(total)
    }

    /// The estimates for conditions `c (batch, cond)`.
    pub fn estimate(&self, c: &Tensor<B>) -> Result<Vec<Estimate<B>>> {
        abi_tensor::no_grad::<B, _>(|| {
            let mut out = Vec::new();
            for (score, raw) in self.scores.iter().zip(self.heads(c)?) {
                let (value, covariance) = match score {
                    Score::Mean | Score::Median => (raw, None),
                    Score::Quantiles { levels } => (self.quantiles(&raw, levels.len())?, None),
                    Score::MvNormal => {
                        let d = self.dim;
                        let parts = raw.split(1, &[d, d * (d + 1) / 2])?;
                        let l = lower_triangular(&parts[1], d)?;
                        (parts[0].clone(), Some(precision_to_covariance(&l, d)?))
                    }
                };
                out.push(Estimate {
                    name: score.name(),
                    value,
                    covariance,
                });
            }
            Ok(out)
        })
    }
}

/// `(L Lᵀ)⁻¹` per row, on the host (small `d`).
fn precision_to_covariance<B: Backend>(l: &Tensor<B>, d: usize) -> Result<Tensor<B>> {
    let b = l.dim(0)?;
    let lv = l.to_f64_vec()?;
    let mut out = Vec::with_capacity(b * d * d);
    for r in 0..b {
        let m = &lv[r * d * d..(r + 1) * d * d];
        // L⁻¹ by forward substitution, covariance = L⁻ᵀ L⁻¹
        let mut inv = vec![0.0; d * d];
        for i in 0..d {
            inv[i * d + i] = 1.0 / m[i * d + i];
            for j in 0..i {
                let s: f64 = (j..i).map(|k| m[i * d + k] * inv[k * d + j]).sum();
                inv[i * d + j] = -s / m[i * d + i];
            }
        }
        for i in 0..d {
            for j in 0..d {
                out.push((i.max(j)..d).map(|k| inv[k * d + i] * inv[k * d + j]).sum());
            }
        }
    }
    Tensor::from_f64(&out, &[b, d, d], &l.device())
}
