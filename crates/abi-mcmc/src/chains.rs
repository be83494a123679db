//! The draws of several chains and their convergence diagnostics.

use crate::diagnostics::{ess_bulk, split_rhat};
use crate::error::{McmcError, Result};
use ndarray::{Array2, Array3, ArrayView3, Axis, s};

/// Draws of equal-length chains, `(chains, draws per chain, dim)`, with the number of
/// log-density evaluations that produced them.
#[derive(Debug, Clone, PartialEq)]
pub struct Chains {
    draws: Array3<f64>,
    evaluations: u64,
}

impl Chains {
    /// Wraps draws `(chains, draws per chain, dim)`.
    pub fn new(draws: Array3<f64>, evaluations: u64) -> Self {
        Self { draws, evaluations }
    }

    /// Number of chains.
    pub fn num_chains(&self) -> usize {
        self.draws.dim().0
    }

    /// Draws kept per chain.
    pub fn draws_per_chain(&self) -> usize {
        self.draws.dim().1
    }

    /// Number of coordinates.
    pub fn dim(&self) -> usize {
        self.draws.dim().2
    }

    /// The draws, `(chains, draws per chain, dim)`.
    pub fn draws(&self) -> ArrayView3<'_, f64> {
        self.draws.view()
    }

    /// Points at which the log density was evaluated, warm-up included.
    pub fn evaluations(&self) -> u64 {
        self.evaluations
    }

    /// All draws `(chains · draws per chain, dim)`, chain after chain.
    pub fn flat(&self) -> Array2<f64> {
        let (c, n, d) = self.draws.dim();
        self.draws
            .to_owned()
            .into_shape_with_order((c * n, d))
            .unwrap_or_else(|_| Array2::zeros((c * n, d)))
    }

    /// `n` draws taken round-robin over the chains (the first draw of every chain, then the
    /// second, ...), so that every chain contributes alike; an error when the chains hold
    /// fewer than `n` draws.
    pub fn take(&self, n: usize) -> Result<Array2<f64>> {
        let (c, per, d) = self.draws.dim();
        if n > c * per {
            return Err(McmcError::invalid(
                "Chains::take",
                format!("{n} draws asked of {c} chains × {per} draws"),
            ));
        }
        let mut out = Array2::zeros((n, d));
        for (k, mut row) in out.axis_iter_mut(Axis(0)).enumerate() {
            row.assign(&self.draws.slice(s![k % c, k / c, ..]));
        }
        Ok(out)
    }

    /// Rank-normalised split-R̂ of every coordinate ([`split_rhat`]).
    pub fn split_rhat(&self) -> Vec<f64> {
        (0..self.dim())
            .map(|j| split_rhat(self.draws.index_axis(Axis(2), j)))
            .collect()
    }

    /// Bulk effective sample size of every coordinate ([`ess_bulk`]).
    pub fn ess_bulk(&self) -> Vec<f64> {
        (0..self.dim())
            .map(|j| ess_bulk(self.draws.index_axis(Axis(2), j)))
            .collect()
    }
}
