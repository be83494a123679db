use super::{BenchmarkTask, normal_log_density, std_normal};
use crate::distribution::Distribution;
use crate::error::Result;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Gaussian linear (`gaussian_linear`, and `gaussian_linear_uniform` with [`GaussianLinear::uniform`]).
///
/// θ ∈ ℝ¹⁰ with prior `N(0, 0.1 I)` (or `U(−1, 1)¹⁰`); `x | θ ~ N(θ, 0.1 I)`, x ∈ ℝ¹⁰.
/// (The benchmark's "scale" 0.1 is a variance.) With the Gaussian prior the posterior is
/// `N(x / 2, 0.05 I)`: [`GaussianLinear::posterior`].
#[derive(Debug, Clone)]
pub struct GaussianLinear {
    prior: Distribution,
    uniform_prior: bool,
    noise_var: f64,
}

impl GaussianLinear {
    /// `gaussian_linear`: 10-D, prior `N(0, 0.1 I)`.
    pub fn new() -> Result<Self> {
        Self::with_dim(10)
    }

    /// The same model in `dim` dimensions.
    pub fn with_dim(dim: usize) -> Result<Self> {
        let mut cov = vec![0.0; dim * dim];
        for i in 0..dim {
            cov[i * dim + i] = 0.1;
        }
        Ok(Self {
            prior: Distribution::mv_normal(vec![0.0; dim], cov)?,
            uniform_prior: false,
            noise_var: 0.1,
        })
    }

    /// `gaussian_linear_uniform`: 10-D, prior `U(−1, 1)¹⁰`.
    pub fn uniform() -> Result<Self> {
        Ok(Self {
            prior: Distribution::box_uniform(vec![-1.0; 10], vec![1.0; 10])?,
            uniform_prior: true,
            noise_var: 0.1,
        })
    }

    /// The analytic posterior `p(θ | x)` of the Gaussian-prior task (`None` for the uniform one).
    pub fn posterior(&self, x: &[f64]) -> Option<Result<Distribution>> {
        if self.uniform_prior {
            return None;
        }
        let (mean, cov) = match &self.prior {
            Distribution::MvNormal { mean, cov, .. } => (mean, cov),
            _ => return None,
        };
        let d = mean.len();
        // diagonal prior and noise: precision adds per dimension
        let post_var: Vec<f64> = (0..d)
            .map(|i| 1.0 / (1.0 / cov[i * d + i] + 1.0 / self.noise_var))
            .collect();
        let post_mean: Vec<f64> = (0..d)
            .map(|i| post_var[i] * (x[i] / self.noise_var + mean[i] / cov[i * d + i]))
            .collect();
        let mut post_cov = vec![0.0; d * d];
        for i in 0..d {
            post_cov[i * d + i] = post_var[i];
        }
        Some(Distribution::mv_normal(post_mean, post_cov))
    }
}

impl BenchmarkTask for GaussianLinear {
    fn name(&self) -> &'static str {
        if self.uniform_prior {
            "gaussian_linear_uniform"
        } else {
            "gaussian_linear"
        }
    }
    fn prior(&self) -> &Distribution {
        &self.prior
    }
    fn dim_data(&self) -> usize {
        self.prior.dim()
    }
    fn simulate(&self, theta: &[f64], rng: &mut ChaCha8Rng) -> Vec<f64> {
        let s = self.noise_var.sqrt();
        theta.iter().map(|t| t + s * std_normal(rng)).collect()
    }
    fn log_likelihood(&self, theta: &[f64], x: &[f64]) -> Option<f64> {
        Some(normal_log_density(x, theta, self.noise_var.sqrt()))
    }
}

/// Gaussian mixture (`gaussian_mixture`).
///
/// θ ∈ ℝ² with prior `U(−10, 10)²`; `x | θ ~ ½ N(θ, I) + ½ N(θ, 0.01 I)`, x ∈ ℝ².
/// The mixture component is drawn per simulation (the reference implementation draws one
/// component per call, i.e. per batch; the model it defines is the per-draw mixture).
#[derive(Debug, Clone)]
pub struct GaussianMixture {
    prior: Distribution,
}

impl GaussianMixture {
    /// The benchmark task.
    pub fn new() -> Result<Self> {
        Ok(Self {
            prior: Distribution::box_uniform(vec![-10.0; 2], vec![10.0; 2])?,
        })
    }
}

impl BenchmarkTask for GaussianMixture {
    fn name(&self) -> &'static str {
        "gaussian_mixture"
    }
    fn prior(&self) -> &Distribution {
        &self.prior
    }
    fn dim_data(&self) -> usize {
        2
    }
    fn simulate(&self, theta: &[f64], rng: &mut ChaCha8Rng) -> Vec<f64> {
        let scale = if rng.random::<f64>() < 0.5 { 1.0 } else { 0.1 };
        theta.iter().map(|t| t + scale * std_normal(rng)).collect()
    }
    fn log_likelihood(&self, theta: &[f64], x: &[f64]) -> Option<f64> {
        let a = 0.5f64.ln() + normal_log_density(x, theta, 1.0);
        let b = 0.5f64.ln() + normal_log_density(x, theta, 0.1);
        let m = a.max(b);
        Some(m + ((a - m).exp() + (b - m).exp()).ln())
    }
}
