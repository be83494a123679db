//! Reference posteriors of the benchmark tasks from their exact likelihoods, by MCMC.

use super::BenchmarkTask;
use crate::error::{Result, SimError};
use crate::simulator::draw_rng;
use abi_mcmc::{Pointwise, SliceOptions, sir_inits, slice_sample_with};
use ndarray::Array2;

/// Settings of [`reference_posterior`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceOptions {
    /// Prior draws weighted by the likelihood to start the chains.
    pub proposals: usize,
    /// The slice sampler's settings.
    pub slice: SliceOptions,
}

impl Default for ReferenceOptions {
    fn default() -> Self {
        Self {
            proposals: 100_000,
            slice: SliceOptions::default(),
        }
    }
}

/// `n` draws `(n, dim_parameters)` from the posterior `p(θ | x) ∝ p(θ) p(x | θ)` of a task
/// with a tractable likelihood: chains started by sampling–importance–resampling from the
/// prior, then coordinate-wise slice sampling with the task's
/// [`posterior_symmetry`](BenchmarkTask::posterior_symmetry) as an extra move, as the
/// benchmark's MCMC references are drawn. Deterministic for a seed.
///
/// ```
/// use abi_sim::benchmarks::{BenchmarkTask, GaussianLinear, ReferenceOptions, reference_posterior};
/// let task = GaussianLinear::new().unwrap();
/// let mut opts = ReferenceOptions::default();
/// opts.proposals = 2_000;
/// opts.slice.warmup = 100;
/// let draws = reference_posterior(&task, &[0.1; 10], 1_000, &opts, 3).unwrap();
/// assert_eq!(draws.shape(), &[1_000, 10]);
/// ```
pub fn reference_posterior<T: BenchmarkTask>(
    task: &T,
    x: &[f64],
    n: usize,
    options: &ReferenceOptions,
    seed: u64,
) -> Result<Array2<f64>> {
    if x.len() != task.dim_data() {
        return Err(SimError::Invalid {
            what: format!("reference_posterior of `{}`", task.name()),
            reason: format!(
                "the observation has {} values, the task's data {}",
                x.len(),
                task.dim_data()
            ),
        });
    }
    let prior = task.prior();
    if task
        .log_likelihood(&prior.sample(&mut draw_rng(seed, 0)), x)
        .is_none()
    {
        return Err(SimError::Invalid {
            what: format!("reference_posterior of `{}`", task.name()),
            reason: "the task has no tractable likelihood".into(),
        });
    }
    let log_likelihood = |theta: &[f64]| {
        task.log_likelihood(theta, x)
            .filter(|l| !l.is_nan())
            .unwrap_or(f64::NEG_INFINITY)
    };
    let log_posterior = |theta: &[f64]| match prior.log_prob(theta) {
        Ok(lp) if lp.is_finite() => lp + log_likelihood(theta),
        _ => f64::NEG_INFINITY,
    };
    let mut rng = draw_rng(seed, u64::MAX);
    let dim = task.dim_parameters();
    let mut proposals = Vec::with_capacity(options.proposals.max(1) * dim);
    for _ in 0..options.proposals.max(1) {
        prior.sample_into(&mut rng, &mut proposals);
    }
    let proposals = Array2::from_shape_vec((options.proposals.max(1), dim), proposals)
        .map_err(|e| mcmc_error(e.to_string()))?;
    let target = Pointwise::new(dim, log_posterior);
    let inits = sir_inits(proposals.view(), &target, options.slice.chains, &mut rng)
        .map_err(|e| mcmc_error(e.to_string()))?;
    let chains = slice_sample_with(
        &target,
        |theta, rng| task.posterior_symmetry(theta, rng),
        &inits,
        n,
        &options.slice,
        seed,
    )
    .map_err(|e| mcmc_error(e.to_string()))?;
    chains.take(n).map_err(|e| mcmc_error(e.to_string()))
}

fn mcmc_error(reason: String) -> SimError {
    SimError::Invalid {
        what: "reference_posterior".into(),
        reason,
    }
}
