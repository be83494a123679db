//! Parameter initialisers.

use crate::error::{Result, TensorError};
use rand::Rng;
use rand_distr::{Distribution, Normal, Uniform};
use serde::{Deserialize, Serialize};

/// How a parameter's first values are drawn.
///
/// Fans follow the usual conventions: a dense weight stored as `(in, out)` has
/// `fan_in = in`, `fan_out = out`; a kernel `(out, in, k...)` has `fan_in = in · k...`,
/// `fan_out = out · k...`; a vector has `fan_in = fan_out = len`.
///
/// ```
/// use abi_tensor::Init;
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let w = Init::GlorotUniform.sample(&[64, 32], &mut rng).unwrap();
/// let limit = (6.0f64 / 96.0).sqrt();
/// assert!(w.iter().all(|v| v.abs() <= limit));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Init {
    /// All zeros (biases; output layers that should start as the identity).
    Zeros,
    /// All ones (scales).
    Ones,
    /// A constant.
    Constant(f64),
    /// Uniform on `[low, high)`.
    Uniform {
        /// lower bound
        low: f64,
        /// upper bound
        high: f64,
    },
    /// Normal with the given mean and standard deviation.
    Normal {
        /// mean
        mean: f64,
        /// standard deviation
        std: f64,
    },
    /// Glorot / Xavier uniform: `U(±√(6 / (fan_in + fan_out)))` (Keras' default).
    GlorotUniform,
    /// Glorot / Xavier normal: `N(0, 2 / (fan_in + fan_out))`.
    GlorotNormal,
    /// He / Kaiming uniform: `U(±√(6 / fan_in))`.
    HeUniform,
    /// He / Kaiming normal: `N(0, 2 / fan_in)`.
    HeNormal,
}

/// `(fan_in, fan_out)` of a parameter shape.
pub fn fans(shape: &[usize]) -> (usize, usize) {
    match shape.len() {
        0 => (1, 1),
        1 => (shape[0], shape[0]),
        2 => (shape[0], shape[1]),
        _ => {
            let receptive: usize = shape[2..].iter().product();
            (shape[1] * receptive, shape[0] * receptive)
        }
    }
}

impl Init {
    /// Draws `numel(shape)` values.
    pub fn sample(&self, shape: &[usize], rng: &mut impl Rng) -> Result<Vec<f64>> {
        let n = crate::limits::checked_numel("init", shape)?;
        let (fan_in, fan_out) = fans(shape);
        let bad = |reason: String| TensorError::InvalidArgument { op: "init", reason };
        let uniform = |limit: f64, rng: &mut dyn rand::RngCore| -> Result<Vec<f64>> {
            let d = Uniform::new(-limit, limit).map_err(|e| bad(e.to_string()))?;
            Ok((0..n).map(|_| d.sample(rng)).collect())
        };
        let normal = |mean: f64, std: f64, rng: &mut dyn rand::RngCore| -> Result<Vec<f64>> {
            let d = Normal::new(mean, std).map_err(|e| bad(e.to_string()))?;
            Ok((0..n).map(|_| d.sample(rng)).collect())
        };
        match *self {
            Init::Normal { std, .. } if !(std >= 0.0 && std.is_finite()) => {
                return Err(bad(format!(
                    "normal std must be finite and >= 0, got {std}"
                )));
            }
            Init::Uniform { low, high } if !(low < high) => {
                return Err(bad(format!(
                    "uniform needs low < high, got [{low}, {high})"
                )));
            }
            _ => {}
        }
        let fan_sum = (fan_in + fan_out).max(1) as f64;
        let fan_in = fan_in.max(1) as f64;
        match *self {
            Init::Zeros => Ok(vec![0.0; n]),
            Init::Ones => Ok(vec![1.0; n]),
            Init::Constant(c) => Ok(vec![c; n]),
            Init::Uniform { low, high } => {
                let d = Uniform::new(low, high).map_err(|e| bad(e.to_string()))?;
                Ok((0..n).map(|_| d.sample(rng)).collect())
            }
            Init::Normal { mean, std } => normal(mean, std, rng),
            Init::GlorotUniform => uniform((6.0 / fan_sum).sqrt(), rng),
            Init::GlorotNormal => normal(0.0, (2.0 / fan_sum).sqrt(), rng),
            Init::HeUniform => uniform((6.0 / fan_in).sqrt(), rng),
            Init::HeNormal => normal(0.0, (2.0 / fan_in).sqrt(), rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn moments(v: &[f64]) -> (f64, f64) {
        let n = v.len() as f64;
        let m = v.iter().sum::<f64>() / n;
        (m, v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n)
    }

    #[test]
    fn variances_match_their_definitions() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let shape = [200, 300];
        let cases = [
            (Init::GlorotUniform, 2.0 / 500.0),
            (Init::GlorotNormal, 2.0 / 500.0),
            (Init::HeUniform, 2.0 / 200.0),
            (Init::HeNormal, 2.0 / 200.0),
        ];
        for (init, var) in cases {
            let (m, v) = moments(&init.sample(&shape, &mut rng).unwrap());
            assert!(m.abs() < 3e-3, "{init:?} mean {m}");
            assert!(
                (v / var - 1.0).abs() < 0.02,
                "{init:?} variance {v} vs {var}"
            );
        }
        assert_eq!(fans(&[8, 4, 3]), (12, 24));
    }

    #[test]
    fn bad_arguments_are_errors() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        assert!(
            Init::Normal {
                mean: 0.0,
                std: -1.0
            }
            .sample(&[3], &mut rng)
            .is_err()
        );
        assert!(
            Init::Uniform {
                low: 1.0,
                high: 0.0
            }
            .sample(&[3], &mut rng)
            .is_err()
        );
    }
}
