//! Posteriors by MCMC from a learned likelihood or ratio: `log p(θ) + ℓ(θ)` sampled by
//! `abi-mcmc`'s slice sampler, chains started by sampling–importance–resampling from the prior.
//! The approximator supplies `ℓ` for a batch of points; this part knows nothing else of it.

use super::parameters::ParameterLayout;
use crate::error::{ApproxError, Result};
use abi_mcmc::{LogDensity, McmcError, NutsOptions, SliceOptions, sir_inits, slice_sample};
use abi_sim::{Batch, Distribution};
use ndarray::{Array2, ArrayView2};
use rand::{Rng, RngCore};

/// Rows (points × trials) per evaluation of a network in [`iid_sum`].
const ROWS_PER_CALL: usize = 50_000;

/// `Σᵢ f(θ, xᵢ)` over the rows `xᵢ` (i.i.d. trials) of `observation` for every flat point θ
/// (row) of `points`: `per_row` evaluates a batch pairing each point with each trial (the
/// parameters of `layout` beside the observation's keys) row by row, e.g. a learned
/// log-likelihood or log-ratio. Evaluated in chunks of bounded size.
pub fn iid_sum(
    observation: &Batch,
    points: ArrayView2<'_, f64>,
    layout: &ParameterLayout,
    per_row: &dyn Fn(&Batch) -> Result<Vec<f64>>,
) -> Result<Vec<f64>> {
    let trials = observation
        .batch_size()
        .ok_or_else(|| ApproxError::Config("the observation holds no data".into()))?;
    let mut out = Vec::with_capacity(points.nrows());
    let per_call = (ROWS_PER_CALL / trials).max(1);
    for chunk in points.axis_chunks_iter(ndarray::Axis(0), per_call) {
        let values = per_row(&pairs(observation, chunk, layout)?)?;
        if values.len() != chunk.nrows() * trials {
            return Err(ApproxError::Config(format!(
                "{} values for {} (point, trial) pairs",
                values.len(),
                chunk.nrows() * trials
            )));
        }
        out.extend(values.chunks(trials).map(|c| c.iter().sum::<f64>()));
    }
    Ok(out)
}

/// Every point of `points` paired with every trial (row) of `observation`: the observation's
/// keys repeated for each point, the point's parameters (of `layout`) repeated for each trial,
/// point after point.
pub fn pairs(
    observation: &Batch,
    points: ArrayView2<'_, f64>,
    layout: &ParameterLayout,
) -> Result<Batch> {
    let trials = observation
        .batch_size()
        .ok_or_else(|| ApproxError::Config("the observation holds no data".into()))?;
    let rows: Vec<usize> = (0..points.nrows()).flat_map(|_| 0..trials).collect();
    let mut joint = observation.select(&rows)?;
    for (name, a) in layout.to_batch(points, trials)?.iter() {
        joint.set(name, a.clone())?;
    }
    Ok(joint)
}

/// Settings of an MCMC posterior.
#[derive(Debug, Clone, PartialEq)]
pub struct McmcOptions {
    /// The slice sampler's settings (20 chains, 200 warm-up sweeps, thinning by 5).
    pub slice: SliceOptions,
    /// NUTS's settings, for the `posterior_nuts` of an approximator (4 chains, 1 000 warm-up
    /// draws, tree depth up to 10).
    pub nuts: NutsOptions,
    /// Prior draws weighted by the learned likelihood to start the chains (10 000).
    pub proposals: usize,
}

impl Default for McmcOptions {
    fn default() -> Self {
        Self {
            slice: SliceOptions {
                chains: 20,
                warmup: 200,
                thin: 5,
                ..SliceOptions::default()
            },
            nuts: NutsOptions::default(),
            proposals: 10_000,
        }
    }
}

impl McmcOptions {
    /// The same settings without a progress bar.
    pub fn quiet(mut self) -> Self {
        self.slice.progress = false;
        self.nuts.progress = false;
        self
    }
}

/// Posterior draws by MCMC with the chains' convergence diagnostics.
#[derive(Debug, Clone)]
pub struct McmcPosterior {
    /// The draws as named parameters `(1, n, ...)`, as `sample` returns them.
    pub draws: Batch,
    /// Rank-normalised split-R̂ of every coordinate of the flat parameters.
    pub split_rhat: Vec<f64>,
    /// Bulk effective sample size of every coordinate.
    pub ess_bulk: Vec<f64>,
    /// Log-density evaluations, starting points included.
    pub evaluations: u64,
}

/// `log p(θ) + ℓ(θ)` over flat points; `ℓ` is evaluated only inside the prior's support.
struct Target<'a, L> {
    prior: &'a Distribution,
    log_likelihood: &'a L,
}

impl<L> LogDensity for Target<'_, L>
where
    L: Fn(ArrayView2<'_, f64>) -> Result<Vec<f64>> + Sync,
{
    fn dim(&self) -> usize {
        self.prior.dim()
    }

    fn log_density(&self, points: ArrayView2<'_, f64>) -> abi_mcmc::Result<Vec<f64>> {
        let prior: Vec<f64> = points
            .rows()
            .into_iter()
            .map(|r| match self.prior.log_prob(&r.to_vec()) {
                Ok(lp) if lp.is_finite() => lp,
                _ => f64::NEG_INFINITY,
            })
            .collect();
        let inside: Vec<usize> = (0..prior.len()).filter(|&i| prior[i].is_finite()).collect();
        if inside.is_empty() {
            return Ok(prior);
        }
        let selected = points.select(ndarray::Axis(0), &inside);
        let ll = (self.log_likelihood)(selected.view()).map_err(McmcError::density)?;
        let mut out = prior;
        for (&i, l) in inside.iter().zip(ll) {
            out[i] += l;
        }
        Ok(out)
    }
}

/// Checks that the prior covers the parameters and that draws and proposals are asked for.
pub(crate) fn check_request(
    prior: &Distribution,
    layout: &ParameterLayout,
    n: usize,
    proposals: usize,
) -> Result<()> {
    if prior.dim() != layout.dim() {
        return Err(ApproxError::Config(format!(
            "the prior has {} dimensions, the parameters {:?} {}",
            prior.dim(),
            layout.keys.iter().map(|k| &k.name).collect::<Vec<_>>(),
            layout.dim()
        )));
    }
    if n == 0 || proposals == 0 {
        return Err(ApproxError::Config(
            "MCMC needs a positive number of draws and of proposals".into(),
        ));
    }
    Ok(())
}

/// Starting points for `chains` chains: `proposals` prior draws weighted by the learned
/// likelihood and resampled.
fn sir_starts<L>(
    target: &Target<'_, L>,
    proposals: usize,
    chains: usize,
    rng: &mut dyn RngCore,
) -> Result<Vec<Vec<f64>>>
where
    L: Fn(ArrayView2<'_, f64>) -> Result<Vec<f64>> + Sync,
{
    let dim = target.prior.dim();
    let mut flat = Vec::with_capacity(proposals * dim);
    for _ in 0..proposals {
        target.prior.sample_into(rng, &mut flat);
    }
    let proposals = Array2::from_shape_vec((proposals, dim), flat)
        .map_err(|e| ApproxError::Config(e.to_string()))?;
    let mut rng = rng;
    Ok(sir_inits(proposals.view(), target, chains, &mut rng)?)
}

/// Starting points for `chains` chains under `prior` and the batched `log_likelihood`, by
/// sampling–importance–resampling of `proposals` prior draws.
pub fn prior_sir_starts<L>(
    log_likelihood: &L,
    prior: &Distribution,
    proposals: usize,
    chains: usize,
    rng: &mut dyn RngCore,
) -> Result<Vec<Vec<f64>>>
where
    L: Fn(ArrayView2<'_, f64>) -> Result<Vec<f64>> + Sync,
{
    let target = Target {
        prior,
        log_likelihood,
    };
    sir_starts(&target, proposals, chains, rng)
}

/// `n` posterior draws from `prior` times `exp(log_likelihood)` for the parameters of
/// `layout` (whose flat width must be the prior's dimension). `log_likelihood` maps points
/// `(m, dim)` to `m` values. Deterministic for the state of `rng`.
pub fn mcmc_posterior<L>(
    log_likelihood: &L,
    prior: &Distribution,
    layout: &ParameterLayout,
    n: usize,
    options: &McmcOptions,
    rng: &mut dyn RngCore,
) -> Result<McmcPosterior>
where
    L: Fn(ArrayView2<'_, f64>) -> Result<Vec<f64>> + Sync,
{
    check_request(prior, layout, n, options.proposals)?;
    let target = Target {
        prior,
        log_likelihood,
    };
    let inits = sir_starts(&target, options.proposals, options.slice.chains, &mut *rng)?;
    let seed = rng.random::<u64>();
    let chains = slice_sample(&target, &inits, n, &options.slice, seed)?;
    Ok(McmcPosterior {
        draws: layout.to_draws(chains.take(n)?.view())?,
        split_rhat: chains.split_rhat(),
        ess_bulk: chains.ess_bulk(),
        evaluations: chains.evaluations() + options.proposals as u64,
    })
}
