//! Options and results of posterior sampling (the sampler itself is
//! [`crate::parts::sampler`]).

use crate::error::{ApproxError, Result};
use abi_sim::{Batch, Distribution};

/// Rejects draws of one named parameter entry that fall outside a distribution's support
/// (sbi's answer to posterior "leakage" for bounded priors).
#[derive(Debug, Clone)]
pub struct Support {
    /// The parameter entry, e.g. `"theta"`.
    pub key: String,
    /// The distribution whose support the draws must lie in (typically the prior).
    pub distribution: Distribution,
}

/// How [`ContinuousApproximator::sample_with`](crate::ContinuousApproximator::sample_with) runs.
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
