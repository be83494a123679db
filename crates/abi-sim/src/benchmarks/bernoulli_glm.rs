use super::BenchmarkTask;
use crate::distribution::Distribution;
use crate::error::{Result, SimError};
use ndarray::Array1;
use ndarray_npy::ReadNpyExt;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::io::Cursor;
use std::sync::Arc;

const STEPS: usize = 100;
const FILTER: usize = 9;

/// Bernoulli GLM (`bernoulli_glm`, and `bernoulli_glm_raw` with [`BernoulliGlm::raw`]).
///
/// θ ∈ ℝ¹⁰ (offset and a 9-tap filter) with prior `N(0, B⁻¹)`, `B₀₀ = 0.5`,
/// `B₁: ,₁: = FᵀF`, `F = D² + diag(√(j / 9))`, `D` the first-difference matrix. A fixed white-noise
/// stimulus `s` (100 steps, NumPy's `RandomState(42).randn`) drives
/// `y_t ~ Bernoulli(σ(θ₀ + Σⱼ θⱼ₊₁ s_{t−j}))`. The data are the sufficient statistics
/// `(Σ y, Σₜ y_{t+d} s_t for d = 0..8)` ∈ ℝ¹⁰, or the raw spike train ∈ {0, 1}¹⁰⁰.
#[derive(Debug, Clone)]
pub struct BernoulliGlm {
    prior: Distribution,
    stimulus: Arc<Vec<f64>>,
    raw: bool,
}

impl BernoulliGlm {
    /// `bernoulli_glm` (10 summary statistics).
    pub fn new() -> Result<Self> {
        let bytes: &[u8] = include_bytes!("../../data/bernoulli_glm_stimulus.npy");
        let stimulus = Array1::<f32>::read_npy(Cursor::new(bytes)).map_err(|e| SimError::File {
            path: "abi-sim/data/bernoulli_glm_stimulus.npy (embedded)".into(),
            reason: e.to_string(),
        })?;
        let m = FILTER;
        // F = D·D + diag(sqrt(j / m)), D = I − subdiagonal
        let d = |i: usize, j: usize| -> f64 {
            if i == j {
                1.0
            } else if i == j + 1 {
                -1.0
            } else {
                0.0
            }
        };
        let mut f = vec![0.0; m * m];
        for i in 0..m {
            for j in 0..m {
                f[i * m + j] = (0..m).map(|k| d(i, k) * d(k, j)).sum::<f64>();
            }
            f[i * m + i] += (i as f64 / m as f64).sqrt();
        }
        let mut precision = vec![0.0; (m + 1) * (m + 1)];
        precision[0] = 0.5;
        for i in 0..m {
            for j in 0..m {
                precision[(i + 1) * (m + 1) + j + 1] =
                    (0..m).map(|k| f[k * m + i] * f[k * m + j]).sum();
            }
        }
        Ok(Self {
            prior: Distribution::mv_normal_precision(vec![0.0; m + 1], precision)?,
            stimulus: Arc::new(stimulus.iter().map(|&v| v as f64).collect()),
            raw: false,
        })
    }

    /// `bernoulli_glm_raw` (the 100-step spike train).
    pub fn raw() -> Result<Self> {
        Ok(Self {
            raw: true,
            ..Self::new()?
        })
    }

    fn rates(&self, theta: &[f64]) -> Vec<f64> {
        (0..STEPS)
            .map(|t| {
                let psi = theta[0]
                    + (0..FILTER)
                        .filter(|&j| j <= t)
                        .map(|j| theta[j + 1] * self.stimulus[t - j])
                        .sum::<f64>();
                1.0 / (1.0 + (-psi).exp())
            })
            .collect()
    }

    fn summarize(&self, y: &[f64]) -> Vec<f64> {
        let mut out = vec![y.iter().sum()];
        for d in 0..FILTER {
            out.push((0..STEPS - d).map(|j| y[j + d] * self.stimulus[j]).sum());
        }
        out
    }
}

impl BenchmarkTask for BernoulliGlm {
    fn name(&self) -> &'static str {
        if self.raw {
            "bernoulli_glm_raw"
        } else {
            "bernoulli_glm"
        }
    }
    fn prior(&self) -> &Distribution {
        &self.prior
    }
    fn dim_data(&self) -> usize {
        if self.raw { STEPS } else { FILTER + 1 }
    }
    fn simulate(&self, theta: &[f64], rng: &mut ChaCha8Rng) -> Vec<f64> {
        let y: Vec<f64> = self
            .rates(theta)
            .into_iter()
            .map(|z| if rng.random::<f64>() < z { 1.0 } else { 0.0 })
            .collect();
        if self.raw { y } else { self.summarize(&y) }
    }
    /// Tractable for the raw spike train (a product of Bernoullis); `None` for the summaries.
    fn log_likelihood(&self, theta: &[f64], x: &[f64]) -> Option<f64> {
        if !self.raw {
            return None;
        }
        Some(
            self.rates(theta)
                .iter()
                .zip(x)
                .map(|(z, y)| if *y > 0.5 { z.ln() } else { (1.0 - z).ln() })
                .sum(),
        )
    }
}
