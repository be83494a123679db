use super::ode::rk4_saved;
use super::{BenchmarkTask, std_normal};
use crate::distribution::Distribution;
use crate::error::Result;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution as _};

/// SIR epidemic (`sir`).
///
/// θ = (β, γ) with prior `β ~ LogNormal(ln 0.4, 0.5²)`, `γ ~ LogNormal(ln 0.125, 0.2²)`.
/// `S' = −β S I / N`, `I' = β S I / N − γ I`, `R' = γ I` with `N = 10⁶`, `(S, I, R)(0) =
/// (N − 1, 1, 0)`, over 160 days. x ∈ ℝ¹⁰: `x_k ~ Binomial(1000, I(17k) / N)`, k = 0..9.
/// Integrated with fixed-step RK4 (10 steps per day).
#[derive(Debug, Clone)]
pub struct Sir {
    prior: Distribution,
}

impl Sir {
    /// The benchmark task.
    pub fn new() -> Result<Self> {
        Ok(Self {
            prior: Distribution::independent(vec![
                Distribution::log_normal(0.4f64.ln(), 0.5)?,
                Distribution::log_normal(0.125f64.ln(), 0.2)?,
            ])?,
        })
    }
}

impl BenchmarkTask for Sir {
    fn name(&self) -> &'static str {
        "sir"
    }
    fn prior(&self) -> &Distribution {
        &self.prior
    }
    fn dim_data(&self) -> usize {
        10
    }
    fn simulate(&self, theta: &[f64], rng: &mut ChaCha8Rng) -> Vec<f64> {
        const N: f64 = 1e6;
        let (beta, gamma) = (theta[0], theta[1]);
        let times: Vec<f64> = (0..10).map(|k| 17.0 * k as f64).collect();
        let states = rk4_saved(
            |u: &[f64; 3]| {
                let infection = beta * u[0] * u[1] / N;
                [-infection, infection - gamma * u[1], gamma * u[1]]
            },
            [N - 1.0, 1.0, 0.0],
            160.0,
            0.1,
            &times,
        );
        states
            .iter()
            .map(|u| {
                let p = u[1] / N;
                if !p.is_finite() {
                    return f64::NAN;
                }
                Binomial::new(1000, p.clamp(0.0, 1.0))
                    .map(|b| b.sample(rng) as f64)
                    .unwrap_or(f64::NAN)
            })
            .collect()
    }
}

/// Lotka–Volterra predator–prey (`lotka_volterra`).
///
/// θ = (α, β, γ, δ) with prior `LogNormal(−0.125, 0.5²)` for α, γ and `LogNormal(−3, 0.5²)`
/// for β, δ. `x' = α x − β x y`, `y' = −γ y + δ x y`, `(x, y)(0) = (30, 1)`, over 20 time units.
/// x ∈ ℝ²⁰: prey then predator at `t = 2.1 k`, k = 0..9, each observed as
/// `LogNormal(ln clamp(u, 10⁻¹⁰, 10⁴), 0.1²)`. Integrated with fixed-step RK4 (step 0.01).
#[derive(Debug, Clone)]
pub struct LotkaVolterra {
    prior: Distribution,
}

impl LotkaVolterra {
    /// The benchmark task.
    pub fn new() -> Result<Self> {
        let wide = || Distribution::log_normal(-0.125, 0.5);
        let narrow = || Distribution::log_normal(-3.0, 0.5);
        Ok(Self {
            prior: Distribution::independent(vec![wide()?, narrow()?, wide()?, narrow()?])?,
        })
    }
}

impl BenchmarkTask for LotkaVolterra {
    fn name(&self) -> &'static str {
        "lotka_volterra"
    }
    fn prior(&self) -> &Distribution {
        &self.prior
    }
    fn dim_data(&self) -> usize {
        20
    }
    fn simulate(&self, theta: &[f64], rng: &mut ChaCha8Rng) -> Vec<f64> {
        let times: Vec<f64> = (0..10).map(|k| 2.1 * k as f64).collect();
        let states = lotka_volterra_states(theta, &times);
        let observe =
            |v: f64, rng: &mut ChaCha8Rng| (v.clamp(1e-10, 1e4).ln() + 0.1 * std_normal(rng)).exp();
        let mut x = Vec::with_capacity(20);
        for species in 0..2 {
            for s in &states {
                x.push(observe(s[species], rng));
            }
        }
        x
    }
}

/// The Lotka–Volterra states `(prey, predator)` for θ = (α, β, γ, δ) from `(30, 1)` at
/// `times` (within 20 time units; RK4, step 0.01).
pub(crate) fn lotka_volterra_states(theta: &[f64], times: &[f64]) -> Vec<[f64; 2]> {
    let (alpha, beta, gamma, delta) = (theta[0], theta[1], theta[2], theta[3]);
    rk4_saved(
        |u: &[f64; 2]| {
            [
                alpha * u[0] - beta * u[0] * u[1],
                -gamma * u[1] + delta * u[0] * u[1],
            ]
        },
        [30.0, 1.0],
        20.0,
        0.01,
        times,
    )
}
