//! Consistency models trained by discrete consistency training, with few-step sampling.

use super::chunked::map_draws;
use super::time_mlp::{TimeMlp, TimeMlpSpec};
use super::{InferenceNetwork, Mode};
use crate::Activation;
use crate::error::{NetError, NetResult};
use abi_tensor::{Backend, Init, Param, ParamPath, Result, Tensor, TensorError, no_grad};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

/// Settings of [`ConsistencyModel`]; the defaults are BayesFlow 2's (time MLP 5 × 256 with
/// mish, residual connections and layer norm; `T = 80`, `σ² = 1`, `ε = 0.001`,
/// discretisation growing from `s0 = 10` to `s1 = 150` steps with `ρ = 7`, log-normal time
/// proposal with mean −1.1 and standard deviation 2, and `s0 + 1` sampling steps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsistencyModelConfig {
    /// Hidden widths of the consistency network.
    pub widths: Vec<usize>,
    /// Activation of the consistency network.
    pub activation: Activation,
    /// Residual connections between hidden layers of equal width.
    pub residual: bool,
    /// Layer norm before each hidden activation.
    pub layer_norm: bool,
    /// Number of Fourier features of the time embedding.
    pub time_embedding_dim: usize,
    /// Training steps the discretisation schedule spans: set it to epochs × batches per
    /// epoch. Past it the schedule stays at its finest level.
    pub total_steps: usize,
    /// Largest noise level `T` (`x_T = x + T z`).
    pub max_time: f64,
    /// `σ²` of the skip and output weights.
    pub sigma2: f64,
    /// Smallest noise level `ε`.
    pub eps: f64,
    /// Discretisation steps at the start of training.
    pub s0: usize,
    /// Discretisation steps at the end of training.
    pub s1: usize,
    /// Curvature `ρ` of the Karras time discretisation.
    pub rho: f64,
    /// Mean of the log-normal proposal over noise levels.
    pub noise_mean: f64,
    /// Standard deviation of the log-normal proposal over noise levels.
    pub noise_std: f64,
    /// Sampling steps; `None` uses `s0 + 1`.
    pub sampling_steps: Option<usize>,
}

impl Default for ConsistencyModelConfig {
    fn default() -> Self {
        Self {
            widths: vec![256; 5],
            activation: Activation::Mish,
            residual: true,
            layer_norm: true,
            time_embedding_dim: 32,
            total_steps: 10_000,
            max_time: 80.0,
            sigma2: 1.0,
            eps: 0.001,
            s0: 10,
            s1: 150,
            rho: 7.0,
            noise_mean: -1.1,
            noise_std: 2.0,
            sampling_steps: None,
        }
    }
}

/// A consistency model (Song et al., 2023, "Consistency Models"; Song & Dhariwal, 2023,
/// "Improved Techniques for Training Consistency Models"; Schmitt et al., 2024,
/// "Consistency Models for Scalable and Fast Simulation-Based Inference").
///
/// The consistency function `f(x, t, c) = c_skip(t) x + c_out(t) F(x, t / T, c)` maps a
/// noisy point at any noise level `t ∈ [ε, T]` straight to the data (`c_skip(ε) = 1`,
/// `c_out(ε) = 0`). Training is discrete consistency training: for adjacent noise levels
/// `t₁ < t₂` of a discretisation that refines as training goes on, the student `f(x + t₂ z)`
/// is pulled towards the teacher `f(x + t₁ z)` (no gradient) under the pseudo-Huber distance
/// weighted by `1 / (t₂ − t₁)`. Sampling takes a few steps, one network call each (`s0 + 1 = 11`
/// by default, where flow matching's adaptive solver takes dozens of calls); it has no density
/// (`log_prob` is an error).
///
/// The training step count lives in the parameter store as the frozen parameter `step`, so
/// checkpoints and saved models carry the schedule's position.
pub struct ConsistencyModel<B: Backend> {
    net: TimeMlp<B>,
    step: Param<B>,
    dim: usize,
    config: ConsistencyModelConfig,
}

impl<B: Backend> std::fmt::Debug for ConsistencyModel<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsistencyModel")
            .field("dim", &self.dim)
            .field("config", &self.config)
            .finish()
    }
}

/// The most discretisation steps `s1` and `sampling_steps` may ask for.
const MAX_STEPS: usize = 1_000_000;

impl ConsistencyModelConfig {
    /// Builds the model for `dim` inference variables and `cond_dim` condition features.
    pub fn build<B: Backend>(
        &self,
        path: &ParamPath<B>,
        dim: usize,
        cond_dim: usize,
        rng: &mut impl Rng,
    ) -> NetResult<ConsistencyModel<B>> {
        let valid = dim > 0
            && self.s0 >= 2
            && self.s1 >= self.s0
            && self.total_steps >= self.s0
            && self.eps > 0.0
            && self.max_time > self.eps
            && self.sigma2 > 0.0
            && self.rho > 0.0
            && self.noise_std > 0.0
            && self.sampling_steps != Some(0)
            // steps become vectors of noise levels: at most a million of them
            && self.s1 <= MAX_STEPS
            && self.sampling_steps.is_none_or(|n| n <= MAX_STEPS);
        if !valid {
            return Err(NetError::config(
                "ConsistencyModel",
                format!(
                    "need dim > 0, 2 <= s0 <= s1, total_steps >= s0, 0 < eps < max_time, \
                     positive sigma2, rho and noise_std, and 0 < sampling_steps, s1 <= 10⁶; got dim {dim} \
                     and {self:?}"
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
        let net = TimeMlp::build(&spec, &path.sub("consistency"), dim, cond_dim, rng)?;
        let step = path.param("step", &[1], Init::Zeros, rng)?;
        step.set_trainable(false);
        Ok(ConsistencyModel {
            net,
            step,
            dim,
            config: self.clone(),
        })
    }

    /// Discretisation steps `N(k)` at training step `k` (Song & Dhariwal, 2023, §3.4): `s0`
    /// doubling in equal stages up to `s1`, plus one.
    pub fn discretisation_steps(&self, k: usize) -> usize {
        let stages = ((self.s1 / self.s0) as f64).log2().floor() + 1.0;
        let stage_len = ((self.total_steps as f64 / stages).floor()).max(1.0);
        let doublings = (k as f64 / stage_len).floor().min(62.0);
        let n = (self.s0 as f64 * 2f64.powf(doublings)).min(self.s1 as f64);
        n as usize + 1
    }

    /// The `n` noise levels `ε = t₁ < … < t_n = T` of the Karras discretisation.
    pub fn noise_levels(&self, n: usize) -> Vec<f64> {
        let inv = 1.0 / self.rho;
        let (lo, hi) = (self.eps.powf(inv), self.max_time.powf(inv));
        (0..n)
            .map(|i| {
                let frac = if n > 1 {
                    i as f64 / (n - 1) as f64
                } else {
                    0.0
                };
                (lo + frac * (hi - lo)).powf(self.rho)
            })
            .collect()
    }
}

impl<B: Backend> ConsistencyModel<B> {
    /// The settings it was built with.
    pub fn config(&self) -> &ConsistencyModelConfig {
        &self.config
    }

    /// Training steps taken so far (the discretisation schedule's position).
    pub fn steps_taken(&self) -> Result<usize> {
        Ok(self.step.value().to_scalar()?.max(0.0) as usize)
    }

    /// The consistency function `f(x, t, c)` with `t (.., 1)`.
    pub fn consistency_function(
        &self,
        x: &Tensor<B>,
        t: &Tensor<B>,
        c: Option<&Tensor<B>>,
    ) -> Result<Tensor<B>> {
        let cfg = &self.config;
        let sigma = cfg.sigma2.sqrt();
        let shifted = t.add_scalar(-cfg.eps)?;
        // c_skip = σ² / ((t − ε)² + σ²),  c_out = σ (t − ε) / √(σ² + t²)
        let skip = shifted
            .square()?
            .add_scalar(cfg.sigma2)?
            .recip()?
            .mul_scalar(cfg.sigma2)?;
        let out = shifted
            .mul_scalar(sigma)?
            .div(&t.square()?.add_scalar(cfg.sigma2)?.sqrt()?)?;
        let f = self.net.forward(x, &t.mul_scalar(1.0 / cfg.max_time)?, c)?;
        skip.mul(x)?.add(&out.mul(&f)?)
    }

    /// Few-step sampling from latent draws `z (.., dim)` (Song et al., 2023, Algorithm 1),
    /// with `noise` holding one standard-normal draw per later step: `(.., (steps − 1) dim)`.
    fn sample_from(
        &self,
        z: &Tensor<B>,
        noise: &Tensor<B>,
        c: Option<&Tensor<B>>,
        levels: &[f64],
    ) -> Result<Tensor<B>> {
        let last = z.rank() - 1;
        let column = |t: f64, like: &Tensor<B>| super::time_column(like, t);
        let mut x =
            self.consistency_function(&z.mul_scalar(levels[0])?, &column(levels[0], z)?, c)?;
        for (i, &t) in levels.iter().enumerate().skip(1) {
            let eps = noise.narrow(last, (i - 1) * self.dim, self.dim)?;
            let scale = (t * t - self.config.eps * self.config.eps).max(0.0).sqrt();
            let noisy = x.add(&eps.mul_scalar(scale)?)?;
            x = self.consistency_function(&noisy, &column(t, z)?, c)?;
        }
        Ok(x)
    }
}

crate::registry::inference_config!(ConsistencyModelConfig, "consistency_model");

impl<B: Backend> InferenceNetwork<B> for ConsistencyModel<B> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn loss(
        &self,
        v: &Tensor<B>,
        c: Option<&Tensor<B>>,
        mode: Mode,
        rng: &mut dyn RngCore,
    ) -> Result<Tensor<B>> {
        let cfg = &self.config;
        let rows = v.dim(0)?;
        let device = v.device();
        let k = self.steps_taken()?;
        let levels = cfg.noise_levels(cfg.discretisation_steps(k));
        // adjacent pairs (tᵢ, tᵢ₊₁), drawn with the log-normal proposal's mass between them
        let cdf = |t: f64| {
            statrs::function::erf::erf((t.ln() - cfg.noise_mean) / (2f64.sqrt() * cfg.noise_std))
        };
        let weights: Vec<f64> = levels
            .windows(2)
            .map(|w| (cdf(w[1]) - cdf(w[0])).max(0.0))
            .collect();
        let total: f64 = weights.iter().sum();
        let mut t1 = Vec::with_capacity(rows);
        let mut t2 = Vec::with_capacity(rows);
        for _ in 0..rows {
            let mut u = rng.random::<f64>() * total;
            let mut i = 0;
            while i + 1 < weights.len() && u >= weights[i] {
                u -= weights[i];
                i += 1;
            }
            t1.push(levels[i]);
            t2.push(levels[i + 1]);
        }
        let weight: Vec<f64> = t1.iter().zip(&t2).map(|(a, b)| 1.0 / (b - a)).collect();
        let t1 = Tensor::<B>::from_f64(&t1, &[rows, 1], &device)?;
        let t2 = Tensor::<B>::from_f64(&t2, &[rows, 1], &device)?;
        let weight = Tensor::<B>::from_f64(&weight, &[rows], &device)?;
        let noise = Tensor::<B>::randn(&v.shape(), rng, &device)?;
        let teacher =
            no_grad::<B, _>(|| self.consistency_function(&v.add(&noise.mul(&t1)?)?, &t1, c))?
                .detach();
        let student = self.consistency_function(&v.add(&noise.mul(&t2)?)?, &t2, c)?;
        // pseudo-Huber distance with c = 0.00054 √d (Song & Dhariwal, 2023, §3.3)
        let huber = 0.00054 * (self.dim as f64).sqrt();
        let distance = student
            .sub(&teacher)?
            .square()?
            .sum(&[1], false)?
            .add_scalar(huber * huber)?
            .sqrt()?
            .add_scalar(-huber)?;
        let loss = distance.mul(&weight)?.mean_all()?;
        if mode == Mode::Train {
            let next = Tensor::<B>::from_f64(&[(k + 1) as f64], &[1], &device)?;
            self.step.set_value(next)?;
        }
        Ok(loss)
    }

    fn log_prob(&self, _v: &Tensor<B>, _c: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        Err(TensorError::InvalidArgument {
            op: "ConsistencyModel::log_prob",
            reason: "a consistency model has no density; use a flow or flow matching for \
                     log-densities"
                .into(),
        })
    }

    fn sample(&self, n: usize, c: Option<&Tensor<B>>, rng: &mut dyn RngCore) -> Result<Tensor<B>> {
        let steps = self.config.sampling_steps.unwrap_or(self.config.s0 + 1);
        let mut levels = self.config.noise_levels(steps);
        levels.reverse(); // from T down to ε
        let batch = c.map(|c| c.dim(0)).transpose()?.unwrap_or(1);
        let device = c.map(|c| c.device()).unwrap_or_default();
        // the latent draw and every step's noise side by side, so chunked sampling is
        // deterministic whatever the chunk size
        let all = Tensor::<B>::randn(&[batch, n, steps * self.dim], rng, &device)?;
        no_grad::<B, _>(|| {
            map_draws(&all, c, |all, c| {
                let z = all.narrow(1, 0, self.dim)?;
                let noise = all.narrow(1, self.dim, (steps - 1) * self.dim)?;
                self.sample_from(&z, &noise, c, &levels)
            })
        })
    }
}
