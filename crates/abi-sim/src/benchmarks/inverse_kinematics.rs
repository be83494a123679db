use super::BenchmarkTask;
use crate::distribution::Distribution;
use crate::error::Result;
use rand_chacha::ChaCha8Rng;

/// Inverse kinematics of a planar arm on a rail (Kruse et al., 2021, "Benchmarking
/// Invertible Architectures on Inverse Problems").
///
/// θ ∈ ℝ⁴ with prior `N(0, diag(0.25², 0.5², 0.5², 0.5²))`: rail position θ₁ and three joint
/// angles. Segment lengths (0.5, 0.5, 1.0); x ∈ ℝ² is the end point,
/// `x₁ = θ₁ + Σₖ lₖ sin(θ₂ + … + θₖ₊₁)`, `x₂ = Σₖ lₖ cos(θ₂ + … + θₖ₊₁)` (deterministic).
#[derive(Debug, Clone)]
pub struct InverseKinematics {
    prior: Distribution,
}

impl InverseKinematics {
    /// The task with the published prior scales and lengths.
    pub fn new() -> Result<Self> {
        Ok(Self {
            prior: Distribution::independent(vec![
                Distribution::normal(0.0, 0.25)?,
                Distribution::normal(0.0, 0.5)?,
                Distribution::normal(0.0, 0.5)?,
                Distribution::normal(0.0, 0.5)?,
            ])?,
        })
    }
}

impl BenchmarkTask for InverseKinematics {
    fn name(&self) -> &'static str {
        "inverse_kinematics"
    }
    fn prior(&self) -> &Distribution {
        &self.prior
    }
    fn dim_data(&self) -> usize {
        2
    }
    fn simulate(&self, theta: &[f64], _rng: &mut ChaCha8Rng) -> Vec<f64> {
        let lengths = [0.5, 0.5, 1.0];
        let (mut x1, mut x2, mut angle) = (theta[0], 0.0, 0.0);
        for (k, l) in lengths.iter().enumerate() {
            angle += theta[k + 1];
            x1 += l * angle.sin();
            x2 += l * angle.cos();
        }
        vec![x1, x2]
    }
}
