//! Posteriors by rejection sampling from a learned likelihood or ratio: prior draws accepted
//! with probability `exp(ℓ(θ) − log M)`, where `log M` bounds `ℓ` over the prior's support
//! (sbi's `RejectionPosterior` with the prior as proposal). Exact when the bound holds, with
//! no chains to converge; practical while the posterior is not much narrower than the prior
//! (the acceptance rate is reported).

use super::mcmc::check_request;
use super::parameters::ParameterLayout;
use crate::error::{ApproxError, Result};
use abi_sim::{Batch, Distribution};
use ndarray::{Array2, ArrayView2, Axis};
use rand::{Rng, RngCore};

/// Settings of a rejection posterior.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectionOptions {
    /// Prior draws whose largest `ℓ` starts the search for the bound (10 000).
    pub bound_proposals: usize,
    /// Rounds of batched hill climbing from the best of them that refine the bound (100).
    pub bound_iterations: usize,
    /// Factor on the bound found, for the part of the maximum the search missed (1.2, sbi's).
    pub margin: f64,
    /// Prior draws proposed per call of `ℓ` (10 000).
    pub batch: usize,
    /// Proposals after which sampling stops with an error (10 million).
    pub max_proposals: usize,
    /// Show a progress bar of accepted draws.
    pub progress: bool,
}

impl Default for RejectionOptions {
    fn default() -> Self {
        Self {
            bound_proposals: 10_000,
            bound_iterations: 100,
            margin: 1.2,
            batch: 10_000,
            max_proposals: 10_000_000,
            progress: true,
        }
    }
}

impl RejectionOptions {
    /// The same settings without a progress bar.
    pub fn quiet(mut self) -> Self {
        self.progress = false;
        self
    }
}

/// Posterior draws by rejection sampling, with what the sampling cost.
#[derive(Debug, Clone)]
pub struct RejectionPosterior {
    /// The draws as named parameters `(1, n, ...)`, as `sample` returns them.
    pub draws: Batch,
    /// Accepted draws over proposals.
    pub acceptance_rate: f64,
    /// Prior draws proposed, those of the bound's search included.
    pub proposals: u64,
    /// The final `log M`.
    pub log_bound: f64,
    /// Proposals whose `ℓ` exceeded the bound in force, which was then raised: draws accepted
    /// before that are slightly too many where `ℓ` is largest. Zero when the bound held.
    pub bound_exceeded: u64,
}

/// `ℓ` at every row of `points`, `−∞` outside the prior's support.
fn inside_support<L>(
    log_likelihood: &L,
    prior: &Distribution,
    points: ArrayView2<'_, f64>,
) -> Result<Vec<f64>>
where
    L: Fn(ArrayView2<'_, f64>) -> Result<Vec<f64>>,
{
    let inside: Vec<usize> = (0..points.nrows())
        .filter(|&i| {
            prior
                .log_prob(&points.row(i).to_vec())
                .is_ok_and(f64::is_finite)
        })
        .collect();
    let mut out = vec![f64::NEG_INFINITY; points.nrows()];
    if inside.is_empty() {
        return Ok(out);
    }
    let values = log_likelihood(points.select(Axis(0), &inside).view())?;
    if values.len() != inside.len() {
        return Err(ApproxError::Config(format!(
            "the log-likelihood gave {} values for {} points",
            values.len(),
            inside.len()
        )));
    }
    for (&i, v) in inside.iter().zip(values) {
        // NaN is no evidence for a point: treated as the edge of the support
        out[i] = if v.is_nan() { f64::NEG_INFINITY } else { v };
    }
    Ok(out)
}

fn prior_draws(prior: &Distribution, n: usize, rng: &mut dyn RngCore) -> Result<Array2<f64>> {
    let mut flat = Vec::with_capacity(n * prior.dim());
    for _ in 0..n {
        prior.sample_into(rng, &mut flat);
    }
    Array2::from_shape_vec((n, prior.dim()), flat).map_err(|e| ApproxError::Config(e.to_string()))
}

/// Points kept by the bound's search.
const CLIMBERS: usize = 8;
/// Perturbations of each kept point per round.
const MOVES: usize = 16;

/// The largest `ℓ` found: over `proposals` prior draws, then refined by batched stochastic
/// hill climbing from the best few, every climber with its own step that grows after a gain
/// and shrinks after none. Returns the value and the proposals spent.
fn find_maximum<L>(
    log_likelihood: &L,
    prior: &Distribution,
    options: &RejectionOptions,
    rng: &mut dyn RngCore,
) -> Result<(f64, u64)>
where
    L: Fn(ArrayView2<'_, f64>) -> Result<Vec<f64>>,
{
    let start = prior_draws(prior, options.bound_proposals, rng)?;
    let values = inside_support(log_likelihood, prior, start.view())?;
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
    let kept = &order[..CLIMBERS.min(order.len())];
    let mut best = start.select(Axis(0), kept);
    let mut best_values: Vec<f64> = kept.iter().map(|&i| values[i]).collect();
    // the prior draws' spread sets the first step
    let spread: Vec<f64> = start
        .std_axis(Axis(0), 0.0)
        .iter()
        .map(|s| 0.1 * s.max(1e-12))
        .collect();
    let mut steps = vec![1.0; best.nrows()];
    let dim = prior.dim();
    for _ in 0..options.bound_iterations {
        let moves = Array2::from_shape_fn((best.nrows() * MOVES, dim), |(r, j)| {
            let z: f64 = rng.sample(rand_distr::StandardNormal);
            best[[r / MOVES, j]] + steps[r / MOVES] * spread[j] * z
        });
        let moved = inside_support(log_likelihood, prior, moves.view())?;
        for c in 0..best.nrows() {
            let (arg, value) = (c * MOVES..(c + 1) * MOVES)
                .map(|r| (r, moved[r]))
                .fold((0, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
            if value > best_values[c] {
                best_values[c] = value;
                best.row_mut(c).assign(&moves.row(arg));
                steps[c] *= 1.5;
            } else {
                steps[c] *= 0.6;
            }
        }
    }
    let evaluated = options.bound_proposals + options.bound_iterations * best.nrows() * MOVES;
    let maximum = best_values
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    Ok((maximum, evaluated as u64))
}

/// `n` posterior draws from `prior` times `exp(log_likelihood)` by rejection sampling from the
/// prior, for the parameters of `layout` (whose flat width must be the prior's dimension).
/// Errors when `options.max_proposals` proposals do not give `n` draws, with the acceptance
/// rate reached. Deterministic for the state of `rng`.
pub fn rejection_posterior<L>(
    log_likelihood: &L,
    prior: &Distribution,
    layout: &ParameterLayout,
    n: usize,
    options: &RejectionOptions,
    rng: &mut dyn RngCore,
) -> Result<RejectionPosterior>
where
    L: Fn(ArrayView2<'_, f64>) -> Result<Vec<f64>>,
{
    check_request(prior, layout, n, options.bound_proposals.min(options.batch))?;
    if !(options.margin >= 1.0 && options.margin.is_finite()) {
        return Err(ApproxError::Config(format!(
            "the bound's margin must be a finite factor of at least 1, got {}",
            options.margin
        )));
    }
    let (maximum, mut proposals) = find_maximum(log_likelihood, prior, options, &mut *rng)?;
    if !maximum.is_finite() {
        return Err(ApproxError::Config(format!(
            "no prior draw has a finite log-likelihood (the largest is {maximum})"
        )));
    }
    let mut log_bound = maximum + options.margin.ln();
    let mut bound_exceeded = 0;
    let dim = prior.dim();
    let mut accepted = Vec::with_capacity(n * dim);
    let bar = abi_sim::progress_bar(n as u64, "rejection sampling", options.progress);
    let mut proposed = 0usize;
    while accepted.len() < n * dim {
        if proposed >= options.max_proposals {
            return Err(ApproxError::Config(format!(
                "rejection sampling accepted {} of {proposed} prior draws (rate {:.2e}), short of \
                 the {n} asked for: the posterior is too narrow for the prior as proposal; use MCMC",
                accepted.len() / dim,
                (accepted.len() / dim) as f64 / proposed as f64
            )));
        }
        let points = prior_draws(prior, options.batch, rng)?;
        let values = inside_support(log_likelihood, prior, points.view())?;
        proposed += options.batch;
        let largest = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if largest > log_bound {
            bound_exceeded += values.iter().filter(|&&v| v > log_bound).count() as u64;
            log_bound = largest + options.margin.ln();
        }
        for (row, v) in points.rows().into_iter().zip(values) {
            if accepted.len() == n * dim {
                break;
            }
            let u: f64 = rng.random();
            if u.ln() < v - log_bound {
                accepted.extend(row.iter());
                bar.inc(1);
            }
        }
    }
    bar.finish_and_clear();
    proposals += proposed as u64;
    let points = Array2::from_shape_vec((n, dim), accepted)
        .map_err(|e| ApproxError::Config(e.to_string()))?;
    Ok(RejectionPosterior {
        draws: layout.to_draws(points.view())?,
        acceptance_rate: n as f64 / proposed as f64,
        proposals,
        log_bound,
        bound_exceeded,
    })
}
