//! The target of every sampler: a log density evaluated for many points at once.

use crate::error::Result;
use ndarray::ArrayView2;
use rayon::prelude::*;

/// An unnormalised log density over `dim` real coordinates, evaluated for a batch of points
/// in one call: the samplers move all their chains together and ask for every chain's value
/// at once, so a learned density pays one network evaluation per step instead of one per
/// chain. Values outside the support are `−∞`; NaN counts as `−∞`.
///
/// Closures of one point are wrapped by [`Pointwise`]; learned likelihoods and ratios
/// implement the trait directly.
pub trait LogDensity: Sync {
    /// Number of coordinates of a point.
    fn dim(&self) -> usize;

    /// The log density at each row of `points` (`(m, dim)`), in order.
    fn log_density(&self, points: ArrayView2<'_, f64>) -> Result<Vec<f64>>;
}

impl<T: LogDensity + ?Sized> LogDensity for &T {
    fn dim(&self) -> usize {
        (**self).dim()
    }

    fn log_density(&self, points: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
        (**self).log_density(points)
    }
}

/// A [`LogDensity`] from a function of one point, evaluated over a batch's rows on rayon's
/// threads.
///
/// ```
/// use abi_mcmc::{LogDensity, Pointwise};
/// let normal = Pointwise::new(2, |x: &[f64]| -0.5 * (x[0] * x[0] + x[1] * x[1]));
/// let points = ndarray::array![[0.0, 0.0], [1.0, 1.0]];
/// assert_eq!(normal.log_density(points.view()).unwrap(), vec![0.0, -1.0]);
/// ```
#[derive(Debug, Clone)]
pub struct Pointwise<F> {
    dim: usize,
    f: F,
}

impl<F: Fn(&[f64]) -> f64 + Sync> Pointwise<F> {
    /// Wraps `f`, a log density over `dim` coordinates.
    pub fn new(dim: usize, f: F) -> Self {
        Self { dim, f }
    }
}

impl<F: Fn(&[f64]) -> f64 + Sync> LogDensity for Pointwise<F> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn log_density(&self, points: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
        let eval = |row: ndarray::ArrayView1<'_, f64>| match row.as_slice() {
            Some(s) => (self.f)(s),
            None => (self.f)(&row.to_vec()),
        };
        if points.nrows() < 8 {
            return Ok(points.rows().into_iter().map(eval).collect());
        }
        Ok(points
            .axis_iter(ndarray::Axis(0))
            .into_par_iter()
            .map(eval)
            .collect())
    }
}
