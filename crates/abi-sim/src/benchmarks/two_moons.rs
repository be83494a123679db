use super::{BenchmarkTask, std_normal};
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

    /// `n` exact draws from the posterior `p(θ | x)` under the uniform prior, row-major
    /// `(n, 2)`: draw the moon's noise `p = (r cos a + 0.25, r sin a)` from its distribution,
    /// solve `x = p + shift(θ)` for θ (two mirror-image solutions related by a
    /// measure-preserving map, one chosen at random) and keep θ inside the prior's box. Returns
    /// `None` when fewer than 1 in 10⁶ proposals land in the box (an `x` the model cannot
    /// produce).
    pub fn reference_posterior(
        &self,
        x: &[f64],
        n: usize,
        rng: &mut ChaCha8Rng,
    ) -> Option<Vec<f64>> {
        let mut out = Vec::with_capacity(2 * n);
        let mut tries: u64 = 0;
        while out.len() < 2 * n {
            tries += 1;
            if tries > 1_000_000 && out.len() * 1_000_000 < tries as usize * 2 {
                return None;
            }
            let a = rng.random_range(-PI / 2.0..PI / 2.0);
            let r = 0.1 + 0.01 * std_normal(rng);
            let abs_z0 = r * a.cos() + 0.25 - x[0];
            if abs_z0 < 0.0 {
                continue;
            }
            let z0 = if rng.random::<bool>() {
                abs_z0
            } else {
                -abs_z0
            };
            let z1 = x[1] - r * a.sin();
            let t0 = FRAC_1_SQRT_2 * (z0 - z1);
            let t1 = FRAC_1_SQRT_2 * (z0 + z1);
            if t0.abs() <= 1.0 && t1.abs() <= 1.0 {
                out.extend([t0, t1]);
            }
        }
        Some(out)
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
    /// Maps `(θ₁, θ₂)` to `(−θ₂, −θ₁)` with probability ½: the data depend on `θ₁ + θ₂` only
    /// through its absolute value, and the prior's box is unchanged.
    fn posterior_symmetry(&self, theta: &mut [f64], rng: &mut ChaCha8Rng) {
        if rng.random::<bool>() {
            let (a, b) = (theta[0], theta[1]);
            theta[0] = -b;
            theta[1] = -a;
        }
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
