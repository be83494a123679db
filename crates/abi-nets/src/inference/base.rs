use abi_tensor::{Backend, Result, Tensor, TensorError};
use rand::RngCore;
use rand_distr::Distribution as _;
use serde::{Deserialize, Serialize};

/// The latent distribution of a normalising flow.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum BaseDistribution {
    /// Independent standard normals (the default).
    #[default]
    Normal,
    /// Independent Student-t with `df` degrees of freedom (heavier tails, Jaini et al., 2020).
    StudentT {
        /// degrees of freedom
        df: f64,
    },
}

use statrs::function::gamma::ln_gamma;

impl BaseDistribution {
    /// Checks the parameters.
    pub fn check(&self) -> Result<()> {
        match self {
            BaseDistribution::StudentT { df } if !(*df > 0.0) => {
                Err(TensorError::InvalidArgument {
                    op: "BaseDistribution",
                    reason: format!("Student-t needs df > 0, got {df}"),
                })
            }
            _ => Ok(()),
        }
    }

    /// `log p(z)` summed over the last axis.
    pub fn log_prob<B: Backend>(&self, z: &Tensor<B>) -> Result<Tensor<B>> {
        let last = z.rank() - 1;
        let d = z.dim(last)? as f64;
        match *self {
            BaseDistribution::Normal => z
                .square()?
                .sum(&[last], false)?
                .mul_scalar(-0.5)?
                .add_scalar(-0.5 * d * (2.0 * std::f64::consts::PI).ln()),
            BaseDistribution::StudentT { df } => {
                let norm = ln_gamma((df + 1.0) / 2.0)
                    - ln_gamma(df / 2.0)
                    - 0.5 * (df * std::f64::consts::PI).ln();
                z.square()?
                    .mul_scalar(1.0 / df)?
                    .log1p()?
                    .mul_scalar(-(df + 1.0) / 2.0)?
                    .sum(&[last], false)?
                    .add_scalar(d * norm)
            }
        }
    }

    /// Draws of the given shape.
    pub fn sample<B: Backend>(
        &self,
        shape: &[usize],
        rng: &mut dyn RngCore,
        device: &B::Device,
    ) -> Result<Tensor<B>> {
        match *self {
            BaseDistribution::Normal => Tensor::randn(shape, rng, device),
            BaseDistribution::StudentT { df } => {
                let t =
                    rand_distr::StudentT::new(df).map_err(|e| TensorError::InvalidArgument {
                        op: "BaseDistribution",
                        reason: e.to_string(),
                    })?;
                let n: usize = shape.iter().product();
                let v: Vec<f64> = (0..n).map(|_| t.sample(rng)).collect();
                Tensor::from_f64(&v, shape, device)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_matches_known_values() {
        assert!((ln_gamma(1.0)).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
        assert!((ln_gamma(10.0) - 362_880f64.ln()).abs() < 1e-10);
    }
}
