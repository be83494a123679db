//! Monotonic rational-quadratic splines with linear tails (Durkan et al., 2019, "Neural Spline
//! Flows"), applied elementwise with per-element parameters.

use abi_tensor::{Backend, Result, Tensor};

/// Settings of the spline: number of bins, half-width of the spline's domain, and the floors
/// that keep bins and slopes away from zero (the usual source of NaNs).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
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

/// Knot positions `(.., bins + 1)` from unnormalised bin sizes `(.., bins)`.
fn knots<B: Backend>(raw: &Tensor<B>, cfg: &SplineConfig) -> Result<(Tensor<B>, Tensor<B>)> {
    let k = cfg.bins as f64;
    let last = raw.rank() - 1;
    let sizes = raw
        .softmax(last)?
        .mul_scalar(1.0 - cfg.min_bin * k)?
        .add_scalar(cfg.min_bin)?;
    let cum = sizes.cumsum(last)?;
    let padded = cum.pad(last, 1, 0)?; // 0, c1, ..., 1
    let knots = padded.mul_scalar(2.0 * cfg.bound)?.add_scalar(-cfg.bound)?;
    // the widths again, from the knots (exactly consistent with them)
    let n = cfg.bins;
    let widths = knots.narrow(last, 1, n)?.sub(&knots.narrow(last, 0, n)?)?;
    Ok((knots, widths))
}

struct Spline<B: Backend> {
    xk: Tensor<B>,
    wk: Tensor<B>,
    yk: Tensor<B>,
    hk: Tensor<B>,
    dk: Tensor<B>,
    dk1: Tensor<B>,
}

/// Splits raw parameters `(.., d, 3K − 1)` into knots and derivatives and gathers those of the
/// bin each value of `v (.., d)` falls into (searching the x-knots, or the y-knots for the
/// inverse).
fn select_bin<B: Backend>(
    raw: &Tensor<B>,
    v: &Tensor<B>,
    cfg: &SplineConfig,
    inverse: bool,
) -> Result<Spline<B>> {
    let k = cfg.bins;
    let last = raw.rank() - 1;
    let parts = raw.split(last, &[k, k, k - 1])?;
    let (xs, ws) = knots(&parts[0], cfg)?;
    let (ys, hs) = knots(&parts[1], cfg)?;
    // inner derivatives; 1 at both ends to meet the linear tails
    let inner = parts[2].softplus()?.add_scalar(cfg.min_derivative)?;
    let ones_shape = {
        let mut s = inner.shape();
        s[last] = 1;
        s
    };
    let one = Tensor::<B>::ones(&ones_shape, &inner.device())?;
    let derivs = Tensor::cat(&[one.clone(), inner, one], last)?;
    let search = if inverse { &ys } else { &xs };
    let vv = v.unsqueeze(v.rank())?; // (.., d, 1)
    let idx = search
        .searchsorted(&vv, true)?
        .sub_scalar(1.0)?
        .clamp(0.0, (k - 1) as f64)?;
    let idx1 = idx.add_scalar(1.0)?;
    let g =
        |t: &Tensor<B>, i: &Tensor<B>| -> Result<Tensor<B>> { t.gather(last, i)?.squeeze(last) };
    Ok(Spline {
        xk: g(&xs, &idx)?,
        wk: g(&ws, &idx)?,
        yk: g(&ys, &idx)?,
        hk: g(&hs, &idx)?,
        dk: g(&derivs, &idx)?,
        dk1: g(&derivs, &idx1)?,
    })
}

fn inside<B: Backend>(v: &Tensor<B>, bound: f64) -> Result<Tensor<B>> {
    let device = v.device();
    let lo = Tensor::<B>::scalar(-bound, &device)?;
    let hi = Tensor::<B>::scalar(bound, &device)?;
    v.gt(&lo)?.mul(&v.lt(&hi)?)
}

/// `y = spline(x)` elementwise and `log |dy/dx|` elementwise; `raw` is `(.., d, 3K − 1)`,
/// `x` is `(.., d)`.
pub fn forward<B: Backend>(
    x: &Tensor<B>,
    raw: &Tensor<B>,
    cfg: &SplineConfig,
) -> Result<(Tensor<B>, Tensor<B>)> {
    let b = cfg.bound;
    let mask = inside(x, b)?;
    let xc = x.clamp(-b, b)?;
    let s = select_bin(raw, &xc, cfg, false)?;
    let slope = s.hk.div(&s.wk)?;
    let xi = xc.sub(&s.xk)?.div(&s.wk)?.clamp(0.0, 1.0)?;
    let xi1 = xi.mul(&xi.neg()?.add_scalar(1.0)?)?; // ξ(1 − ξ)
    let sum_d = s.dk1.add(&s.dk)?.sub(&slope.mul_scalar(2.0)?)?;
    let num =
        s.hk.mul(&slope.mul(&xi.square()?)?.add(&s.dk.mul(&xi1)?)?)?;
    let den = slope.add(&sum_d.mul(&xi1)?)?;
    let y = s.yk.add(&num.div(&den)?)?;
    let one_minus = xi.neg()?.add_scalar(1.0)?;
    let dnum = slope.square()?.mul(
        &s.dk1
            .mul(&xi.square()?)?
            .add(&slope.mul(&xi1)?.mul_scalar(2.0)?)?
            .add(&s.dk.mul(&one_minus.square()?)?)?,
    )?;
    let log_deriv = dnum.log()?.sub(&den.square()?.log()?)?;
    let zeros = Tensor::<B>::zeros(&x.shape(), &x.device())?;
    Ok((
        mask.where_cond(&y, x)?,
        mask.where_cond(&log_deriv, &zeros)?,
    ))
}

/// `x = spline⁻¹(y)` elementwise (solving the quadratic stably).
pub fn inverse<B: Backend>(
    y: &Tensor<B>,
    raw: &Tensor<B>,
    cfg: &SplineConfig,
) -> Result<Tensor<B>> {
    let b = cfg.bound;
    let mask = inside(y, b)?;
    let yc = y.clamp(-b, b)?;
    let s = select_bin(raw, &yc, cfg, true)?;
    let slope = s.hk.div(&s.wk)?;
    let sum_d = s.dk1.add(&s.dk)?.sub(&slope.mul_scalar(2.0)?)?;
    let dy = yc.sub(&s.yk)?;
    let a = s.hk.mul(&slope.sub(&s.dk)?)?.add(&dy.mul(&sum_d)?)?;
    let bq = s.hk.mul(&s.dk)?.sub(&dy.mul(&sum_d)?)?;
    let c = slope.mul(&dy)?.neg()?;
    let disc = bq
        .square()?
        .sub(&a.mul(&c)?.mul_scalar(4.0)?)?
        .clamp(0.0, f64::MAX)?;
    let xi = c
        .mul_scalar(2.0)?
        .div(&bq.neg()?.sub(&disc.sqrt()?)?)?
        .clamp(0.0, 1.0)?;
    let x = xi.mul(&s.wk)?.add(&s.xk)?;
    mask.where_cond(&x, y)
}
