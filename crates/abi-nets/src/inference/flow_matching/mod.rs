//! Conditional flow matching, its ODE solvers and optimal-transport pairing.

pub mod ode;
pub mod ot;

use super::chunked::map_draws;
use super::time_mlp::{TimeMlp, TimeMlpSpec, time_column};
use super::{InferenceNetwork, Mode};
use crate::Activation;
use crate::error::{NetError, NetResult};
use abi_tensor::{Backend, Init, ParamPath, Result, Tensor, TensorError, enable_grad, no_grad};
use ode::{OdeSolver, integrate};
use rand::{Rng, RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

/// How `log_prob` computes the divergence of the velocity field.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Divergence {
    /// Exact: one vector–Jacobian product per dimension.
    Exact,
    /// Hutchinson's stochastic trace estimate with Rademacher probes.
    Hutchinson {
        /// number of probes per evaluation
        probes: usize,
    },
    /// Exact up to `max_exact_dim` dimensions, Hutchinson with one probe above.
    Auto {
        /// largest dimension computed exactly
        max_exact_dim: usize,
    },
}

/// Settings of [`FlowMatching`]; the defaults are BayesFlow 2's (velocity MLP 5 × 256 with
/// mish, residual connections and layer norm, Fourier time embedding, `t = 0` data / `t = 1`
/// noise, time sampling `t = 1 − u^(1 + α)` with `α = −0.5`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlowMatchingConfig {
    /// Hidden widths of the velocity network.
    pub widths: Vec<usize>,
    /// Activation of the velocity network.
    pub activation: Activation,
    /// Residual connections between hidden layers of equal width.
    pub residual: bool,
    /// Layer norm before each hidden activation.
    pub layer_norm: bool,
    /// Number of Fourier features of the time embedding (sine and cosine pairs × 2).
    pub time_embedding_dim: usize,
    /// `α` of the time sampling `t = 1 − u^(1 + α)` (α < 0 puts more weight near the data).
    pub time_power: f64,
    /// Integrator used by `sample` and `log_prob`.
    pub solver: OdeSolver,
    /// Divergence used by `log_prob`.
    pub divergence: Divergence,
    /// Re-pair data and noise within each training batch along an entropic optimal-transport
    /// plan (off by default, as in BayesFlow).
    pub optimal_transport: Option<ot::OtConfig>,
}

impl Default for FlowMatchingConfig {
    fn default() -> Self {
        Self {
            widths: vec![256; 5],
            activation: Activation::Mish,
            residual: true,
            layer_norm: true,
            time_embedding_dim: 32,
            time_power: -0.5,
            solver: OdeSolver::default(),
            divergence: Divergence::Auto { max_exact_dim: 16 },
            optimal_transport: None,
        }
    }
}

/// Conditional flow matching (Lipman et al., 2023, "Flow Matching for Generative Modeling";
/// Wildberger et al., 2023, for simulation-based inference): a velocity field `v(x, t, c)` is
/// regressed onto the straight path from data (`t = 0`) to noise (`t = 1`); sampling integrates
/// the ODE from noise to data, and `log_prob` integrates the instantaneous change of variables
/// `d log p / dt = −div v`.
pub struct FlowMatching<B: Backend> {
    net: TimeMlp<B>,
    dim: usize,
    cond_dim: usize,
    config: FlowMatchingConfig,
}

impl<B: Backend> std::fmt::Debug for FlowMatching<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowMatching")
            .field("dim", &self.dim)
            .field("cond_dim", &self.cond_dim)
            .field("config", &self.config)
            .finish()
    }
}

impl FlowMatchingConfig {
    /// Builds the network for `dim` inference variables and `cond_dim` condition features.
    pub fn build<B: Backend>(
        &self,
        path: &ParamPath<B>,
        dim: usize,
        cond_dim: usize,
        rng: &mut impl Rng,
    ) -> NetResult<FlowMatching<B>> {
        if dim == 0
            || self.time_embedding_dim < 2
            || self.time_embedding_dim % 2 != 0
            || !(self.time_power > -1.0)
        {
            return Err(NetError::config(
                "FlowMatching",
                format!(
                    "need dim > 0, an even time embedding >= 2 and time_power > -1, got {dim}, {}, {}",
                    self.time_embedding_dim, self.time_power
                ),
            ));
        }
        let spec = TimeMlpSpec {
            widths: &self.widths,
            activation: self.activation,
            residual: self.residual,
            layer_norm: self.layer_norm,
            time_embedding_dim: self.time_embedding_dim,
            output_init: Init::GlorotUniform,
        };
        let net = TimeMlp::build(&spec, &path.sub("velocity"), dim, cond_dim, rng)?;
        Ok(FlowMatching {
            net,
            dim,
            cond_dim,
            config: self.clone(),
        })
    }
}

impl<B: Backend> FlowMatching<B> {
    /// The settings it was built with.
    pub fn config(&self) -> &FlowMatchingConfig {
        &self.config
    }

    /// The velocity `v(x, t, c)`: `x (.., dim)`, `t (.., 1)`, `c (.., cond)` → `(.., dim)`.
    pub fn velocity(
        &self,
        x: &Tensor<B>,
        t: &Tensor<B>,
        c: Option<&Tensor<B>>,
    ) -> Result<Tensor<B>> {
        self.net.forward(x, t, c)
    }

    /// The velocity and its divergence `Σᵢ ∂vᵢ/∂xᵢ` per row.
    fn velocity_and_divergence(
        &self,
        x: &Tensor<B>,
        t: f64,
        c: Option<&Tensor<B>>,
        rng: &mut dyn RngCore,
    ) -> Result<(Tensor<B>, Tensor<B>)> {
        let method = match self.config.divergence {
            Divergence::Auto { max_exact_dim } if self.dim <= max_exact_dim => Divergence::Exact,
            Divergence::Auto { .. } => Divergence::Hutchinson { probes: 1 },
            other => other,
        };
        enable_grad::<B, _>(|| {
            let xt = x.detach().track();
            let v = self.velocity(&xt, &time_column(x, t)?, c)?;
            let last = v.rank() - 1;
            let lead: Vec<usize> = v.shape()[..last].to_vec();
            let mut div = Tensor::zeros(&lead, &x.device())?;
            match method {
                Divergence::Exact | Divergence::Auto { .. } => {
                    for i in 0..self.dim {
                        let mut e = vec![0.0; self.dim];
                        e[i] = 1.0;
                        let seed = Tensor::<B>::from_f64(&e, &[self.dim], &x.device())?
                            .broadcast_to(&v.shape())?;
                        let g = v
                            .backward_with(&seed)?
                            .get(&xt)
                            .ok_or(TensorError::NotTracked)?;
                        div = div.add(&g.narrow(last, i, 1)?.squeeze(last)?)?;
                    }
                }
                Divergence::Hutchinson { probes } => {
                    for _ in 0..probes.max(1) {
                        let signs: Vec<f64> = (0..v.numel())
                            .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
                            .collect();
                        let eps = Tensor::<B>::from_f64(&signs, &v.shape(), &x.device())?;
                        let g = v
                            .backward_with(&eps)?
                            .get(&xt)
                            .ok_or(TensorError::NotTracked)?;
                        div = div.add(&g.mul(&eps)?.sum(&[last], false)?)?;
                    }
                    div = div.mul_scalar(1.0 / probes.max(1) as f64)?;
                }
            }
            Ok((v.detach(), div.detach()))
        })
    }

    /// Integrates from noise `z (.., dim)` at `t = 1` to data at `t = 0` with `solver`.
    pub fn integrate_to_data(
        &self,
        z: &Tensor<B>,
        c: Option<&Tensor<B>>,
        solver: OdeSolver,
    ) -> Result<Tensor<B>> {
        no_grad::<B, _>(|| {
            let mut f = |t: f64, y: &Vec<Tensor<B>>| -> Result<Vec<Tensor<B>>> {
                Ok(vec![self.velocity(&y[0], &time_column(&y[0], t)?, c)?])
            };
            let out = integrate(&mut f, vec![z.clone()], 1.0, 0.0, solver)?;
            Ok(out[0].clone())
        })
    }

    /// `log q(v | c)` with a chosen solver (see [`InferenceNetwork::log_prob`]).
    pub fn log_prob_with(
        &self,
        v: &Tensor<B>,
        c: Option<&Tensor<B>>,
        solver: OdeSolver,
        rng: &mut dyn RngCore,
    ) -> Result<Tensor<B>> {
        let last = v.rank() - 1;
        let lead: Vec<usize> = v.shape()[..last].to_vec();
        let y0 = vec![v.detach(), Tensor::zeros(&lead, &v.device())?];
        let mut f = |t: f64, y: &Vec<Tensor<B>>| -> Result<Vec<Tensor<B>>> {
            let (vel, div) = self.velocity_and_divergence(&y[0], t, c, rng)?;
            Ok(vec![vel, div])
        };
        let out = integrate(&mut f, y0, 0.0, 1.0, solver)?;
        no_grad::<B, _>(|| {
            let z = &out[0];
            let d = self.dim as f64;
            let base = z
                .square()?
                .sum(&[last], false)?
                .mul_scalar(-0.5)?
                .add_scalar(-0.5 * d * (2.0 * std::f64::consts::PI).ln())?;
            base.add(&out[1])
        })
    }
}

crate::registry::inference_config!(FlowMatchingConfig, "flow_matching");

impl<B: Backend> InferenceNetwork<B> for FlowMatching<B> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn loss(
        &self,
        v: &Tensor<B>,
        c: Option<&Tensor<B>>,
        _mode: Mode,
        rng: &mut dyn RngCore,
    ) -> Result<Tensor<B>> {
        let shape = v.shape();
        let rows = shape[0];
        let device = v.device();
        let mut noise = Tensor::<B>::randn(&shape, rng, &device)?;
        if let Some(ot) = &self.config.optimal_transport {
            // the plan is rows × rows: a batch past the cap is an error, not gigabytes
            if rows > ot::MAX_OT_ROWS {
                return Err(TensorError::InvalidArgument {
                    op: "flow matching",
                    reason: format!(
                        "optimal transport pairs a batch of {rows} rows through a {rows} × {rows} \
                         plan; batches are limited to {} rows with it",
                        ot::MAX_OT_ROWS
                    ),
                });
            }
            let (x, z) = (v.detach().to_f64_vec()?, noise.to_f64_vec()?);
            let pairs = ot::ot_pairing(&x, &z, rows, self.dim, ot, rng);
            noise = noise.index_select(0, &pairs)?;
        }
        let power = 1.0 + self.config.time_power;
        let times: Vec<f64> = (0..rows)
            .map(|_| 1.0 - rng.random::<f64>().powf(power))
            .collect();
        let t = Tensor::<B>::from_f64(&times, &[rows, 1], &device)?;
        let x_t = v.mul(&t.neg()?.add_scalar(1.0)?)?.add(&noise.mul(&t)?)?;
        let target = noise.sub(v)?;
        self.velocity(&x_t, &t, c)?
            .sub(&target)?
            .square()?
            .mean_all()
    }

    fn log_prob(&self, v: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        // the stochastic estimator only runs above the exact limit; a fixed stream keeps
        // log_prob deterministic
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        self.log_prob_with(v, c, self.config.solver, &mut rng)
    }

    fn sample(&self, n: usize, c: Option<&Tensor<B>>, rng: &mut dyn RngCore) -> Result<Tensor<B>> {
        let batch = c.map(|c| c.dim(0)).transpose()?.unwrap_or(1);
        let device = c.map(|c| c.device()).unwrap_or_default();
        let z = Tensor::<B>::randn(&[batch, n, self.dim], rng, &device)?;
        map_draws(&z, c, |z, c| {
            self.integrate_to_data(z, c, self.config.solver)
        })
    }
}
