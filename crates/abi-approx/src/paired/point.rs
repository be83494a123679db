//! The point kind: point estimates of the posterior (means, medians, quantiles, a
//! multivariate normal) learned by scoring rules (BayesFlow's `PointApproximator`).

use super::classifier::sized;
use super::{PairKind, PairedApproximator};
use crate::continuous::ApproximatorSpec;
use crate::error::{ApproxError, Result};
use crate::parts::parameters::ParameterLayout;
use abi_nets::inference::InferenceNetwork;
use abi_nets::inference::point::{PointEstimator, PointEstimatorConfig};
use abi_nets::{InferenceConfig, Mode, NetResult, NetworkSpec, Registry};
use abi_sim::Batch;
use abi_tensor::{Backend, ParamPath, Tensor, TensorError};
use ndarray::{ArrayD, Axis, IxDyn};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// Settings of the point network, registered as `point_estimator`: the scores and the
/// trunk of [`PointEstimatorConfig`] (default: the mean, an MLP of (256, 256), mish).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PointNetworkConfig(pub PointEstimatorConfig);

impl InferenceConfig for PointNetworkConfig {
    const NAME: &'static str = "point_estimator";

    fn build_network<B: Backend>(
        &self,
        path: &ParamPath<B>,
        dim: usize,
        cond_dim: usize,
        rng: &mut dyn RngCore,
    ) -> NetResult<Box<dyn InferenceNetwork<B>>> {
        let estimator = self.0.build(path, dim, cond_dim, &mut sized(rng))?;
        Ok(Box::new(PointNetwork { estimator, dim }))
    }
}

/// A [`PointEstimator`] on the approximator seam: its loss is the scores' sum; with a
/// multivariate-normal score, `log_prob` and `sample` use that normal.
#[derive(Debug)]
pub struct PointNetwork<B: Backend> {
    estimator: PointEstimator<B>,
    dim: usize,
}

impl<B: Backend> PointNetwork<B> {
    /// The estimator.
    pub fn estimator(&self) -> &PointEstimator<B> {
        &self.estimator
    }

    /// Mean and covariance of the multivariate-normal head for conditions `c`, on the host:
    /// `(batch, dim)` and `(batch, dim, dim)` row-major.
    fn normal(&self, c: Option<&Tensor<B>>) -> abi_tensor::Result<(Vec<f64>, Vec<f64>)> {
        let c = c.ok_or_else(|| TensorError::InvalidArgument {
            op: "point_estimator",
            reason: "point estimates need the data as conditions".into(),
        })?;
        let normal = self
            .estimator
            .estimate(c)?
            .into_iter()
            .find(|e| e.name == "mv_normal")
            .and_then(|e| e.covariance.map(|cov| (e.value, cov)))
            .ok_or_else(|| TensorError::InvalidArgument {
                op: "point_estimator",
                reason:
                    "only a multivariate-normal score (`mv_normal`) defines a density and draws"
                        .into(),
            })?;
        Ok((normal.0.to_f64_vec()?, normal.1.to_f64_vec()?))
    }
}

/// The lower Cholesky factor of the `d × d` matrix `a` (row-major), `None` when it is not
/// positive definite.
fn cholesky(a: &[f64], d: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * d + k] * l[j * d + k]).sum();
            if i == j {
                let v = a[i * d + i] - s;
                if !(v > 0.0) {
                    return None;
                }
                l[i * d + i] = v.sqrt();
            } else {
                l[i * d + j] = (a[i * d + j] - s) / l[j * d + j];
            }
        }
    }
    Some(l)
}

impl<B: Backend> InferenceNetwork<B> for PointNetwork<B> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn loss(
        &self,
        v: &Tensor<B>,
        c: Option<&Tensor<B>>,
        _mode: Mode,
        _rng: &mut dyn RngCore,
    ) -> abi_tensor::Result<Tensor<B>> {
        let c = c.ok_or_else(|| TensorError::InvalidArgument {
            op: "point_estimator",
            reason: "point estimates need the data as conditions".into(),
        })?;
        self.estimator.loss(v, c)
    }

    /// The multivariate-normal head's log density of `v`.
    fn log_prob(&self, v: &Tensor<B>, c: Option<&Tensor<B>>) -> abi_tensor::Result<Tensor<B>> {
        let (mean, cov) = self.normal(c)?;
        let d = self.dim;
        let x = v.to_f64_vec()?;
        let rows = x.len() / d;
        let mut out = Vec::with_capacity(rows);
        for r in 0..rows {
            let l = cholesky(&cov[r * d * d..(r + 1) * d * d], d).ok_or_else(|| {
                TensorError::InvalidArgument {
                    op: "point_estimator",
                    reason: format!("the covariance of row {r} is not positive definite"),
                }
            })?;
            // solve L z = x − μ
            let mut z = vec![0.0; d];
            for i in 0..d {
                let s: f64 = (0..i).map(|k| l[i * d + k] * z[k]).sum();
                z[i] = (x[r * d + i] - mean[r * d + i] - s) / l[i * d + i];
            }
            let log_det: f64 = (0..d).map(|i| l[i * d + i].ln()).sum();
            out.push(
                -0.5 * z.iter().map(|v| v * v).sum::<f64>()
                    - log_det
                    - 0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln(),
            );
        }
        Tensor::from_f64(&out, &[rows], &v.device())
    }

    /// `n` draws per row from the multivariate-normal head: `(batch, n, dim)`.
    fn sample(
        &self,
        n: usize,
        c: Option<&Tensor<B>>,
        rng: &mut dyn RngCore,
    ) -> abi_tensor::Result<Tensor<B>> {
        use rand_distr::Distribution;
        let (mean, cov) = self.normal(c)?;
        let d = self.dim;
        let rows = mean.len() / d;
        let mut out = Vec::with_capacity(rows * n * d);
        for r in 0..rows {
            let l = cholesky(&cov[r * d * d..(r + 1) * d * d], d).ok_or_else(|| {
                TensorError::InvalidArgument {
                    op: "point_estimator",
                    reason: format!("the covariance of row {r} is not positive definite"),
                }
            })?;
            for _ in 0..n {
                let e: Vec<f64> = (0..d)
                    .map(|_| rand_distr::StandardNormal.sample(&mut *rng))
                    .collect();
                for i in 0..d {
                    let s: f64 = (0..=i).map(|k| l[i * d + k] * e[k]).sum();
                    out.push(mean[r * d + i] + s);
                }
            }
        }
        let device = c.map(Tensor::device).unwrap_or_default();
        Tensor::from_f64(&out, &[rows, n, d], &device)
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// The [`PairKind`] of point estimation.
#[derive(Debug, Clone, Copy)]
pub struct Point;

impl PairKind for Point {
    const KIND: &'static str = "point";

    fn default_network() -> NetworkSpec {
        NetworkSpec::new(PointNetworkConfig::NAME)
    }

    fn registry<B: Backend>(registry: &Registry<B>) -> Result<Registry<B>> {
        super::with_network::<B, PointNetworkConfig>(registry)
    }

    fn check(spec: &ApproximatorSpec, parameters: &ParameterLayout) -> Result<()> {
        super::ratio::parameters_are_variables(spec, parameters)
    }
}

/// One named estimate in the parameters' original space: `(rows, ...)` per parameter key
/// for means and medians (and the normal's mean), `(rows, levels, ...)` for quantiles.
#[derive(Debug, Clone)]
pub struct PointEstimate {
    /// `"mean"`, `"median"`, `"quantiles"` or `"mv_normal"` (its mean).
    pub name: &'static str,
    /// The estimate as named parameters.
    pub values: Batch,
}

impl<B: Backend> PairedApproximator<B, Point> {
    /// The point estimates for every data set (row) of `data`, mapped back through the
    /// adapter (exact for medians and quantiles under monotone transforms, and for means
    /// under affine ones such as `standardize`).
    pub fn estimate(&self, data: &Batch) -> Result<Vec<PointEstimate>> {
        let network = self
            .net
            .inference_network()
            .as_any()
            .and_then(|a| a.downcast_ref::<PointNetwork<B>>())
            .ok_or_else(|| ApproxError::Config("the network is not a point estimator".into()))?;
        let c = self.net.network_conditions(data)?.ok_or_else(|| {
            ApproxError::Config("point estimates need the data as conditions".into())
        })?;
        let mut out = Vec::new();
        for e in network.estimator().estimate(&c)? {
            let value = crate::roles::to_array(&e.value)?;
            let shape = value.shape().to_vec();
            // one "draw" per row for a (rows, dim) estimate; the levels as draws for quantiles
            let as_draws = if shape.len() == 2 {
                value
                    .into_shape_with_order(IxDyn(&[shape[0], 1, shape[1]]))
                    .map_err(|e| ApproxError::Config(e.to_string()))?
            } else {
                value
            };
            let mut values = self.net.to_parameters(as_draws)?;
            if shape.len() == 2 {
                let mut squeezed = Batch::new();
                for (name, a) in values.iter() {
                    let a: ArrayD<f64> = a.to_f64().index_axis_move(Axis(1), 0);
                    squeezed.insert(name, a)?;
                }
                values = squeezed;
            }
            out.push(PointEstimate {
                name: e.name,
                values,
            });
        }
        Ok(out)
    }

    /// `n` draws for every data set from the multivariate-normal head, as named parameters
    /// `(rows, n, ...)`; an error without an `mv_normal` score.
    pub fn sample(&self, n: usize, data: &Batch, rng: &mut dyn RngCore) -> Result<Batch> {
        self.net.sample(n, data, rng)
    }
}
