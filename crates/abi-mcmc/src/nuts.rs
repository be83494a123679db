//! The No-U-Turn sampler (Hoffman & Gelman, 2014) through `nuts-rs`, the PyMC project's Rust
//! implementation (nutpie's sampler): diagonal mass-matrix and step-size adaptation during
//! warm-up, one chain per thread.

use crate::chains::Chains;
use crate::error::{McmcError, Result};
use crate::progress::progress_bar;
use ndarray::Array3;
use nuts_rs::rand::SeedableRng;
use nuts_rs::{
    Chain as _, CpuLogpFunc, CpuMath, CpuMathError, DiagNutsSettings, HasDims, Settings,
};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// A log density with its gradient at one point, for gradient-based samplers.
pub trait GradientDensity: Sync {
    /// Number of coordinates.
    fn dim(&self) -> usize;

    /// The log density at `point`, writing its gradient into `gradient`; `−∞` (or NaN)
    /// outside the support, where the gradient is not read.
    fn value_and_gradient(&self, point: &[f64], gradient: &mut [f64]) -> Result<f64>;
}

/// Settings of [`nuts_sample`].
#[derive(Debug, Clone, PartialEq)]
pub struct NutsOptions {
    /// Chains, one per thread (4).
    pub chains: usize,
    /// Warm-up draws of each chain, during which step size and mass matrix adapt (1 000).
    pub warmup: usize,
    /// Largest tree depth: at most `2^maxdepth − 1` leapfrog steps per draw (10).
    pub maxdepth: u64,
    /// Show a progress bar over the draws (only on a terminal).
    pub progress: bool,
}

impl Default for NutsOptions {
    fn default() -> Self {
        Self {
            chains: 4,
            warmup: 1_000,
            maxdepth: 10,
            progress: true,
        }
    }
}

impl NutsOptions {
    /// The same settings without a progress bar.
    pub fn quiet(mut self) -> Self {
        self.progress = false;
        self
    }
}

/// Why `nuts-rs` could not evaluate a point.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
struct LogpFailure {
    reason: String,
    recoverable: bool,
}

impl nuts_rs::LogpError for LogpFailure {
    fn is_recoverable(&self) -> bool {
        self.recoverable
    }
}

/// The density as `nuts-rs` sees it.
struct Target<'a, D> {
    density: &'a D,
    evaluations: &'a AtomicU64,
}

impl<D: GradientDensity> HasDims for Target<'_, D> {
    fn dim_sizes(&self) -> HashMap<String, u64> {
        HashMap::from([("position".to_string(), self.density.dim() as u64)])
    }
}

impl<D: GradientDensity> CpuLogpFunc for Target<'_, D> {
    type LogpError = LogpFailure;
    type FlowParameters = ();
    type ExpandedVector = Vec<f64>;

    fn dim(&self) -> usize {
        self.density.dim()
    }

    fn logp(
        &mut self,
        position: &[f64],
        gradient: &mut [f64],
    ) -> std::result::Result<f64, LogpFailure> {
        self.evaluations.fetch_add(1, Ordering::Relaxed);
        match self.density.value_and_gradient(position, gradient) {
            Ok(v) if v.is_finite() && gradient.iter().all(|g| g.is_finite()) => Ok(v),
            // outside the support or a non-finite gradient: the trajectory turns back there
            Ok(_) => Err(LogpFailure {
                reason: "no finite log density or gradient".into(),
                recoverable: true,
            }),
            Err(e) => Err(LogpFailure {
                reason: e.to_string(),
                recoverable: false,
            }),
        }
    }

    fn expand_vector<R: nuts_rs::rand::Rng + ?Sized>(
        &mut self,
        _rng: &mut R,
        array: &[f64],
    ) -> std::result::Result<Vec<f64>, CpuMathError> {
        Ok(array.to_vec())
    }
}

/// Draws `n` samples (every chain keeps `⌈n / chains⌉`) from `exp(density)` by NUTS in
/// `options.chains` chains started at `inits` (cycled when fewer). Deterministic for a seed:
/// chain `c` has its own stream.
///
/// ```
/// use abi_mcmc::{GradientDensity, NutsOptions, nuts_sample};
/// struct Normal;
/// impl GradientDensity for Normal {
///     fn dim(&self) -> usize { 2 }
///     fn value_and_gradient(&self, x: &[f64], g: &mut [f64]) -> abi_mcmc::Result<f64> {
///         g[0] = -x[0];
///         g[1] = -x[1];
///         Ok(-0.5 * (x[0] * x[0] + x[1] * x[1]))
///     }
/// }
/// let opts = NutsOptions { chains: 2, warmup: 200, ..Default::default() }.quiet();
/// let chains = nuts_sample(&Normal, &[vec![0.5, -0.5]], 2_000, &opts, 3).unwrap();
/// assert!(chains.take(2_000).unwrap().column(0).mean().unwrap().abs() < 0.15);
/// ```
pub fn nuts_sample(
    density: &impl GradientDensity,
    inits: &[Vec<f64>],
    n: usize,
    options: &NutsOptions,
    seed: u64,
) -> Result<Chains> {
    let dim = density.dim();
    if dim == 0 || inits.is_empty() || inits.iter().any(|s| s.len() != dim) {
        return Err(McmcError::invalid(
            "nuts_sample",
            format!(
                "needs starting points of the density's dimension {dim}, got {} of dimensions {:?}",
                inits.len(),
                inits.iter().map(Vec::len).collect::<Vec<_>>()
            ),
        ));
    }
    if options.chains == 0 || options.maxdepth == 0 {
        return Err(McmcError::invalid(
            "NutsOptions",
            format!("chains and maxdepth must be positive, got {options:?}"),
        ));
    }
    let chains = options.chains;
    let per_chain = n.div_ceil(chains);
    let evaluations = AtomicU64::new(0);
    let bar = progress_bar(
        (chains * (options.warmup + per_chain)) as u64,
        "NUTS",
        options.progress,
    );
    let run = |c: usize| -> Result<Vec<f64>> {
        let settings = DiagNutsSettings {
            num_tune: options.warmup as u64,
            num_draws: per_chain as u64,
            maxdepth: options.maxdepth,
            ..Default::default()
        };
        let math = CpuMath::new(Target {
            density,
            evaluations: &evaluations,
        });
        let mut rng = nuts_rs::rand::rngs::ChaCha8Rng::seed_from_u64(
            seed ^ (c as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let fail = |e: &dyn std::fmt::Display| {
            McmcError::invalid(format!("NUTS chain {c}"), e.to_string())
        };
        let mut chain = settings
            .new_chain(c as u64, math, &mut rng)
            .map_err(|e| fail(&e))?;
        chain
            .set_position(&inits[c % inits.len()])
            .map_err(|e| fail(&e))?;
        let mut kept = Vec::with_capacity(per_chain * dim);
        for i in 0..options.warmup + per_chain {
            let (draw, _) = chain.draw().map_err(|e| fail(&e))?;
            if i >= options.warmup {
                kept.extend_from_slice(&draw);
            }
            bar.inc(1);
        }
        Ok(kept)
    };
    let draws: Vec<Vec<f64>> = (0..chains)
        .into_par_iter()
        .map(run)
        .collect::<Result<_>>()?;
    bar.finish_and_clear();
    let flat: Vec<f64> = draws.concat();
    let draws = Array3::from_shape_vec((chains, per_chain, dim), flat)
        .map_err(|e| McmcError::invalid("nuts_sample", e.to_string()))?;
    Ok(Chains::new(draws, evaluations.load(Ordering::Relaxed)))
}
