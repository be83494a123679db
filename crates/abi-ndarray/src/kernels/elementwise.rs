//! Unary, binary, comparison and selection kernels with their gradient rules.

use super::{
    broadcast_view, map, map_inplace, sum_to_shape, sum_to_shape_ref, zip_inplace, zip_map,
};
use crate::NdFloat;
use crate::tensor::NdTensor;
use abi_tensor::Element;
use abi_tensor::shape::broadcast_of;
use abi_tensor::{BinaryOp, CmpOp, Result, UnaryOp};
use ndarray::{ArrayD, Zip};

#[inline]
fn c<F: NdFloat>(v: f64) -> F {
    <F as Element>::from_f64(v)
}

#[inline]
pub(crate) fn sigmoid<F: NdFloat>(x: F) -> F {
    let e = (-x.abs()).exp_kernel();
    let r = F::one() / (F::one() + e);
    if x >= F::zero() { r } else { e * r }
}

/// `tanh` through one `exp` (`(1 − e^(−2|x|)) / (1 + e^(−2|x|))` with the sign restored):
/// about 3 times faster than the libm call in `f32`, within 1.2e-7 of it.
#[inline]
pub(crate) fn tanh<F: NdFloat>(x: F) -> F {
    let e = (x.abs() * c(-2.0)).exp_kernel();
    let t = (F::one() - e) / (F::one() + e);
    if x < F::zero() { -t } else { t }
}

/// `ln(1 + e^x) = max(x, 0) + ln(1 + e^(−|x|))`: stable everywhere and free of library calls.
#[inline]
fn softplus<F: NdFloat>(x: F) -> F {
    let u = (-x.abs()).exp_kernel();
    let pos = if x > F::zero() { x } else { F::zero() };
    pos + u.ln_1p_unit()
}

#[inline]
fn hard_silu<F: NdFloat>(x: F) -> F {
    x * (x + c(3.0)).max(F::zero()).min(c(6.0)) * c(1.0 / 6.0)
}

#[inline]
fn normal_cdf<F: NdFloat>(x: F) -> F {
    c::<F>(0.5) * (F::one() + F::erf(x * c(std::f64::consts::FRAC_1_SQRT_2)))
}

fn forward<F: NdFloat>(op: UnaryOp, x: &ArrayD<F>) -> ArrayD<F> {
    match op {
        UnaryOp::Neg => map(x, |v| -v),
        UnaryOp::Exp => map(x, F::exp_kernel),
        UnaryOp::Log => map(x, F::ln),
        UnaryOp::Sqrt => map(x, F::sqrt),
        UnaryOp::Abs => map(x, F::abs),
        UnaryOp::Tanh => map(x, tanh),
        UnaryOp::Sigmoid => map(x, sigmoid),
        UnaryOp::Relu => map(x, |v| if v > F::zero() { v } else { F::zero() }),
        UnaryOp::Gelu => map(x, |v| v * normal_cdf(v)),
        UnaryOp::Silu => map(x, |v| v * sigmoid(v)),
        UnaryOp::Mish => map(x, |v| v * tanh(softplus(v))),
        UnaryOp::HardSilu => map(x, hard_silu),
        UnaryOp::Elu(alpha) => {
            let a: F = c(alpha);
            map(x, move |v| if v > F::zero() { v } else { a * v.exp_m1() })
        }
        UnaryOp::Softplus => map(x, softplus),
        UnaryOp::Log1p => map(x, F::ln_1p),
        UnaryOp::Expm1 => map(x, F::exp_m1),
        UnaryOp::Sin => map(x, F::sin),
        UnaryOp::Cos => map(x, F::cos),
        UnaryOp::Asinh => map(x, F::asinh),
        UnaryOp::Square => map(x, |v| v * v),
        UnaryOp::Recip => map(x, F::recip),
        UnaryOp::Powf(p) => {
            let p: F = c(p);
            map(x, move |v| v.powf(p))
        }
        UnaryOp::AddScalar(s) => {
            let s: F = c(s);
            map(x, move |v| v + s)
        }
        UnaryOp::MulScalar(s) => {
            let s: F = c(s);
            map(x, move |v| v * s)
        }
        UnaryOp::Clamp { min, max } => {
            let (lo, hi): (F, F) = (c(min), c(max));
            map(x, move |v| v.max(lo).min(hi))
        }
    }
}

/// `g · f'(x)` given the gradient `g`, the input `x` and the output `y`.
fn backward<F: NdFloat>(op: UnaryOp, g: ArrayD<F>, x: &ArrayD<F>, y: &ArrayD<F>) -> ArrayD<F> {
    let one = F::one();
    match op {
        UnaryOp::Neg => map_inplace(g, |v| -v),
        UnaryOp::Exp => zip_inplace(g, y, |g, y| g * y),
        UnaryOp::Log => zip_inplace(g, x, |g, x| g / x),
        UnaryOp::Sqrt => zip_inplace(g, y, |g, y| g * c::<F>(0.5) / y),
        UnaryOp::Abs => zip_inplace(g, x, |g, x| {
            if x > F::zero() {
                g
            } else if x < F::zero() {
                -g
            } else {
                F::zero()
            }
        }),
        UnaryOp::Tanh => zip_inplace(g, y, move |g, y| g * (one - y * y)),
        UnaryOp::Sigmoid => zip_inplace(g, y, move |g, y| g * y * (one - y)),
        UnaryOp::Relu => zip_inplace(g, x, |g, x| if x > F::zero() { g } else { F::zero() }),
        UnaryOp::Gelu => zip_inplace(g, x, |g, x| {
            let pdf = (-(x * x) * c(0.5)).exp() * c(0.398_942_280_401_432_7);
            g * (normal_cdf(x) + x * pdf)
        }),
        UnaryOp::Silu => zip_inplace(g, x, move |g, x| {
            let s = sigmoid(x);
            g * (s + x * s * (one - s))
        }),
        UnaryOp::Mish => zip_inplace(g, x, move |g, x| {
            // d/dx x·tanh(sp(x)) = tanh(sp) + x·(1 − tanh²(sp))·σ(x)
            let t = tanh(softplus(x));
            g * (t + x * (one - t * t) * sigmoid(x))
        }),
        UnaryOp::HardSilu => zip_inplace(g, x, |g, x| {
            if x <= c(-3.0) {
                F::zero()
            } else if x >= c(3.0) {
                g
            } else {
                g * (x * c(2.0) + c(3.0)) * c(1.0 / 6.0)
            }
        }),
        UnaryOp::Elu(alpha) => {
            let a: F = c(alpha);
            let mut g = g;
            Zip::from(&mut g).and(x).and(y).for_each(move |g, &x, &y| {
                if x <= F::zero() {
                    *g *= y + a;
                }
            });
            g
        }
        UnaryOp::Softplus => zip_inplace(g, x, |g, x| g * sigmoid(x)),
        UnaryOp::Log1p => zip_inplace(g, x, move |g, x| g / (one + x)),
        UnaryOp::Expm1 => zip_inplace(g, y, move |g, y| g * (y + one)),
        UnaryOp::Sin => zip_inplace(g, x, |g, x| g * x.cos()),
        UnaryOp::Cos => zip_inplace(g, x, |g, x| -g * x.sin()),
        UnaryOp::Asinh => zip_inplace(g, x, move |g, x| g / (x * x + one).sqrt()),
        UnaryOp::Square => zip_inplace(g, x, |g, x| g * x * c(2.0)),
        UnaryOp::Recip => zip_inplace(g, y, |g, y| -g * y * y),
        UnaryOp::Powf(p) => {
            let pf: F = c(p);
            let pm1: F = c(p - 1.0);
            zip_inplace(g, x, move |g, x| g * pf * x.powf(pm1))
        }
        UnaryOp::AddScalar(_) => g,
        UnaryOp::MulScalar(s) => {
            let s: F = c(s);
            map_inplace(g, move |g| g * s)
        }
        UnaryOp::Clamp { min, max } => {
            let (lo, hi): (F, F) = (c(min), c(max));
            zip_inplace(
                g,
                x,
                move |g, x| if x >= lo && x <= hi { g } else { F::zero() },
            )
        }
    }
}

pub(crate) fn unary<F: NdFloat>(op: UnaryOp, x: &NdTensor<F>) -> Result<NdTensor<F>> {
    let y = forward(op, x.array());
    Ok(NdTensor::record(y, &[x], move |g, y, inputs| {
        vec![Some(backward(op, g, inputs[0].array(), y))]
    }))
}

fn binary_forward<F: NdFloat>(
    op: BinaryOp,
    a: &ArrayD<F>,
    b: &ArrayD<F>,
    shape: &[usize],
) -> ArrayD<F> {
    if a.shape() == b.shape() {
        return match op {
            BinaryOp::Add => zip_map(a, b, |x, y| x + y),
            BinaryOp::Sub => zip_map(a, b, |x, y| x - y),
            BinaryOp::Mul => zip_map(a, b, |x, y| x * y),
            BinaryOp::Div => zip_map(a, b, |x, y| x / y),
            BinaryOp::Minimum => zip_map(a, b, |x, y| if y < x { y } else { x }),
            BinaryOp::Maximum => zip_map(a, b, |x, y| if y > x { y } else { x }),
        };
    }
    let (av, bv) = (broadcast_view(a, shape), broadcast_view(b, shape));
    let z = Zip::from(&av).and(&bv);
    match op {
        BinaryOp::Add => z.map_collect(|&x, &y| x + y),
        BinaryOp::Sub => z.map_collect(|&x, &y| x - y),
        BinaryOp::Mul => z.map_collect(|&x, &y| x * y),
        BinaryOp::Div => z.map_collect(|&x, &y| x / y),
        BinaryOp::Minimum => z.map_collect(|&x, &y| if y < x { y } else { x }),
        BinaryOp::Maximum => z.map_collect(|&x, &y| if y > x { y } else { x }),
    }
}

pub(crate) fn binary<F: NdFloat>(
    op: BinaryOp,
    a: &NdTensor<F>,
    b: &NdTensor<F>,
) -> Result<NdTensor<F>> {
    let shape = broadcast_of(a.array().shape(), b.array().shape());
    let y = binary_forward(op, a.array(), b.array(), &shape);
    Ok(NdTensor::record(y, &[a, b], move |g_owned, _y, inputs| {
        let g = &g_owned;
        let (a, b) = (inputs[0].array(), inputs[1].array());
        let (sa, sb) = (a.shape().to_vec(), b.shape().to_vec());
        let need_a = inputs[0].tracked();
        let need_b = inputs[1].tracked();
        let full = |x: &ArrayD<F>| broadcast_view(x, g.shape()).to_owned();
        let (ga, gb): (Option<ArrayD<F>>, Option<ArrayD<F>>) = match op {
            BinaryOp::Add | BinaryOp::Sub => {
                // b's gradient is reduced (or copied) first, so a's can take the buffer
                let gb = need_b.then(|| {
                    let reduced = sum_to_shape_ref(g, &sb);
                    if op == BinaryOp::Sub {
                        map_inplace(reduced, |v| -v)
                    } else {
                        reduced
                    }
                });
                let ga = need_a.then(|| sum_to_shape(g_owned, &sa));
                return vec![ga, gb];
            }
            BinaryOp::Mul => (
                need_a.then(|| zip_map(g, &full(b), |g, y| g * y)),
                need_b.then(|| zip_map(g, &full(a), |g, x| g * x)),
            ),
            BinaryOp::Div => {
                let bf = full(b);
                (
                    need_a.then(|| zip_map(g, &bf, |g, y| g / y)),
                    need_b.then(|| {
                        let af = full(a);
                        Zip::from(g)
                            .and(&af)
                            .and(&bf)
                            .map_collect(|&g, &x, &y| -g * x / (y * y))
                    }),
                )
            }
            BinaryOp::Minimum | BinaryOp::Maximum => {
                let (af, bf) = (full(a), full(b));
                // the gradient goes to `a` where it is selected (ties included)
                let pick_a = move |x: F, y: F| match op {
                    BinaryOp::Minimum => x <= y,
                    _ => x >= y,
                };
                (
                    need_a.then(|| {
                        Zip::from(g)
                            .and(&af)
                            .and(&bf)
                            .map_collect(|&g, &x, &y| if pick_a(x, y) { g } else { F::zero() })
                    }),
                    need_b.then(|| {
                        Zip::from(g)
                            .and(&af)
                            .and(&bf)
                            .map_collect(|&g, &x, &y| if pick_a(x, y) { F::zero() } else { g })
                    }),
                )
            }
        };
        vec![
            ga.map(|g| sum_to_shape(g, &sa)),
            gb.map(|g| sum_to_shape(g, &sb)),
        ]
    }))
}

pub(crate) fn compare<F: NdFloat>(
    op: CmpOp,
    a: &NdTensor<F>,
    b: &NdTensor<F>,
) -> Result<NdTensor<F>> {
    let shape = broadcast_of(a.array().shape(), b.array().shape());
    let (av, bv) = (
        broadcast_view(a.array(), &shape),
        broadcast_view(b.array(), &shape),
    );
    let y = Zip::from(&av).and(&bv).map_collect(
        |&x, &y| {
            if op.eval(x, y) { F::one() } else { F::zero() }
        },
    );
    Ok(NdTensor::constant(y))
}

pub(crate) fn where_cond<F: NdFloat>(
    mask: &NdTensor<F>,
    a: &NdTensor<F>,
    b: &NdTensor<F>,
) -> Result<NdTensor<F>> {
    let s = broadcast_of(mask.array().shape(), a.array().shape());
    let shape = broadcast_of(&s, b.array().shape());
    let m = broadcast_view(mask.array(), &shape);
    let y = Zip::from(&m)
        .and(&broadcast_view(a.array(), &shape))
        .and(&broadcast_view(b.array(), &shape))
        .map_collect(|&m, &x, &y| if m != F::zero() { x } else { y });
    let mask = mask.array().clone();
    Ok(NdTensor::record(y, &[a, b], move |g_owned, _y, inputs| {
        let g = &g_owned;
        let m = broadcast_view(&mask, g.shape());
        let pick = |on_true: bool| {
            Zip::from(g).and(&m).map_collect(|&g, &m| {
                if (m != F::zero()) == on_true {
                    g
                } else {
                    F::zero()
                }
            })
        };
        vec![
            inputs[0]
                .tracked()
                .then(|| sum_to_shape(pick(true), inputs[0].array().shape())),
            inputs[1]
                .tracked()
                .then(|| sum_to_shape(pick(false), inputs[1].array().shape())),
        ]
    }))
}
