//! The rational-quadratic spline as one fused kernel with an analytic backward rule.
//!
//! The composed default of [`abi_tensor::spline`] records about forty graph nodes per call,
//! each with a full-size temporary; here each element is evaluated in one pass over its
//! `3K − 1` raw parameters, and the backward pass recomputes the bin and differentiates the
//! spline in closed form.
//!
//! Notation (Durkan et al., 2019): in the element's bin `k`, with input knot `x_k`, width
//! `w_k`, output knot `y_k`, height `h_k`, knot slopes `d_k`, `d_{k+1}`, slope `s = h_k / w_k`,
//! position `ξ = (x − x_k) / w_k` and `t = ξ (1 − ξ)`:
//! `y = y_k + h_k N / D` with `N = s ξ² + d_k t`, `D = s + (d_k + d_{k+1} − 2s) t`, and
//! `ln f'(x) = 2 ln s + ln M − 2 ln D` with `M = d_{k+1} ξ² + 2 s t + d_k (1 − ξ)²`.

use super::contiguous;
use crate::NdFloat;
use crate::tensor::NdTensor;
use abi_tensor::{Element, Result, RqSpline};
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;

/// Elements per piece of parallel work (each element costs about `6K` flops and `2K` exps).
const PIECE: usize = 512;

/// Pieces run on the thread pool from this many elements on.
const PARALLEL_MIN: usize = 2048;

/// The spline's constants in the element type.
#[derive(Clone, Copy)]
struct Consts<F> {
    bins: usize,
    bound: F,
    min_bin: F,
    /// `1 − K · min_bin`: the share of the domain the softmax distributes.
    spread: F,
    min_derivative: F,
}

impl<F: NdFloat> Consts<F> {
    fn new(spec: &RqSpline) -> Self {
        Self {
            bins: spec.bins,
            bound: <F as Element>::from_f64(spec.bound),
            min_bin: <F as Element>::from_f64(spec.min_bin),
            spread: <F as Element>::from_f64(1.0 - spec.min_bin * spec.bins as f64),
            min_derivative: <F as Element>::from_f64(spec.min_derivative),
        }
    }
}

/// `softmax(raw)` into `out` (the exponentials in a loop of their own, so it vectorises).
#[inline(always)]
fn softmax<F: NdFloat>(raw: &[F], out: &mut [F]) {
    let max = raw.iter().copied().fold(F::neg_infinity(), F::max);
    for (o, &r) in out.iter_mut().zip(raw) {
        *o = (r - max).exp_kernel();
    }
    let inv = F::one() / out.iter().copied().fold(F::zero(), |a, b| a + b);
    for o in out.iter_mut() {
        *o *= inv;
    }
}

/// `ln(1 + e^x)` without library calls.
#[inline(always)]
fn softplus<F: NdFloat>(x: F) -> F {
    let pos = if x > F::zero() { x } else { F::zero() };
    pos + (-x.abs()).exp_kernel().ln_1p_unit()
}

#[inline(always)]
fn sigmoid<F: NdFloat>(x: F) -> F {
    F::one() / (F::one() + (-x).exp_kernel())
}

/// The bin an element falls into: its index, input and output knots, width and height, and the
/// slopes at its two knots.
struct Bin<F> {
    k: usize,
    xk: F,
    wk: F,
    yk: F,
    hk: F,
    dk: F,
    dk1: F,
}

/// Finds the bin of `v` (an input value, or an output value when `by_output`); `v` lies inside
/// the domain. Leaves the softmax of the width and height parameters in `sm_x` and `sm_y`
/// for the backward rule.
#[inline(always)]
fn locate<F: NdFloat>(
    c: &Consts<F>,
    raw: &[F],
    v: F,
    by_output: bool,
    sm_x: &mut [F],
    sm_y: &mut [F],
) -> Bin<F> {
    let n = c.bins;
    softmax(&raw[..n], sm_x);
    softmax(&raw[n..2 * n], sm_y);
    let two_b = c.bound + c.bound;
    let size = |sm: F| (c.min_bin + c.spread * sm) * two_b;
    let (mut xk, mut yk) = (-c.bound, -c.bound);
    let mut k = 0;
    while k + 1 < n {
        let (nx, ny) = (xk + size(sm_x[k]), yk + size(sm_y[k]));
        if (if by_output { ny } else { nx }) > v {
            break;
        }
        xk = nx;
        yk = ny;
        k += 1;
    }
    let slope = |i: usize| {
        if i == 0 || i == n {
            F::one()
        } else {
            softplus(raw[2 * n + i - 1]) + c.min_derivative
        }
    };
    Bin {
        k,
        xk,
        wk: size(sm_x[k]),
        yk,
        hk: size(sm_y[k]),
        dk: slope(k),
        dk1: slope(k + 1),
    }
}

/// `(y, ln f'(x))` at position `ξ` of the bin.
#[inline(always)]
fn evaluate<F: NdFloat>(b: &Bin<F>, xi: F) -> (F, F) {
    let two = <F as Element>::from_f64(2.0);
    let s = b.hk / b.wk;
    let t = xi * (F::one() - xi);
    let num = s * xi * xi + b.dk * t;
    let den = s + (b.dk + b.dk1 - two * s) * t;
    let om = F::one() - xi;
    let m = b.dk1 * xi * xi + two * s * t + b.dk * om * om;
    // one logarithm: ln f' = ln(s² M / D²)
    (b.yk + b.hk * num / den, (s * s * m / (den * den)).ln())
}

/// `ξ` of the output value `y` in the bin: the root in `[0, 1]` of the bin's quadratic, in
/// its cancellation-free form.
#[inline(always)]
fn solve<F: NdFloat>(b: &Bin<F>, y: F) -> F {
    let two = <F as Element>::from_f64(2.0);
    let s = b.hk / b.wk;
    let sigma = b.dk + b.dk1 - two * s;
    let dy = y - b.yk;
    let qa = b.hk * (s - b.dk) + dy * sigma;
    let qb = b.hk * b.dk - dy * sigma;
    let qc = -s * dy;
    let disc = (qb * qb - <F as Element>::from_f64(4.0) * qa * qc).max(F::zero());
    let xi = two * qc / (-qb - disc.sqrt());
    xi.max(F::zero()).min(F::one())
}

/// Partial derivatives of `y` and `ln f'` at position `ξ` with respect to `ξ`, the slope
/// `s`, `d_k` and `d_{k+1}`, and of `y` with respect to `h_k` through `N / D` alone.
struct Partials<F> {
    q: F,
    y: [F; 4],
    l: [F; 4],
}

#[inline(always)]
fn partials<F: NdFloat>(b: &Bin<F>, xi: F) -> Partials<F> {
    let two = <F as Element>::from_f64(2.0);
    let s = b.hk / b.wk;
    let t = xi * (F::one() - xi);
    let om = F::one() - xi;
    let sigma = b.dk + b.dk1 - two * s;
    let num = s * xi * xi + b.dk * t;
    let den = s + sigma * t;
    let m = b.dk1 * xi * xi + two * s * t + b.dk * om * om;
    let q = num / den;
    let one_m_2xi = F::one() - two * xi;
    // ∂N, ∂D, ∂M with respect to (ξ, s, d_k, d_{k+1})
    let dn = [two * s * xi + b.dk * one_m_2xi, xi * xi, t, F::zero()];
    let dd = [sigma * one_m_2xi, F::one() - two * t, t, t];
    let dm = [
        two * (b.dk1 * xi + s * one_m_2xi - b.dk * om),
        two * t,
        om * om,
        xi * xi,
    ];
    let mut y = [F::zero(); 4];
    let mut l = [F::zero(); 4];
    for i in 0..4 {
        y[i] = b.hk * (dn[i] - q * dd[i]) / den;
        l[i] = dm[i] / m - two * dd[i] / den;
    }
    l[1] += two / s;
    Partials { q, y, l }
}

/// Accumulates the gradient of one element's raw parameters (`g_raw`, zeroed by the caller)
/// given upstream gradients `gy` of the output and `gl` of `ln f'`, and returns the gradient
/// of the input `x`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn backward_element<F: NdFloat>(
    c: &Consts<F>,
    raw: &[F],
    b: &Bin<F>,
    xi: F,
    gy: F,
    gl: F,
    sm_x: &[F],
    sm_y: &[F],
    g_raw: &mut [F],
) -> F {
    let n = c.bins;
    let p = partials(b, xi);
    let g = |i: usize| gy * p.y[i] + gl * p.l[i];
    let (g_xi, g_s, g_dk, g_dk1) = (g(0), g(1), g(2), g(3));
    let s = b.hk / b.wk;
    let g_hk = gy * p.q + g_s / b.wk;
    let g_wk = -(g_s * s + g_xi * xi) / b.wk;
    let g_xk = -g_xi / b.wk;
    let g_yk = gy;
    // knots and sizes → softmax inputs: x_k = −B + 2B Σ_{j<k} size_j, w_k = 2B size_k
    let two_b = c.bound + c.bound;
    let soft_back = |sm: &[F], g_knot: F, g_size: F, out: &mut [F]| {
        let gs = |j: usize| {
            let v = if j < b.k {
                g_knot
            } else if j == b.k {
                g_size
            } else {
                F::zero()
            };
            v * two_b * c.spread
        };
        let mut dot = F::zero();
        for (j, &m) in sm.iter().enumerate() {
            dot += m * gs(j);
        }
        for (j, (o, &m)) in out.iter_mut().zip(sm).enumerate() {
            *o = m * (gs(j) - dot);
        }
    };
    soft_back(sm_x, g_xk, g_wk, &mut g_raw[..n]);
    soft_back(sm_y, g_yk, g_hk, &mut g_raw[n..2 * n]);
    if b.k >= 1 {
        g_raw[2 * n + b.k - 1] = g_dk * sigmoid(raw[2 * n + b.k - 1]);
    }
    if b.k + 1 < n {
        g_raw[2 * n + b.k] = g_dk1 * sigmoid(raw[2 * n + b.k]);
    }
    g_xi / b.wk
}

/// Runs `f(first element, a piece, b piece)` over matching pieces of two per-element
/// buffers (`wa` and `wb` values per element), on the thread pool for large inputs, each piece
/// compiled for AVX2 + FMA where the CPU has them.
fn for_pieces<F: NdFloat>(
    a: &mut [F],
    wa: usize,
    b: &mut [F],
    wb: usize,
    f: impl Fn(usize, &mut [F], &mut [F]) + Sync + Send,
) {
    let elements = a.len() / wa.max(1);
    let run = |start: usize, a: &mut [F], b: &mut [F]| super::simd::run(|| f(start, a, b));
    if elements >= PARALLEL_MIN && rayon::current_num_threads() > 1 {
        a.par_chunks_mut(PIECE * wa)
            .zip(b.par_chunks_mut(PIECE * wb))
            .enumerate()
            .for_each(|(i, (a, b))| run(i * PIECE, a, b));
    } else {
        run(0, a, b);
    }
}

/// Values and log-derivatives, planar: `[values…, log-derivatives…]`.
fn forward_values<F: NdFloat>(v: &[F], raw: &[F], spec: &RqSpline) -> Vec<F> {
    let c = Consts::<F>::new(spec);
    let per = spec.params_per_element();
    let mut out = vec![F::zero(); 2 * v.len()];
    let (values, logs) = out.split_at_mut(v.len());
    for_pieces(values, 1, logs, 1, |start, values, logs| {
        let mut sm_x = vec![F::zero(); c.bins];
        let mut sm_y = vec![F::zero(); c.bins];
        for (i, (o, l)) in values.iter_mut().zip(logs.iter_mut()).enumerate() {
            let e = start + i;
            let x = v[e];
            if !(x > -c.bound && x < c.bound) {
                *o = x;
                *l = F::zero();
                continue;
            }
            let r = &raw[e * per..(e + 1) * per];
            let b = locate(&c, r, x, spec.inverse, &mut sm_x, &mut sm_y);
            if spec.inverse {
                let xi = solve(&b, x);
                *o = b.xk + xi * b.wk;
                *l = -evaluate(&b, xi).1;
            } else {
                let xi = ((x - b.xk) / b.wk).max(F::zero()).min(F::one());
                (*o, *l) = evaluate(&b, xi);
            }
        }
    });
    out
}

/// Gradients of the input and the raw parameters given the upstream gradient `g` and the
/// forward output `out` (both planar, as [`forward_values`] writes them).
fn backward_values<F: NdFloat>(
    v: &[F],
    raw: &[F],
    out: &[F],
    g: &[F],
    spec: &RqSpline,
) -> (Vec<F>, Vec<F>) {
    let c = Consts::<F>::new(spec);
    let per = spec.params_per_element();
    let n = v.len();
    let mut g_v = vec![F::zero(); n];
    let mut g_raw = vec![F::zero(); n * per];
    for_pieces(&mut g_v, 1, &mut g_raw, per, |start, g_in, g_raw| {
        let mut sm_x = vec![F::zero(); c.bins];
        let mut sm_y = vec![F::zero(); c.bins];
        for (i, (gi, gr)) in g_in.iter_mut().zip(g_raw.chunks_exact_mut(per)).enumerate() {
            let e = start + i;
            let x = v[e];
            let (gy, gl) = (g[e], g[n + e]);
            if !(x > -c.bound && x < c.bound) {
                *gi = gy;
                continue;
            }
            let r = &raw[e * per..(e + 1) * per];
            let b = locate(&c, r, x, spec.inverse, &mut sm_x, &mut sm_y);
            if spec.inverse {
                // out = f⁻¹(v; θ), ℓ = −ln f'(out; θ): implicit differentiation of f(out) = v
                let xi = ((out[e] - b.xk) / b.wk).max(F::zero()).min(F::one());
                let p = partials(&b, xi);
                let slope = p.y[0] / b.wk; // f'(out)
                let dl_dx = p.l[0] / b.wk;
                let cval = (gy - gl * dl_dx) / slope;
                backward_element(&c, r, &b, xi, -cval, -gl, &sm_x, &sm_y, gr);
                *gi = cval;
            } else {
                let xi = ((x - b.xk) / b.wk).max(F::zero()).min(F::one());
                *gi = backward_element(&c, r, &b, xi, gy, gl, &sm_x, &sm_y, gr);
            }
        }
    });
    (g_v, g_raw)
}

fn standard<F: NdFloat>(x: &ArrayD<F>) -> std::borrow::Cow<'_, [F]> {
    match x.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(contiguous(x).into_raw_vec_and_offset().0),
    }
}

fn array<F: NdFloat>(data: Vec<F>, shape: Vec<usize>) -> ArrayD<F> {
    ArrayD::from_shape_vec(IxDyn(&shape), data)
        .unwrap_or_else(|_| unreachable!("length matches the shape"))
}

/// The fused [`abi_tensor::Backend::rq_spline`].
pub(crate) fn rq_spline<F: NdFloat>(
    v: &NdTensor<F>,
    raw: &NdTensor<F>,
    spec: &RqSpline,
) -> Result<NdTensor<F>> {
    let vs = v.array().shape().to_vec();
    let values = forward_values(&standard(v.array()), &standard(raw.array()), spec);
    let mut out_shape = vec![2];
    out_shape.extend_from_slice(&vs);
    let spec = *spec;
    Ok(NdTensor::record(
        array(values, out_shape),
        &[v, raw],
        move |g, out, inputs| {
            let (v, raw) = (inputs[0].array(), inputs[1].array());
            let (g_v, g_raw) = backward_values(
                &standard(v),
                &standard(raw),
                &standard(out),
                &standard(&g),
                &spec,
            );
            vec![
                Some(array(g_v, v.shape().to_vec())),
                Some(array(g_raw, raw.shape().to_vec())),
            ]
        },
    ))
}
