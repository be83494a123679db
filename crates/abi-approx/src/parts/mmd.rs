//! The maximum mean discrepancy between two samples as a differentiable loss, for a learned
//! summary space with a known distribution (Schmitt et al., 2023, "Detecting model
//! misspecification in amortized Bayesian inference with neural networks").

use crate::error::Result;
use abi_tensor::{Backend, Tensor};

/// Bandwidths of the Gaussian kernels whose sum is the MMD's kernel.
const BANDWIDTHS: [f64; 7] = [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0];

/// `Σ_σ exp(−‖aᵢ − bⱼ‖² / (2σ²))` for rows `a` `(n, d)` and `b` `(m, d)`: `(n, m)`.
fn kernel<B: Backend>(a: &Tensor<B>, b: &Tensor<B>) -> Result<Tensor<B>> {
    let a2 = a.square()?.sum(&[1], true)?; // (n, 1)
    let b2 = b.square()?.sum(&[1], true)?.t()?; // (1, m)
    let dist = a2
        .add(&b2)?
        .sub(&a.matmul(&b.t()?)?.mul_scalar(2.0)?)?
        .relu()?;
    let mut k: Option<Tensor<B>> = None;
    for s in BANDWIDTHS {
        let term = dist.mul_scalar(-1.0 / (2.0 * s * s))?.exp()?;
        k = Some(match k {
            Some(k) => k.add(&term)?,
            None => term,
        });
    }
    Ok(k.unwrap_or(dist))
}

/// The (biased) squared MMD `mean k(a, a) + mean k(b, b) − 2 mean k(a, b)` of the rows of
/// `a` `(n, d)` and `b` `(m, d)`, with a sum of Gaussian kernels of several bandwidths;
/// differentiable in both. Zero when the samples are equal, larger the more they differ.
pub fn mmd_squared<B: Backend>(a: &Tensor<B>, b: &Tensor<B>) -> Result<Tensor<B>> {
    let aa = kernel(a, a)?.mean_all()?;
    let bb = kernel(b, b)?.mean_all()?;
    let ab = kernel(a, b)?.mean_all()?;
    Ok(aa.add(&bb)?.sub(&ab.mul_scalar(2.0)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi_ndarray::{Cpu, NdArray};
    use rand::SeedableRng;

    #[test]
    fn mmd_separates_shifted_samples() -> Result<()> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let a = Tensor::<NdArray<f64>>::randn(&[200, 3], &mut rng, &Cpu)?;
        let b = Tensor::<NdArray<f64>>::randn(&[200, 3], &mut rng, &Cpu)?;
        let same = mmd_squared(&a, &b)?.to_scalar()?;
        let shifted = mmd_squared(&a, &b.add_scalar(1.0)?)?.to_scalar()?;
        assert!(same.abs() < 0.05, "{same}");
        assert!(shifted > 10.0 * same.abs().max(1e-3), "{shifted} vs {same}");
        Ok(())
    }
}
