//! Monotonic rational-quadratic splines with linear tails (Durkan et al., 2019, "Neural Spline
//! Flows"), applied elementwise with per-element parameters.

use abi_tensor::{Backend, Result, RqSpline, Tensor};

/// Settings of the spline: number of bins, half-width of the spline's domain, and the floors
/// that keep bins and slopes away from zero (the usual source of NaNs).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SplineConfig {
    /// Number of bins.
    pub bins: usize,
    /// The spline acts on `(−bound, bound)`; outside it is the identity (linear tails).
    pub bound: f64,
    /// Minimum bin width and height, as a fraction of the domain.
    pub min_bin: f64,
    /// Minimum derivative at the knots.
    pub min_derivative: f64,
}

impl Default for SplineConfig {
    fn default() -> Self {
        Self {
            bins: 16,
            bound: 3.0,
            min_bin: 1e-3,
            min_derivative: 1e-3,
        }
    }
}

impl SplineConfig {
    /// Raw parameters needed per transformed element: `bins` widths, `bins` heights and
    /// `bins − 1` inner derivatives.
    pub fn params_per_element(&self) -> usize {
        3 * self.bins - 1
    }
}

impl SplineConfig {
    /// The settings as the tensor operation [`Tensor::rq_spline`] takes them.
    pub fn spec(&self, inverse: bool) -> RqSpline {
        RqSpline {
            bins: self.bins,
            bound: self.bound,
            min_bin: self.min_bin,
            min_derivative: self.min_derivative,
            inverse,
        }
    }
}

/// `y = spline(x)` elementwise and `log |dy/dx|` elementwise; `raw` is `(.., d, 3K − 1)`,
/// `x` is `(.., d)`. One fused operation on backends that provide it
/// ([`abi_tensor::Backend::rq_spline`]).
pub fn forward<B: Backend>(
    x: &Tensor<B>,
    raw: &Tensor<B>,
    cfg: &SplineConfig,
) -> Result<(Tensor<B>, Tensor<B>)> {
    x.rq_spline(raw, &cfg.spec(false))
}

/// `x = spline⁻¹(y)` elementwise.
pub fn inverse<B: Backend>(
    y: &Tensor<B>,
    raw: &Tensor<B>,
    cfg: &SplineConfig,
) -> Result<Tensor<B>> {
    Ok(y.rq_spline(raw, &cfg.spec(true))?.0)
}
