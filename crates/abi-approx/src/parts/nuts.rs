//! Posteriors by NUTS from a learned likelihood or ratio: `log p(θ) + ℓ(θ)` with its
//! gradient, sampled by `abi-mcmc`'s NUTS (through nuts-rs), chains started by
//! sampling–importance–resampling from the prior as for slice sampling.

use super::mcmc::{McmcOptions, McmcPosterior, check_request, prior_sir_starts};
use super::parameters::ParameterLayout;
use crate::error::Result;
use abi_mcmc::{GradientDensity, McmcError, nuts_sample};
use abi_sim::Distribution;
use ndarray::ArrayView2;
use rand::{Rng, RngCore};

/// The value and gradient of a learned log-likelihood at one point.
pub type ValueAndGradient<'a> = dyn Fn(&[f64]) -> Result<(f64, Vec<f64>)> + Sync + 'a;

/// `log p(θ) + ℓ(θ)` and its gradient; the prior's gradient by central differences of its
/// log density (the priors are closed-form and cheap).
struct Target<'a> {
    prior: &'a Distribution,
    learned: &'a ValueAndGradient<'a>,
}

impl Target<'_> {
    fn log_prior(&self, point: &[f64]) -> f64 {
        match self.prior.log_prob(point) {
            Ok(lp) if lp.is_finite() => lp,
            _ => f64::NEG_INFINITY,
        }
    }
}

impl GradientDensity for Target<'_> {
    fn dim(&self) -> usize {
        self.prior.dim()
    }

    fn value_and_gradient(&self, point: &[f64], gradient: &mut [f64]) -> abi_mcmc::Result<f64> {
        let lp = self.log_prior(point);
        if !lp.is_finite() {
            return Ok(f64::NEG_INFINITY);
        }
        let (ll, g) = (self.learned)(point).map_err(McmcError::density)?;
        let mut shifted = point.to_vec();
        for (j, out) in gradient.iter_mut().enumerate() {
            let h = 1e-6 * point[j].abs().max(1.0);
            shifted[j] = point[j] + h;
            let up = self.log_prior(&shifted);
            shifted[j] = point[j] - h;
            let down = self.log_prior(&shifted);
            shifted[j] = point[j];
            // at the edge of a bounded support, the one-sided difference inside it
            let prior_gradient = match (up.is_finite(), down.is_finite()) {
                (true, true) => (up - down) / (2.0 * h),
                (true, false) => (up - lp) / h,
                (false, true) => (lp - down) / h,
                (false, false) => 0.0,
            };
            *out = g[j] + prior_gradient;
        }
        Ok(lp + ll)
    }
}

/// `n` posterior draws by NUTS (`options.nuts`) from `prior` times `exp(ℓ)`:
/// `value_and_gradient` gives `ℓ` and its gradient at one point, `log_likelihood` gives `ℓ`
/// for a batch of points (for the starting points, `options.proposals` prior draws
/// resampled). Deterministic for the state of `rng`.
pub fn nuts_posterior<L>(
    log_likelihood: &L,
    value_and_gradient: &ValueAndGradient<'_>,
    prior: &Distribution,
    layout: &ParameterLayout,
    n: usize,
    options: &McmcOptions,
    rng: &mut dyn RngCore,
) -> Result<McmcPosterior>
where
    L: Fn(ArrayView2<'_, f64>) -> Result<Vec<f64>> + Sync,
{
    let proposals = options.proposals;
    check_request(prior, layout, n, proposals)?;
    let inits = prior_sir_starts(
        log_likelihood,
        prior,
        proposals,
        options.nuts.chains,
        &mut *rng,
    )?;
    let target = Target {
        prior,
        learned: value_and_gradient,
    };
    let chains = nuts_sample(&target, &inits, n, &options.nuts, rng.random::<u64>())?;
    Ok(McmcPosterior {
        draws: layout.to_draws(chains.take(n)?.view())?,
        split_rhat: chains.split_rhat(),
        ess_bulk: chains.ess_bulk(),
        evaluations: chains.evaluations() + proposals as u64,
    })
}
