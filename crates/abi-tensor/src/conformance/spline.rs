//! The rational-quadratic spline ([`Backend::rq_spline`]): values against a scalar host
//! reference (the inverse against bisection on it), the composed default, the inverse's
//! log-derivative, gradients in both directions, and typed shape errors.

use super::{Failure, Report, check_gradients, check_values, err, t, values};
use crate::backend::Backend;
use crate::element::{DType, Element};
use crate::spline::{RqSpline, rq_spline_composite};
use crate::tensor::Tensor;

const BINS: usize = 5;
const BOUND: f64 = 3.0;
/// Element positions of the test input `(2, 3)`: two outside the domain, the rest inside.
const INPUT: [f64; 6] = [-2.6, -0.7, 0.15, 3.4, 1.9, -3.2];

fn spec(inverse: bool) -> RqSpline {
    RqSpline {
        bins: BINS,
        bound: BOUND,
        min_bin: 1e-2,
        min_derivative: 1e-3,
        inverse,
    }
}

/// The spline `(y, ln f')` of one element, straight from the definition, in `f64`.
fn host_forward(x: f64, raw: &[f64], s: &RqSpline) -> (f64, f64) {
    if x <= -s.bound || x >= s.bound {
        return (x, 0.0);
    }
    let k = s.bins;
    let sizes = |r: &[f64]| -> Vec<f64> {
        let max = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = r.iter().map(|v| (v - max).exp()).collect();
        let sum: f64 = e.iter().sum();
        e.iter()
            .map(|v| (s.min_bin + (1.0 - s.min_bin * k as f64) * v / sum) * 2.0 * s.bound)
            .collect()
    };
    let (ws, hs) = (sizes(&raw[..k]), sizes(&raw[k..2 * k]));
    let mut d = vec![1.0; k + 1];
    for i in 1..k {
        d[i] = raw[2 * k + i - 1].exp().ln_1p() + s.min_derivative;
    }
    let (mut xk, mut yk, mut bin) = (-s.bound, -s.bound, 0);
    while bin + 1 < k && xk + ws[bin] <= x {
        xk += ws[bin];
        yk += hs[bin];
        bin += 1;
    }
    let (w, h, d0, d1) = (ws[bin], hs[bin], d[bin], d[bin + 1]);
    let sl = h / w;
    let xi = (x - xk) / w;
    let tt = xi * (1.0 - xi);
    let den = sl + (d0 + d1 - 2.0 * sl) * tt;
    let y = yk + h * (sl * xi * xi + d0 * tt) / den;
    let deriv =
        sl * sl * (d1 * xi * xi + 2.0 * sl * tt + d0 * (1.0 - xi) * (1.0 - xi)) / (den * den);
    (y, deriv.ln())
}

/// The inverse by bisection on [`host_forward`] (independent of the quadratic solve).
fn host_inverse(y: f64, raw: &[f64], s: &RqSpline) -> (f64, f64) {
    if y <= -s.bound || y >= s.bound {
        return (y, 0.0);
    }
    let (mut lo, mut hi) = (-s.bound, s.bound);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if host_forward(mid, raw, s).0 < y {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let x = 0.5 * (lo + hi);
    (x, -host_forward(x, raw, s).1)
}

fn reference(v: &[f64], raw: &[f64], s: &RqSpline) -> Vec<f64> {
    let per = s.params_per_element();
    // planar: the mapped values, then the log-derivatives
    let pairs: Vec<(f64, f64)> = v
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let r = &raw[i * per..(i + 1) * per];
            if s.inverse {
                host_inverse(x, r, s)
            } else {
                host_forward(x, r, s)
            }
        })
        .collect();
    pairs
        .iter()
        .map(|p| p.0)
        .chain(pairs.iter().map(|p| p.1))
        .collect()
}

pub(crate) fn spline<B: Backend>(device: &B::Device) -> Vec<Failure> {
    let mut report = Report::default();
    let per = spec(false).params_per_element();
    let raw_data = values(6 * per, 1400, -1.5, 1.5);
    let fused = |v: &Tensor<B>, r: &Tensor<B>, s: RqSpline| {
        B::rq_spline(v.raw(), r.raw(), &s).map(Tensor::<B>::from_raw)
    };
    for inverse in [false, true] {
        let s = spec(inverse);
        let name = if inverse { "inverse" } else { "forward" };
        let case = (|| {
            let v = t::<B>(&INPUT, &[2, 3], device)?;
            let raw = t::<B>(&raw_data, &[2, 3, per], device)?;
            let want = reference(&INPUT, &raw_data, &s);
            check_values(&fused(&v, &raw, s).map_err(err)?, &want, &[2, 2, 3])?;
            check_values(
                &rq_spline_composite(&v, &raw, &s).map_err(err)?,
                &want,
                &[2, 2, 3],
            )?;
            let (out, log_deriv) = v.rq_spline(&raw, &s).map_err(err)?;
            check_values(&out, &want[..6], &[2, 3])?;
            check_values(&log_deriv, &want[6..], &[2, 3])
        })();
        report.record(format!("rq_spline {name} values"), case);
        let case = (|| {
            let v = t::<B>(&INPUT, &[2, 3], device)?;
            let raw = t::<B>(&raw_data, &[2, 3, per], device)?;
            check_gradients(&[v, raw], &|xs| {
                B::rq_spline(xs[0].raw(), xs[1].raw(), &s).map(Tensor::<B>::from_raw)
            })
        })();
        report.record(format!("rq_spline {name} gradients"), case);
    }
    let case = (|| {
        // the inverse undoes the forward map and its log-derivative is the negative
        let many = values(64, 1401, -2.9, 2.9);
        let raw_many = values(64 * per, 1402, -2.0, 2.0);
        let v = t::<B>(&many, &[64], device)?;
        let raw = t::<B>(&raw_many, &[64, per], device)?;
        let (y, ld) = v.rq_spline(&raw, &spec(false)).map_err(err)?;
        let (back, ld_inv) = y.rq_spline(&raw, &spec(true)).map_err(err)?;
        // f32 loses about ulp / f' in the inverse, where f' falls to about 0.01 here
        let atol = match B::Elem::DTYPE {
            DType::F64 => 1e-9,
            DType::F32 => 2e-4,
        };
        let neg: Vec<f64> = ld.to_f64_vec().map_err(err)?.iter().map(|l| -l).collect();
        for (what, got, want) in [
            ("f⁻¹(f(x))", &back, &many),
            ("ln |f⁻¹'(f(x))|", &ld_inv, &neg),
        ] {
            let got = got.to_f64_vec().map_err(err)?;
            let bad = got
                .iter()
                .zip(want.iter())
                .position(|(g, w)| (g - w).abs() > atol);
            if let Some(i) = bad {
                return Err(format!(
                    "element {i}: {what} = {}, expected {}",
                    got[i], want[i]
                ));
            }
        }
        Ok(())
    })();
    report.record("rq_spline round trip", case);
    let case = (|| {
        let v = t::<B>(&INPUT, &[2, 3], device)?;
        let short = t::<B>(&raw_data[..6 * (per - 1)], &[2, 3, per - 1], device)?;
        if v.rq_spline(&short, &spec(false)).is_ok() {
            return Err("raw parameters with 3K − 2 entries were accepted".into());
        }
        let raw = t::<B>(&raw_data, &[3, 2, per], device)?;
        if v.rq_spline(&raw, &spec(false)).is_ok() {
            return Err("raw parameters of another leading shape were accepted".into());
        }
        let raw = t::<B>(&raw_data, &[2, 3, per], device)?;
        let bad = RqSpline {
            min_bin: 0.5,
            ..spec(false)
        };
        match v.rq_spline(&raw, &bad) {
            Ok(_) => Err("bins · min_bin ≥ 1 was accepted".into()),
            Err(_) => Ok(()),
        }
    })();
    report.record("rq_spline errors", case);
    report.into_failures()
}
