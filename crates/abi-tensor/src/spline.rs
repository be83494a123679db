//! Monotonic rational-quadratic splines with linear tails (Durkan et al., 2019, "Neural Spline
//! Flows"), applied elementwise with per-element parameters: the operation behind
//! [`Backend::rq_spline`] and its default, composed of the trait's other operations.
//!
//! Each element `v` of the input `(.., d)` has `3K − 1` raw parameters in `(.., d, 3K − 1)`:
//! `K` unnormalised bin widths, `K` unnormalised bin heights (each through a softmax, with a
//! floor of `min_bin` of the domain per bin) and `K − 1` inner knot slopes (through a
//! softplus, plus `min_derivative`); the outer slopes are 1 so the spline meets the identity
//! tails outside `(−bound, bound)`.

use crate::backend::Backend;
use crate::error::{Result, TensorError};
use crate::tensor::Tensor;

/// The spline's settings and direction, as passed to [`Backend::rq_spline`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RqSpline {
    /// Number of bins `K` (at least 1).
    pub bins: usize,
    /// The spline acts on `(−bound, bound)`; outside it is the identity.
    pub bound: f64,
    /// Minimum bin width and height, as a fraction of the domain (`bins · min_bin < 1`).
    pub min_bin: f64,
    /// Minimum slope at the inner knots.
    pub min_derivative: f64,
    /// `false`: the spline `y = f(x)`; `true`: its inverse `x = f⁻¹(y)`.
    pub inverse: bool,
}

impl RqSpline {
    /// Raw parameters per element: `bins` widths, `bins` heights, `bins − 1` inner slopes.
    pub fn params_per_element(&self) -> usize {
        3 * self.bins - 1
    }

    /// The same spline in the other direction.
    pub fn inverted(self) -> Self {
        Self {
            inverse: !self.inverse,
            ..self
        }
    }
}

/// Checks the settings and that `raw` is `x`'s shape plus a last axis of `3K − 1` (run by
/// [`Tensor::rq_spline`] before the backend's kernel).
pub fn check_rq_spline(x: &[usize], raw: &[usize], spec: &RqSpline) -> Result<()> {
    let valid = spec.bins >= 1
        && spec.bound.is_finite()
        && spec.bound > 0.0
        && spec.min_bin >= 0.0
        && spec.min_bin * (spec.bins as f64) < 1.0
        && spec.min_derivative >= 0.0;
    if !valid {
        return Err(TensorError::InvalidArgument {
            op: "rq_spline",
            reason: format!("invalid spline settings {spec:?}"),
        });
    }
    let matches = raw.len() == x.len() + 1
        && raw[..x.len()] == *x
        && raw[x.len()] == spec.params_per_element();
    if !matches {
        return Err(TensorError::ShapeMismatch {
            op: "rq_spline (input, raw parameters [.., 3 · bins − 1])",
            lhs: x.to_vec(),
            rhs: raw.to_vec(),
        });
    }
    Ok(())
}

/// Knot positions `(.., K + 1)` and bin sizes `(.., K)` from unnormalised sizes `(.., K)`.
fn knots<B: Backend>(raw: &Tensor<B>, spec: &RqSpline) -> Result<(Tensor<B>, Tensor<B>)> {
    let k = spec.bins as f64;
    let last = raw.rank() - 1;
    let sizes = raw
        .softmax(last)?
        .mul_scalar(1.0 - spec.min_bin * k)?
        .add_scalar(spec.min_bin)?;
    let cum = sizes.cumsum(last)?;
    let knots = cum
        .pad(last, 1, 0)?
        .mul_scalar(2.0 * spec.bound)?
        .add_scalar(-spec.bound)?;
    let sizes = sizes.mul_scalar(2.0 * spec.bound)?;
    Ok((knots, sizes))
}

/// The quantities of the bin each element falls into.
struct Bin<B: Backend> {
    xk: Tensor<B>,
    wk: Tensor<B>,
    yk: Tensor<B>,
    hk: Tensor<B>,
    dk: Tensor<B>,
    dk1: Tensor<B>,
}

/// Gathers the bin of each value of `v (.., d)`, searching the input knots (or the output
/// knots for the inverse).
fn select_bin<B: Backend>(raw: &Tensor<B>, v: &Tensor<B>, spec: &RqSpline) -> Result<Bin<B>> {
    let k = spec.bins;
    let last = raw.rank() - 1;
    let parts = raw.split(last, &[k, k, k - 1])?;
    let (xs, ws) = knots(&parts[0], spec)?;
    let (ys, hs) = knots(&parts[1], spec)?;
    let inner = parts[2].softplus()?.add_scalar(spec.min_derivative)?;
    let mut ones_shape = inner.shape();
    ones_shape[last] = 1;
    let one = Tensor::<B>::ones(&ones_shape, &inner.device())?;
    let slopes = Tensor::cat(&[one.clone(), inner, one], last)?;
    let search = if spec.inverse { &ys } else { &xs };
    let idx = search
        .searchsorted(&v.unsqueeze(v.rank())?, true)?
        .sub_scalar(1.0)?
        .clamp(0.0, (k - 1) as f64)?;
    let idx1 = idx.add_scalar(1.0)?;
    let g = |t: &Tensor<B>, i: &Tensor<B>| t.gather(last, i)?.squeeze(last);
    Ok(Bin {
        xk: g(&xs, &idx)?,
        wk: g(&ws, &idx)?,
        yk: g(&ys, &idx)?,
        hk: g(&hs, &idx)?,
        dk: g(&slopes, &idx)?,
        dk1: g(&slopes, &idx1)?,
    })
}

/// `y` and `ln f'(x)` at the position `ξ ∈ [0, 1]` within the bin.
fn evaluate<B: Backend>(b: &Bin<B>, xi: &Tensor<B>) -> Result<(Tensor<B>, Tensor<B>)> {
    let slope = b.hk.div(&b.wk)?;
    let t = xi.mul(&xi.neg()?.add_scalar(1.0)?)?; // ξ(1 − ξ)
    let sigma = b.dk1.add(&b.dk)?.sub(&slope.mul_scalar(2.0)?)?;
    let num = b.hk.mul(&slope.mul(&xi.square()?)?.add(&b.dk.mul(&t)?)?)?;
    let den = slope.add(&sigma.mul(&t)?)?;
    let y = b.yk.add(&num.div(&den)?)?;
    let one_minus = xi.neg()?.add_scalar(1.0)?;
    let m = b
        .dk1
        .mul(&xi.square()?)?
        .add(&slope.mul(&t)?.mul_scalar(2.0)?)?
        .add(&b.dk.mul(&one_minus.square()?)?)?;
    let log_deriv = slope
        .log()?
        .mul_scalar(2.0)?
        .add(&m.log()?)?
        .sub(&den.log()?.mul_scalar(2.0)?)?;
    Ok((y, log_deriv))
}

/// The default [`Backend::rq_spline`], composed of the trait's other operations: the output
/// `(2, .., d)` holds the mapped values, then `ln |∂out/∂in|`, elementwise. Like every
/// backend kernel it expects arguments checked with [`check_rq_spline`] (as
/// [`Tensor::rq_spline`] does).
pub fn rq_spline_composite<B: Backend>(
    v: &Tensor<B>,
    raw: &Tensor<B>,
    spec: &RqSpline,
) -> Result<Tensor<B>> {
    let bound = spec.bound;
    let device = v.device();
    let lo = Tensor::<B>::scalar(-bound, &device)?;
    let hi = Tensor::<B>::scalar(bound, &device)?;
    let inside = v.gt(&lo)?.mul(&v.lt(&hi)?)?;
    let vc = v.clamp(-bound, bound)?;
    let b = select_bin(raw, &vc, spec)?;
    let (out, log_deriv) = if spec.inverse {
        // solve the bin's quadratic for ξ in its cancellation-free form
        let slope = b.hk.div(&b.wk)?;
        let sigma = b.dk1.add(&b.dk)?.sub(&slope.mul_scalar(2.0)?)?;
        let dy = vc.sub(&b.yk)?;
        let qa = b.hk.mul(&slope.sub(&b.dk)?)?.add(&dy.mul(&sigma)?)?;
        let qb = b.hk.mul(&b.dk)?.sub(&dy.mul(&sigma)?)?;
        let qc = slope.mul(&dy)?.neg()?;
        let disc = qb
            .square()?
            .sub(&qa.mul(&qc)?.mul_scalar(4.0)?)?
            .clamp(0.0, f64::MAX)?;
        let xi = qc
            .mul_scalar(2.0)?
            .div(&qb.neg()?.sub(&disc.sqrt()?)?)?
            .clamp(0.0, 1.0)?;
        let x = xi.mul(&b.wk)?.add(&b.xk)?;
        let (_, log_deriv) = evaluate(&b, &xi)?;
        (x, log_deriv.neg()?)
    } else {
        let xi = vc.sub(&b.xk)?.div(&b.wk)?.clamp(0.0, 1.0)?;
        evaluate(&b, &xi)?
    };
    let zeros = Tensor::<B>::zeros(&v.shape(), &device)?;
    let out = inside.where_cond(&out, v)?;
    let log_deriv = inside.where_cond(&log_deriv, &zeros)?;
    Tensor::stack(&[out, log_deriv], 0)
}

impl<B: Backend> Tensor<B> {
    /// The monotonic rational-quadratic spline (or its inverse, per `spec.inverse`) applied to
    /// every element, with raw parameters `(.., d, 3K − 1)` for an input `(.., d)`: returns
    /// the mapped values and `ln |∂out/∂in|`, both `(.., d)`. Differentiable in both inputs.
    ///
    /// ```
    /// use abi_tensor::{Backend, Result, Tensor, spline::RqSpline};
    /// fn roundtrip<B: Backend>(x: &Tensor<B>, raw: &Tensor<B>) -> Result<Tensor<B>> {
    ///     let spec = RqSpline { bins: 8, bound: 3.0, min_bin: 1e-3, min_derivative: 1e-3, inverse: false };
    ///     let (y, _log_deriv) = x.rq_spline(raw, &spec)?;
    ///     let (back, _) = y.rq_spline(raw, &spec.inverted())?;
    ///     Ok(back) // equals x up to rounding
    /// }
    /// ```
    pub fn rq_spline(&self, raw: &Self, spec: &RqSpline) -> Result<(Self, Self)> {
        check_rq_spline(&self.shape(), &raw.shape(), spec)?;
        let both = Self::from_raw(B::rq_spline(self.raw(), raw.raw(), spec)?);
        Ok((
            both.narrow(0, 0, 1)?.squeeze(0)?,
            both.narrow(0, 1, 1)?.squeeze(0)?,
        ))
    }
}
