//! Options and results of posterior sampling, and rejection of draws outside the support.

use crate::continuous::ContinuousApproximator;
use crate::error::{ApproxError, Result};
use abi_sim::{Batch, Distribution};
use abi_tensor::{Backend, Tensor};
use ndarray::{ArrayD, IxDyn};
use rand::RngCore;

/// Rejects draws of one named parameter entry that fall outside a distribution's support
/// (sbi's answer to posterior "leakage" for bounded priors).
#[derive(Debug, Clone)]
pub struct Support {
    /// The parameter entry, e.g. `"theta"`.
    pub key: String,
    /// The distribution whose support the draws must lie in (typically the prior).
    pub distribution: Distribution,
}

/// How [`ContinuousApproximator::sample_with`] runs.
#[derive(Debug, Clone)]
pub struct SampleOptions {
    /// At most this many draws per network call; data sets are processed in chunks so memory
    /// stays bounded however many there are.
    pub max_draws_per_call: usize,
    /// Show a progress bar over data sets (only on a terminal).
    pub progress: bool,
    /// Reject draws outside a support, redrawing until every data set has its `n`.
    pub support: Option<Support>,
    /// Rounds of proposals before rejection gives up with [`ApproxError::Leakage`].
    pub max_rounds: usize,
}

impl Default for SampleOptions {
    fn default() -> Self {
        Self {
            max_draws_per_call: 1 << 20,
            progress: true,
            support: None,
            max_rounds: 100,
        }
    }
}

impl SampleOptions {
    /// Rejects draws of `key` outside the support of `distribution`.
    pub fn within(mut self, key: &str, distribution: Distribution) -> Self {
        self.support = Some(Support {
            key: key.to_string(),
            distribution,
        });
        self
    }

    /// No progress bar.
    pub fn quiet(mut self) -> Self {
        self.progress = false;
        self
    }

    pub(crate) fn check(&self) -> Result<()> {
        if self.max_draws_per_call == 0 || self.max_rounds == 0 {
            return Err(ApproxError::Config(
                "max_draws_per_call and max_rounds must be positive".into(),
            ));
        }
        Ok(())
    }
}

/// Posterior draws and, with rejection, the share of proposals that were accepted.
#[derive(Debug, Clone)]
pub struct Draws {
    /// Named parameters, `(data sets, n, ...)`.
    pub draws: Batch,
    /// The share of proposed draws that fell inside the support, when one was given (an
    /// estimate of the approximate posterior's mass inside it).
    pub acceptance_rate: Option<f64>,
}

/// Draws for `rows` data sets until each has `n` inside the support: returns the network-space
/// draws `(rows, n, dim)`, the number proposed and the number of those inside the support
/// (their ratio estimates the posterior mass inside it). Proposals per round
/// grow with the observed rejection (up to 16 n per data set), and after `max_rounds` rounds
/// it fails with [`ApproxError::Leakage`] rather than loop on.
#[allow(clippy::too_many_arguments)]
pub(crate) fn reject<B: Backend>(
    approx: &ContinuousApproximator<B>,
    n: usize,
    cond: Option<&Tensor<B>>,
    rows: usize,
    first_row: usize,
    support: &Support,
    options: &SampleOptions,
    rng: &mut dyn RngCore,
) -> Result<(ArrayD<f64>, usize, usize)> {
    let dim = approx.spec().inference_dim;
    let mut kept: Vec<Vec<f64>> = vec![Vec::with_capacity(n * dim); rows];
    let mut counts = vec![0usize; rows];
    let (mut proposed, mut accepted) = (0usize, 0usize);
    let mut m = n;
    for _round in 0..options.max_rounds {
        let v = approx.draw(m, cond, rows, rng)?;
        let params = approx.to_parameters(v.clone())?;
        let theta = params.f64(&support.key)?;
        let width = theta.len() / (rows * m).max(1);
        let theta = theta
            .as_slice()
            .ok_or_else(|| ApproxError::Config("draws are not contiguous".into()))?;
        let v = v
            .as_slice()
            .ok_or_else(|| ApproxError::Config("draws are not contiguous".into()))?;
        for r in 0..rows {
            for j in 0..m {
                let i = r * m + j;
                proposed += 1;
                if support
                    .distribution
                    .contains(&theta[i * width..(i + 1) * width])
                {
                    accepted += 1;
                    if counts[r] < n {
                        kept[r].extend_from_slice(&v[i * dim..(i + 1) * dim]);
                        counts[r] += 1;
                    }
                }
            }
        }
        let lacking = counts.iter().map(|&c| n - c).max().unwrap_or(0);
        if lacking == 0 {
            let flat: Vec<f64> = kept.into_iter().flatten().collect();
            let a = ArrayD::from_shape_vec(IxDyn(&[rows, n, dim]), flat)
                .map_err(|e| ApproxError::Config(e.to_string()))?;
            return Ok((a, proposed, accepted));
        }
        let rate = (accepted as f64 / proposed as f64).max(1.0 / 16.0);
        m = ((lacking as f64 / rate * 1.2).ceil() as usize).clamp(1, 16 * n);
    }
    let (worst, &have) = counts
        .iter()
        .enumerate()
        .min_by_key(|&(_, &c)| c)
        .unwrap_or((0, &0));
    Err(ApproxError::Leakage {
        dataset: first_row + worst,
        accepted: have,
        requested: n,
        rounds: options.max_rounds,
        rate: accepted as f64 / proposed.max(1) as f64,
    })
}
