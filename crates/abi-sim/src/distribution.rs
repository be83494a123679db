//! Prior distributions: sampling, log densities and supports.

use crate::error::{Result, SimError};
use rand::RngCore;
use rand_distr::Distribution as _;
use serde::{Deserialize, Serialize};
use statrs::distribution::Continuous;

/// A (possibly multivariate) distribution over parameters, serialisable to JSON.
///
/// Constructors check their parameters; [`Distribution::log_prob`] is `-∞` outside the support,
/// and [`Distribution::bounds`] exposes the support so that an adapter can constrain and a
/// posterior can reject out-of-support draws.
///
/// ```
/// use abi_sim::Distribution;
/// use rand::SeedableRng;
/// let prior = Distribution::independent(vec![
///     Distribution::normal(0.0, 1.0)?,
///     Distribution::half_normal(2.0)?,
/// ])?;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let theta = prior.sample(&mut rng);
/// assert_eq!(theta.len(), 2);
/// assert!(prior.log_prob(&theta)?.is_finite());
/// assert_eq!(prior.log_prob(&[0.0, -1.0])?, f64::NEG_INFINITY);
/// # Ok::<(), abi_sim::SimError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Distribution {
    /// Normal with mean and standard deviation.
    Normal {
        /// mean
        mean: f64,
        /// standard deviation
        std: f64,
    },
    /// |N(0, scale²)|.
    HalfNormal {
        /// scale of the underlying normal
        scale: f64,
    },
    /// `exp(N(mu, sigma²))`.
    LogNormal {
        /// mean of the log
        mu: f64,
        /// standard deviation of the log
        sigma: f64,
    },
    /// Uniform on `[low, high)`.
    Uniform {
        /// lower bound
        low: f64,
        /// upper bound
        high: f64,
    },
    /// Beta with shapes `alpha`, `beta`.
    Beta {
        /// first shape
        alpha: f64,
        /// second shape
        beta: f64,
    },
    /// Gamma with `shape` and `rate` (mean `shape / rate`).
    Gamma {
        /// shape
        shape: f64,
        /// rate (inverse scale)
        rate: f64,
    },
    /// Independent uniforms on a box (sbi's `BoxUniform`).
    BoxUniform {
        /// lower bounds
        low: Vec<f64>,
        /// upper bounds
        high: Vec<f64>,
    },
    /// Multivariate normal with a full covariance (its Cholesky factor is kept).
    MvNormal {
        /// mean
        mean: Vec<f64>,
        /// covariance, row-major `d × d`
        cov: Vec<f64>,
        /// lower Cholesky factor of `cov`, row-major
        chol: Vec<f64>,
    },
    /// Independent components, concatenated.
    Independent {
        /// the components
        parts: Vec<Distribution>,
    },
}

fn check(ok: bool, what: &str, reason: String) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(SimError::invalid(what, reason))
    }
}

/// Lower Cholesky factor of a symmetric positive-definite `d × d` row-major matrix.
pub fn cholesky(a: &[f64], d: usize) -> Result<Vec<f64>> {
    check(
        a.len() == d * d,
        "cholesky",
        format!("{} values for a {d}×{d} matrix", a.len()),
    )?;
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let mut s = a[i * d + j];
            for k in 0..j {
                s -= l[i * d + k] * l[j * d + k];
            }
            if i == j {
                check(
                    s > 0.0,
                    "cholesky",
                    "matrix is not positive definite".into(),
                )?;
                l[i * d + i] = s.sqrt();
            } else {
                l[i * d + j] = s / l[j * d + j];
            }
        }
    }
    Ok(l)
}

fn std_normal(rng: &mut dyn RngCore) -> f64 {
    rand_distr::StandardNormal.sample(rng)
}

impl Distribution {
    /// `N(mean, std²)`.
    pub fn normal(mean: f64, std: f64) -> Result<Self> {
        check(
            std > 0.0 && mean.is_finite(),
            "normal",
            format!("need finite mean and std > 0, got ({mean}, {std})"),
        )?;
        Ok(Distribution::Normal { mean, std })
    }

    /// Half-normal with the given scale.
    pub fn half_normal(scale: f64) -> Result<Self> {
        check(
            scale > 0.0,
            "half_normal",
            format!("need scale > 0, got {scale}"),
        )?;
        Ok(Distribution::HalfNormal { scale })
    }

    /// Log-normal: `exp(N(mu, sigma²))`.
    pub fn log_normal(mu: f64, sigma: f64) -> Result<Self> {
        check(
            sigma > 0.0 && mu.is_finite(),
            "log_normal",
            format!("need finite mu and sigma > 0, got ({mu}, {sigma})"),
        )?;
        Ok(Distribution::LogNormal { mu, sigma })
    }

    /// Uniform on `[low, high)`.
    pub fn uniform(low: f64, high: f64) -> Result<Self> {
        check(
            low < high && low.is_finite() && high.is_finite(),
            "uniform",
            format!("need finite low < high, got [{low}, {high})"),
        )?;
        Ok(Distribution::Uniform { low, high })
    }

    /// Beta with shapes `alpha`, `beta`.
    pub fn beta(alpha: f64, beta: f64) -> Result<Self> {
        check(
            alpha > 0.0 && beta > 0.0,
            "beta",
            format!("need positive shapes, got ({alpha}, {beta})"),
        )?;
        Ok(Distribution::Beta { alpha, beta })
    }

    /// Gamma with `shape` and `rate`.
    pub fn gamma(shape: f64, rate: f64) -> Result<Self> {
        check(
            shape > 0.0 && rate > 0.0,
            "gamma",
            format!("need positive shape and rate, got ({shape}, {rate})"),
        )?;
        Ok(Distribution::Gamma { shape, rate })
    }

    /// Independent uniforms on the box `[low, high)`.
    pub fn box_uniform(low: Vec<f64>, high: Vec<f64>) -> Result<Self> {
        check(
            low.len() == high.len() && !low.is_empty() && low.iter().zip(&high).all(|(l, h)| l < h),
            "box_uniform",
            format!("need equally long low < high, got {low:?} and {high:?}"),
        )?;
        Ok(Distribution::BoxUniform { low, high })
    }

    /// Multivariate normal with mean and row-major covariance.
    pub fn mv_normal(mean: Vec<f64>, cov: Vec<f64>) -> Result<Self> {
        let d = mean.len();
        check(
            d > 0 && cov.len() == d * d,
            "mv_normal",
            format!(
                "mean of {d} needs a {d}×{d} covariance, got {} values",
                cov.len()
            ),
        )?;
        let chol = cholesky(&cov, d)?;
        Ok(Distribution::MvNormal { mean, cov, chol })
    }

    /// Multivariate normal given a precision (inverse covariance) matrix.
    pub fn mv_normal_precision(mean: Vec<f64>, precision: Vec<f64>) -> Result<Self> {
        let d = mean.len();
        let cov = invert_spd(&precision, d)?;
        Self::mv_normal(mean, cov)
    }

    /// Independent components, concatenated in order.
    pub fn independent(parts: Vec<Distribution>) -> Result<Self> {
        check(!parts.is_empty(), "independent", "no components".into())?;
        Ok(Distribution::Independent { parts })
    }

    /// Number of dimensions.
    pub fn dim(&self) -> usize {
        match self {
            Distribution::BoxUniform { low, .. } => low.len(),
            Distribution::MvNormal { mean, .. } => mean.len(),
            Distribution::Independent { parts } => parts.iter().map(Distribution::dim).sum(),
            _ => 1,
        }
    }

    /// One draw.
    pub fn sample(&self, rng: &mut dyn RngCore) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.dim());
        self.sample_into(rng, &mut out);
        out
    }

    /// One draw appended to `out`.
    pub fn sample_into(&self, rng: &mut dyn RngCore, out: &mut Vec<f64>) {
        use rand::Rng;
        match self {
            Distribution::Normal { mean, std } => out.push(mean + std * std_normal(rng)),
            Distribution::HalfNormal { scale } => out.push((scale * std_normal(rng)).abs()),
            Distribution::LogNormal { mu, sigma } => out.push((mu + sigma * std_normal(rng)).exp()),
            Distribution::Uniform { low, high } => {
                out.push(low + (high - low) * rng.random::<f64>())
            }
            Distribution::Beta { alpha, beta } => {
                let d = rand_distr::Beta::new(*alpha, *beta)
                    .unwrap_or_else(|_| unreachable!("parameters were checked"));
                out.push(d.sample(rng))
            }
            Distribution::Gamma { shape, rate } => {
                let d = rand_distr::Gamma::new(*shape, 1.0 / rate)
                    .unwrap_or_else(|_| unreachable!("parameters were checked"));
                out.push(d.sample(rng))
            }
            Distribution::BoxUniform { low, high } => {
                for (l, h) in low.iter().zip(high) {
                    out.push(l + (h - l) * rng.random::<f64>());
                }
            }
            Distribution::MvNormal { mean, chol, .. } => {
                let d = mean.len();
                let z: Vec<f64> = (0..d).map(|_| std_normal(rng)).collect();
                for i in 0..d {
                    let lz: f64 = (0..=i).map(|k| chol[i * d + k] * z[k]).sum();
                    out.push(mean[i] + lz);
                }
            }
            Distribution::Independent { parts } => {
                for p in parts {
                    p.sample_into(rng, out);
                }
            }
        }
    }

    /// Log density at `theta` (`-∞` outside the support).
    pub fn log_prob(&self, theta: &[f64]) -> Result<f64> {
        check(
            theta.len() == self.dim(),
            "log_prob",
            format!(
                "a {}-dimensional distribution got {} values",
                self.dim(),
                theta.len()
            ),
        )?;
        Ok(self.log_prob_unchecked(theta))
    }

    fn log_prob_unchecked(&self, theta: &[f64]) -> f64 {
        let x = theta[0];
        let ninf = f64::NEG_INFINITY;
        let from_statrs = |r: std::result::Result<f64, ()>| r.unwrap_or(ninf);
        match self {
            Distribution::Normal { mean, std } => from_statrs(
                statrs::distribution::Normal::new(*mean, *std)
                    .map(|d| d.ln_pdf(x))
                    .map_err(|_| ()),
            ),
            Distribution::HalfNormal { scale } => {
                if x < 0.0 {
                    ninf
                } else {
                    std::f64::consts::LN_2
                        + from_statrs(
                            statrs::distribution::Normal::new(0.0, *scale)
                                .map(|d| d.ln_pdf(x))
                                .map_err(|_| ()),
                        )
                }
            }
            Distribution::LogNormal { mu, sigma } => {
                if x <= 0.0 {
                    ninf
                } else {
                    from_statrs(
                        statrs::distribution::LogNormal::new(*mu, *sigma)
                            .map(|d| d.ln_pdf(x))
                            .map_err(|_| ()),
                    )
                }
            }
            Distribution::Uniform { low, high } => {
                if x >= *low && x < *high {
                    -(high - low).ln()
                } else {
                    ninf
                }
            }
            Distribution::Beta { alpha, beta } => {
                if x <= 0.0 || x >= 1.0 {
                    ninf
                } else {
                    from_statrs(
                        statrs::distribution::Beta::new(*alpha, *beta)
                            .map(|d| d.ln_pdf(x))
                            .map_err(|_| ()),
                    )
                }
            }
            Distribution::Gamma { shape, rate } => {
                if x <= 0.0 {
                    ninf
                } else {
                    from_statrs(
                        statrs::distribution::Gamma::new(*shape, *rate)
                            .map(|d| d.ln_pdf(x))
                            .map_err(|_| ()),
                    )
                }
            }
            Distribution::BoxUniform { low, high } => {
                let inside = theta
                    .iter()
                    .zip(low.iter().zip(high))
                    .all(|(x, (l, h))| x >= l && x < h);
                if inside {
                    -low.iter().zip(high).map(|(l, h)| (h - l).ln()).sum::<f64>()
                } else {
                    ninf
                }
            }
            Distribution::MvNormal { mean, chol, .. } => {
                let d = mean.len();
                // solve L z = theta - mean by forward substitution
                let mut z = vec![0.0; d];
                for i in 0..d {
                    let s: f64 = (0..i).map(|k| chol[i * d + k] * z[k]).sum();
                    z[i] = (theta[i] - mean[i] - s) / chol[i * d + i];
                }
                let log_det: f64 = (0..d).map(|i| chol[i * d + i].ln()).sum();
                -0.5 * z.iter().map(|v| v * v).sum::<f64>()
                    - log_det
                    - 0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln()
            }
            Distribution::Independent { parts } => {
                let mut at = 0;
                let mut total = 0.0;
                for p in parts {
                    let k = p.dim();
                    total += p.log_prob_unchecked(&theta[at..at + k]);
                    at += k;
                }
                total
            }
        }
    }

    /// Per-dimension support `(lower, upper)` (infinite where unbounded).
    pub fn bounds(&self) -> Vec<(f64, f64)> {
        let inf = f64::INFINITY;
        match self {
            Distribution::Normal { .. } => vec![(-inf, inf)],
            Distribution::HalfNormal { .. } | Distribution::Gamma { .. } => vec![(0.0, inf)],
            Distribution::LogNormal { .. } => vec![(0.0, inf)],
            Distribution::Uniform { low, high } => vec![(*low, *high)],
            Distribution::Beta { .. } => vec![(0.0, 1.0)],
            Distribution::BoxUniform { low, high } => {
                low.iter().copied().zip(high.iter().copied()).collect()
            }
            Distribution::MvNormal { mean, .. } => vec![(-inf, inf); mean.len()],
            Distribution::Independent { parts } => {
                parts.iter().flat_map(Distribution::bounds).collect()
            }
        }
    }

    /// Whether `theta` lies in the support.
    pub fn contains(&self, theta: &[f64]) -> bool {
        theta.len() == self.dim()
            && self
                .bounds()
                .iter()
                .zip(theta)
                .all(|((l, h), x)| x >= l && x <= h)
    }
}

/// Inverse of a symmetric positive-definite row-major `d × d` matrix (through its Cholesky
/// factor).
pub fn invert_spd(a: &[f64], d: usize) -> Result<Vec<f64>> {
    let l = cholesky(a, d)?;
    // invert L, then A⁻¹ = L⁻ᵀ L⁻¹
    let mut linv = vec![0.0; d * d];
    for i in 0..d {
        linv[i * d + i] = 1.0 / l[i * d + i];
        for j in 0..i {
            let s: f64 = (j..i).map(|k| l[i * d + k] * linv[k * d + j]).sum();
            linv[i * d + j] = -s / l[i * d + i];
        }
    }
    let mut inv = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..d {
            inv[i * d + j] = (i.max(j)..d)
                .map(|k| linv[k * d + i] * linv[k * d + j])
                .sum();
        }
    }
    Ok(inv)
}
