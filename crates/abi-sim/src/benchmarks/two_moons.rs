use super::{std_normal, BenchmarkTask};
use crate::distribution::Distribution;
use crate::error::Result;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// Two moons (`two_moons`).
///
/// θ ∈ ℝ² with prior `U(−1, 1)²`; `a ~ U(−π/2, π/2)`, `r ~ N(0.1, 0.01²)`,
/// `p = (r cos a + 0.25, r sin a)`, and `x = p + (−|θ₁ + θ₂| / √2, (−θ₁ + θ₂) / √2)`, x ∈ ℝ².
#[derive(Debug, Clone)]
pub struct TwoMoons {
    prior: Distribution,
}

impl TwoMoons {
    /// The benchmark task.
    pub fn new() -> Result<Self> {
        Ok(Self {
            prior: Distribution::box_uniform(vec![-1.0; 2], vec![1.0; 2])?,
        })
    }

    fn shift(theta: &[f64]) -> (f64, f64) {
        let z0 = FRAC_1_SQRT_2 * (theta[0] + theta[1]);
        let z1 = FRAC_1_SQRT_2 * (-theta[0] + theta[1]);
        (-z0.abs(), z1)
    }
}

impl BenchmarkTask for TwoMoons {
    fn name(&self) -> &'static str {
        "two_moons"
    }
    fn prior(&self) -> &Distribution {
        &self.prior
    }
    fn dim_data(&self) -> usize {
        2
    }
    fn simulate(&self, theta: &[f64], rng: &mut ChaCha8Rng) -> Vec<f64> {
        let a = rng.random_range(-PI / 2.0..PI / 2.0);
        let r = 0.1 + 0.01 * std_normal(rng);
        let (s0, s1) = Self::shift(theta);
        vec![r * a.cos() + 0.25 + s0, r * a.sin() + s1]
    }
    /// The exact density of `x`: with `(u, v) = x − shift(θ) − (0.25, 0)` and `r = |(u, v)|`,
    /// `log N(r; 0.1, 0.01²) − log π − log r` for `u > 0` (the `1/r` is the polar Jacobian, which
    /// the reference implementation's potential leaves out), `−∞` otherwise.
    fn log_likelihood(&self, theta: &[f64], x: &[f64]) -> Option<f64> {
        let (s0, s1) = Self::shift(theta);
        let u = x[0] - s0 - 0.25;
        let v = x[1] - s1;
        if u <= 0.0 {
            return Some(f64::NEG_INFINITY);
        }
        let r = (u * u + v * v).sqrt();
        let log_r_density = -0.5 * ((r - 0.1) / 0.01).powi(2) - 0.5 * (2.0 * PI * 1e-4).ln();
        Some(log_r_density - PI.ln() - r.ln())
    }
}
