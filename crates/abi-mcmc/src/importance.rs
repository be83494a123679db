//! Sampling–importance–resampling from weighted proposals.

use crate::error::{McmcError, Result};
use rand::Rng;

/// The outcome of [`importance_resample`].
#[derive(Debug, Clone, PartialEq)]
pub struct Resampled {
    /// Indices of the chosen proposals, with repetition.
    pub indices: Vec<usize>,
    /// Effective sample size of the weights, `(Σ w)² / Σ w²`: the number of independent
    /// draws the weighted proposals are worth.
    pub ess: f64,
}

/// `n` indices drawn with replacement in proportion to `exp(log_weights)` (NaN and `−∞` have
/// weight zero), and the weights' effective sample size; an error when no weight is
/// positive.
///
/// ```
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let r = abi_mcmc::importance_resample(&[0.0, f64::NEG_INFINITY, 0.0], 100, &mut rng).unwrap();
/// assert!(r.indices.iter().all(|&i| i != 1));
/// assert!((r.ess - 2.0).abs() < 1e-12);
/// ```
pub fn importance_resample(log_weights: &[f64], n: usize, rng: &mut impl Rng) -> Result<Resampled> {
    let max = log_weights
        .iter()
        .copied()
        .filter(|v| !v.is_nan())
        .fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return Err(McmcError::invalid(
            "importance_resample",
            format!(
                "none of the {} weights is positive and finite",
                log_weights.len()
            ),
        ));
    }
    let weights: Vec<f64> = log_weights
        .iter()
        .map(|l| if l.is_nan() { 0.0 } else { (l - max).exp() })
        .collect();
    let total: f64 = weights.iter().sum();
    let squares: f64 = weights.iter().map(|w| w * w).sum();
    let mut cumulative = Vec::with_capacity(weights.len());
    let mut acc = 0.0;
    for w in &weights {
        acc += w;
        cumulative.push(acc);
    }
    let indices = (0..n)
        .map(|_| {
            let u = rng.random::<f64>() * total;
            cumulative
                .partition_point(|&c| c <= u)
                .min(weights.len() - 1)
        })
        .collect();
    Ok(Resampled {
        indices,
        ess: total * total / squares,
    })
}
