//! [`PosteriorSummary`]: the per-data-set, per-parameter moments and sorted draws that every
//! calibration and recovery metric starts from, computed once.

use crate::checks;
use crate::error::Result;
use ndarray::{Array2, ArrayView2, ArrayView3, Axis};
use rayon::prelude::*;

/// Posterior draws summarised per data set and parameter.
///
/// Built from draws `(data sets, draws, parameters)` and truths `(data sets, parameters)`;
/// every array below is `(data sets, parameters)` unless stated otherwise.
#[derive(Debug, Clone)]
pub struct PosteriorSummary {
    /// Posterior means.
    pub mean: Array2<f64>,
    /// Posterior variances (divisor `draws − 1`).
    pub var: Array2<f64>,
    /// Posterior medians.
    pub median: Array2<f64>,
    /// The truths the draws are checked against.
    pub truths: Array2<f64>,
    /// The draws sorted ascending, flat `(data sets, parameters, draws)`.
    sorted: Vec<f64>,
    draws: usize,
}

impl PosteriorSummary {
    /// Summarises `draws` `(data sets, draws, parameters)` against `truths`
    /// `(data sets, parameters)`. Errors on mismatched shapes, fewer than 2 data sets or
    /// draws, or non-finite values.
    pub fn new(draws: ArrayView3<f64>, truths: ArrayView2<f64>) -> Result<Self> {
        let (n, m, p) = checks::draws_truths("PosteriorSummary", &draws, &truths)?;
        let mut sorted = vec![0.0; n * p * m];
        sorted
            .par_chunks_mut(p * m)
            .zip(draws.axis_iter(Axis(0)).into_par_iter())
            .for_each(|(out, set)| {
                for (j, cell) in out.chunks_mut(m).enumerate() {
                    cell.iter_mut()
                        .zip(set.column(j))
                        .for_each(|(o, v)| *o = *v);
                    cell.sort_unstable_by(f64::total_cmp);
                }
            });
        let mut mean = Array2::zeros((n, p));
        let mut var = Array2::zeros((n, p));
        let mut median = Array2::zeros((n, p));
        for (k, x) in sorted.chunks(m).enumerate() {
            let (i, j) = (k / p, k % p);
            let mu = x.iter().sum::<f64>() / m as f64;
            let ss: f64 = x.iter().map(|v| (v - mu) * (v - mu)).sum();
            mean[[i, j]] = mu;
            var[[i, j]] = ss / (m - 1) as f64;
            median[[i, j]] = quantile_sorted(x, 0.5);
        }
        Ok(Self {
            mean,
            var,
            median,
            truths: truths.to_owned(),
            sorted,
            draws: m,
        })
    }

    /// Number of data sets.
    pub fn num_datasets(&self) -> usize {
        self.mean.nrows()
    }

    /// Number of parameters.
    pub fn num_parameters(&self) -> usize {
        self.mean.ncols()
    }

    /// Number of draws per data set.
    pub fn num_draws(&self) -> usize {
        self.draws
    }

    /// The draws of data set `i`, parameter `j`, sorted ascending.
    pub fn sorted_draws(&self, i: usize, j: usize) -> &[f64] {
        let start = (i * self.num_parameters() + j) * self.draws;
        &self.sorted[start..start + self.draws]
    }

    /// The `q`-quantile of data set `i`, parameter `j` (linear interpolation between order
    /// statistics, NumPy's default "type 7").
    pub fn quantile(&self, i: usize, j: usize, q: f64) -> f64 {
        quantile_sorted(self.sorted_draws(i, j), q)
    }

    /// SBC ranks `(data sets, parameters)`: `r = #{draws < truth}`, in `0..=draws`
    /// (Talts et al. 2018, "Validating Bayesian inference algorithms with simulation-based
    /// calibration").
    pub fn ranks(&self) -> Array2<usize> {
        let (n, p) = self.mean.dim();
        Array2::from_shape_fn((n, p), |(i, j)| {
            let t = self.truths[[i, j]];
            self.sorted_draws(i, j).partition_point(|v| *v < t)
        })
    }
}

/// The `q`-quantile of ascending `sorted` by linear interpolation: with `h = (n − 1) q`,
/// `x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋ + 1] − x[⌊h⌋])` (Hyndman & Fan 1996, type 7).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_matches_numpy_type_7() {
        let x = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(quantile_sorted(&x, 0.0), 1.0);
        assert_eq!(quantile_sorted(&x, 1.0), 8.0);
        // numpy.quantile([1, 2, 4, 8], 0.5) = 3.0, 0.25 → 1.75
        assert!((quantile_sorted(&x, 0.5) - 3.0).abs() < 1e-12);
        assert!((quantile_sorted(&x, 0.25) - 1.75).abs() < 1e-12);
    }
}
