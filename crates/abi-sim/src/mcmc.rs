//! Markov chain Monte Carlo for densities known up to a constant: coordinate-wise slice
//! sampling (Neal, 2003, "Slice sampling", with stepping out and shrinkage) over many
//! independent chains in parallel, started by sampling–importance–resampling from a proposal.
//!
//! It draws reference posteriors of the benchmark tasks
//! ([`benchmarks::reference_posterior`](crate::benchmarks::reference_posterior)) from their
//! exact likelihoods, the standard against which neural posteriors are scored.

use crate::error::{Result, SimError};
use crate::simulator::draw_rng;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Settings of [`slice_sample`].
#[derive(Debug, Clone, PartialEq)]
pub struct SliceOptions {
    /// Independent chains, run in parallel (each contributes `n / chains` draws).
    pub chains: usize,
    /// Sweeps (one update of every coordinate) discarded at the start of each chain; the
    /// slice widths adapt during them.
    pub warmup: usize,
    /// Sweeps between kept draws.
    pub thin: usize,
    /// Initial width of the slice interval in every coordinate.
    pub width: f64,
    /// Most steps of stepping out on either side.
    pub max_steps: usize,
}

impl Default for SliceOptions {
    fn default() -> Self {
        Self {
            chains: 100,
            warmup: 500,
            thin: 10,
            width: 0.5,
            max_steps: 50,
        }
    }
}

/// Draws `n` samples from the density `exp(log_density)` (unnormalised; `−∞` outside its
/// support) by coordinate-wise slice sampling in `options.chains` chains started at `inits`
/// (one start per chain; cycled when fewer). After every sweep, `symmetry` may move the state
/// by a map that leaves the density unchanged (e.g. a sign flip of parameters that enter the
/// likelihood squared): an exact move that carries chains between symmetric modes; pass
/// `|_, _| {}` for none. Chain `i` uses the random stream `draw_rng(seed, i)`, so the result
/// is deterministic for a seed whatever the number of threads. Returns the draws row-major,
/// `n × dim`, chain after chain.
///
/// ```
/// use abi_sim::mcmc::{SliceOptions, slice_sample};
/// // a standard normal in 2-D
/// let opts = SliceOptions { chains: 4, warmup: 50, thin: 2, ..Default::default() };
/// let draws = slice_sample(
///     |x: &[f64]| -0.5 * (x[0] * x[0] + x[1] * x[1]),
///     |_: &mut [f64], _: &mut rand_chacha::ChaCha8Rng| {},
///     &[vec![0.0, 0.0]],
///     2_000,
///     &opts,
///     7,
/// )
/// .unwrap();
/// let mean = draws.iter().step_by(2).sum::<f64>() / 2_000.0;
/// assert!(mean.abs() < 0.15);
/// ```
pub fn slice_sample(
    log_density: impl Fn(&[f64]) -> f64 + Sync,
    symmetry: impl Fn(&mut [f64], &mut ChaCha8Rng) + Sync,
    inits: &[Vec<f64>],
    n: usize,
    options: &SliceOptions,
    seed: u64,
) -> Result<Vec<f64>> {
    let invalid = |reason: String| SimError::Invalid {
        what: "slice_sample".into(),
        reason,
    };
    let dim = inits.first().map_or(0, Vec::len);
    if inits.is_empty() || dim == 0 || inits.iter().any(|s| s.len() != dim) {
        return Err(invalid(format!(
            "needs starting points of one positive dimension, got {} of dimensions {:?}",
            inits.len(),
            inits.iter().map(Vec::len).collect::<Vec<_>>()
        )));
    }
    let valid = options.chains > 0
        && options.thin > 0
        && options.max_steps > 0
        && options.width.is_finite()
        && options.width > 0.0;
    if !valid {
        return Err(invalid(format!("invalid options {options:?}")));
    }
    if let Some((i, s)) = inits
        .iter()
        .enumerate()
        .find(|(_, s)| !log_density(s).is_finite())
    {
        return Err(invalid(format!(
            "starting point {i} ({s:?}) has no finite log-density"
        )));
    }
    let chains = options.chains;
    let per_chain = |c: usize| n / chains + usize::from(c < n % chains);
    let draws: Vec<Vec<f64>> = (0..chains)
        .into_par_iter()
        .map(|c| {
            let mut rng = draw_rng(seed, c as u64);
            let start = inits[c % inits.len()].clone();
            let mut chain = Chain {
                lp: log_density(&start),
                x: start,
                width: vec![options.width; dim],
                log_density: &log_density,
                max_steps: options.max_steps,
            };
            let mut moved = vec![0.0; dim];
            for sweep in 0..options.warmup {
                chain.sweep(&mut rng, &mut moved);
                symmetry(&mut chain.x, &mut rng);
                // widths follow the typical move, over windows of 25 sweeps
                if (sweep + 1) % 25 == 0 {
                    for (w, m) in chain.width.iter_mut().zip(moved.iter_mut()) {
                        *w = (2.0 * *m / 25.0).max(1e-6);
                        *m = 0.0;
                    }
                }
            }
            let mut out = Vec::with_capacity(per_chain(c) * dim);
            for _ in 0..per_chain(c) {
                for _ in 0..options.thin {
                    chain.sweep(&mut rng, &mut moved);
                    symmetry(&mut chain.x, &mut rng);
                }
                out.extend_from_slice(&chain.x);
            }
            out
        })
        .collect();
    Ok(draws.concat())
}

/// One chain's state.
struct Chain<'a, L> {
    x: Vec<f64>,
    lp: f64,
    width: Vec<f64>,
    log_density: &'a L,
    max_steps: usize,
}

impl<L: Fn(&[f64]) -> f64> Chain<'_, L> {
    /// Updates every coordinate once, adding the size of each move to `moved`.
    fn sweep(&mut self, rng: &mut ChaCha8Rng, moved: &mut [f64]) {
        for (j, m) in moved.iter_mut().enumerate() {
            let before = self.x[j];
            self.update(j, rng);
            *m += (self.x[j] - before).abs();
        }
    }

    fn at(&mut self, j: usize, v: f64) -> f64 {
        self.x[j] = v;
        (self.log_density)(&self.x)
    }

    /// One slice-sampling update of coordinate `j` (stepping out, then shrinkage).
    fn update(&mut self, j: usize, rng: &mut ChaCha8Rng) {
        let x0 = self.x[j];
        let level = self.lp + rng.random::<f64>().max(f64::MIN_POSITIVE).ln();
        let w = self.width[j];
        let mut lo = x0 - w * rng.random::<f64>();
        let mut hi = lo + w;
        let mut steps_lo = rng.random_range(0..self.max_steps);
        let mut steps_hi = self.max_steps - 1 - steps_lo;
        while steps_lo > 0 && self.at(j, lo) > level {
            lo -= w;
            steps_lo -= 1;
        }
        while steps_hi > 0 && self.at(j, hi) > level {
            hi += w;
            steps_hi -= 1;
        }
        loop {
            let v = rng.random_range(lo..hi);
            let lp = self.at(j, v);
            if lp > level {
                self.lp = lp;
                return;
            }
            if v < x0 {
                lo = v;
            } else {
                hi = v;
            }
            if hi - lo < 1e-12 {
                // the slice has shrunk onto the current point
                self.x[j] = x0;
                return;
            }
        }
    }
}

/// Starting points for `chains` chains by sampling–importance–resampling: `proposals` drawn
/// from the prior, weighted by `log_weight` (the log-likelihood), resampled with replacement.
pub fn sir_inits(
    proposals: Vec<Vec<f64>>,
    log_weight: impl Fn(&[f64]) -> f64 + Sync,
    chains: usize,
    rng: &mut impl Rng,
) -> Result<Vec<Vec<f64>>> {
    let lw: Vec<f64> = proposals.par_iter().map(|p| log_weight(p)).collect();
    let max = lw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return Err(SimError::Invalid {
            what: "sir_inits".into(),
            reason: format!(
                "none of the {} proposals has a finite weight",
                proposals.len()
            ),
        });
    }
    let mut cumulative = Vec::with_capacity(lw.len());
    let mut total = 0.0;
    for l in &lw {
        total += (l - max).exp();
        cumulative.push(total);
    }
    Ok((0..chains)
        .map(|_| {
            let u = rng.random::<f64>() * total;
            let i = cumulative.partition_point(|&c| c < u).min(lw.len() - 1);
            proposals[i].clone()
        })
        .collect())
}
