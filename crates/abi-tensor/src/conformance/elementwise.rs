//! Elementwise operations: values, gradients, broadcasting.

use super::{Failure, Report, check_gradients, check_values, err, signed_values, t, values};
use crate::backend::Backend;
use crate::ops::{BinaryOp, CmpOp, UnaryOp};
use crate::tensor::Tensor;

fn softplus(x: f64) -> f64 {
    if x > 20.0 { x } else { x.exp().ln_1p() }
}

/// The host reference of each unary operation and the input domain it is checked on.
type UnaryCase = (&'static str, UnaryOp, fn(f64) -> f64, Domain);
type BinaryCase = (&'static str, BinaryOp, fn(f64, f64) -> f64);

fn unary_cases() -> Vec<UnaryCase> {
    vec![
        ("neg", UnaryOp::Neg, |x| -x, Domain::Signed),
        ("exp", UnaryOp::Exp, f64::exp, Domain::Signed),
        ("log", UnaryOp::Log, f64::ln, Domain::Positive),
        ("sqrt", UnaryOp::Sqrt, f64::sqrt, Domain::Positive),
        ("abs", UnaryOp::Abs, f64::abs, Domain::Signed),
        ("tanh", UnaryOp::Tanh, f64::tanh, Domain::Signed),
        (
            "sigmoid",
            UnaryOp::Sigmoid,
            |x| 1.0 / (1.0 + (-x).exp()),
            Domain::Signed,
        ),
        ("relu", UnaryOp::Relu, |x| x.max(0.0), Domain::Signed),
        (
            "gelu",
            UnaryOp::Gelu,
            |x| 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)),
            Domain::Signed,
        ),
        (
            "silu",
            UnaryOp::Silu,
            |x| x / (1.0 + (-x).exp()),
            Domain::Signed,
        ),
        (
            "mish",
            UnaryOp::Mish,
            |x| x * softplus(x).tanh(),
            Domain::Wide,
        ),
        (
            "hard_silu",
            UnaryOp::HardSilu,
            |x| x * (x + 3.0).clamp(0.0, 6.0) / 6.0,
            Domain::Wide,
        ),
        (
            "elu",
            UnaryOp::Elu(0.7),
            |x| if x > 0.0 { x } else { 0.7 * x.exp_m1() },
            Domain::Signed,
        ),
        ("softplus", UnaryOp::Softplus, softplus, Domain::Wide),
        ("log1p", UnaryOp::Log1p, f64::ln_1p, Domain::Positive),
        ("expm1", UnaryOp::Expm1, f64::exp_m1, Domain::Signed),
        ("sin", UnaryOp::Sin, f64::sin, Domain::Signed),
        ("cos", UnaryOp::Cos, f64::cos, Domain::Signed),
        ("asinh", UnaryOp::Asinh, f64::asinh, Domain::Wide),
        ("square", UnaryOp::Square, |x| x * x, Domain::Signed),
        ("recip", UnaryOp::Recip, |x| 1.0 / x, Domain::Signed),
        (
            "powf",
            UnaryOp::Powf(1.7),
            |x| x.powf(1.7),
            Domain::Positive,
        ),
        (
            "add_scalar",
            UnaryOp::AddScalar(0.3),
            |x| x + 0.3,
            Domain::Signed,
        ),
        (
            "mul_scalar",
            UnaryOp::MulScalar(-1.5),
            |x| -1.5 * x,
            Domain::Signed,
        ),
        (
            "clamp",
            UnaryOp::Clamp {
                min: -0.5,
                max: 1.1,
            },
            |x| x.clamp(-0.5, 1.1),
            Domain::Signed,
        ),
        (
            // bounds beyond the element type's range (f64::MAX in f32) are valid
            "clamp_unbounded_above",
            UnaryOp::Clamp {
                min: 0.0,
                max: f64::MAX,
            },
            |x| x.max(0.0),
            Domain::Signed,
        ),
    ]
}

#[derive(Clone, Copy)]
enum Domain {
    Signed,
    Positive,
    Wide,
}

fn domain_values(domain: Domain, n: usize, seed: u64) -> Vec<f64> {
    match domain {
        Domain::Signed => signed_values(n, seed),
        Domain::Positive => values(n, seed, 0.2, 3.0),
        Domain::Wide => {
            let mut v = signed_values(n, seed);
            // a large and a very negative value exercise the stable branches
            v[0] = 25.0;
            v[1] = -30.0;
            v
        }
    }
}

pub(crate) fn unary<B: Backend>(device: &B::Device) -> Vec<Failure> {
    let mut report = Report::default();
    let shape = [3, 4];
    for (i, (name, op, reference, domain)) in unary_cases().into_iter().enumerate() {
        let data = domain_values(domain, 12, 100 + i as u64);
        let clamp_kink_free = data
            .iter()
            .all(|x| (x - -0.5_f64).abs() > 0.05 && (x - 1.1_f64).abs() > 0.05);
        let values_case = (|| {
            let x = t::<B>(&data, &shape, device)?;
            let y = x.unary(op).map_err(err)?;
            let want: Vec<f64> = data.iter().map(|&v| reference(v)).collect();
            check_values(&y, &want, &shape)
        })();
        report.record(format!("unary/{name}/values"), values_case);
        // the gradient check avoids the stable-branch extremes (finite differences there are
        // meaningless in f32) but keeps every other point
        let grad_data: Vec<f64> = if matches!(domain, Domain::Wide) {
            signed_values(12, 200 + i as u64)
        } else {
            data.clone()
        };
        if matches!(op, UnaryOp::Clamp { .. }) && !clamp_kink_free {
            continue;
        }
        let grad_case = (|| {
            let x = t::<B>(&grad_data, &shape, device)?;
            check_gradients(&[x], &|xs| xs[0].unary(op))
        })();
        report.record(format!("unary/{name}/grad"), grad_case);
    }
    report.into_failures()
}

pub(crate) fn binary<B: Backend>(device: &B::Device) -> Vec<Failure> {
    let mut report = Report::default();
    let cases: [BinaryCase; 6] = [
        ("add", BinaryOp::Add, |a, b| a + b),
        ("sub", BinaryOp::Sub, |a, b| a - b),
        ("mul", BinaryOp::Mul, |a, b| a * b),
        ("div", BinaryOp::Div, |a, b| a / b),
        ("minimum", BinaryOp::Minimum, f64::min),
        ("maximum", BinaryOp::Maximum, f64::max),
    ];
    for (i, (name, op, reference)) in cases.into_iter().enumerate() {
        let a = signed_values(6, 300 + i as u64);
        let mut b = signed_values(6, 400 + i as u64);
        // keep min/max away from ties
        for (x, y) in a.iter().zip(b.iter_mut()) {
            if (x - *y).abs() < 0.05 {
                *y += 0.1;
            }
        }
        let case = (|| {
            let ta = t::<B>(&a, &[2, 3], device)?;
            let tb = t::<B>(&b, &[2, 3], device)?;
            let want: Vec<f64> = a.iter().zip(&b).map(|(&x, &y)| reference(x, y)).collect();
            check_values(&ta.binary(op, &tb).map_err(err)?, &want, &[2, 3])?;
            check_gradients(&[ta, tb], &|xs| xs[0].binary(op, &xs[1]))
        })();
        report.record(format!("binary/{name}"), case);
    }
    report.into_failures()
}

pub(crate) fn compare_where<B: Backend>(device: &B::Device) -> Vec<Failure> {
    let mut report = Report::default();
    let a = [1.0, 2.0, 3.0, 4.0];
    let b = [2.0, 2.0, 2.0, 2.0];
    let cases: [(&str, CmpOp); 6] = [
        ("eq", CmpOp::Eq),
        ("ne", CmpOp::Ne),
        ("lt", CmpOp::Lt),
        ("le", CmpOp::Le),
        ("gt", CmpOp::Gt),
        ("ge", CmpOp::Ge),
    ];
    for (name, op) in cases {
        let case = (|| {
            let ta = t::<B>(&a, &[4], device)?.track();
            let tb = t::<B>(&b, &[4], device)?;
            let m = ta.compare(op, &tb).map_err(err)?;
            if m.is_tracked() {
                return Err("a comparison mask must not be tracked".into());
            }
            let want: Vec<f64> = a
                .iter()
                .zip(&b)
                .map(|(&x, &y)| if op.eval(x, y) { 1.0 } else { 0.0 })
                .collect();
            check_values(&m, &want, &[4])
        })();
        report.record(format!("compare/{name}"), case);
    }
    let case = (|| {
        let mask = t::<B>(&[1.0, 0.0, 0.0, 1.0, 1.0, 0.0], &[2, 3], device)?;
        let x = t::<B>(&signed_values(6, 500), &[2, 3], device)?;
        let y = t::<B>(&signed_values(3, 501), &[3], device)?;
        let got = mask.where_cond(&x, &y).map_err(err)?;
        let (xv, yv) = (x.to_f64_vec().map_err(err)?, y.to_f64_vec().map_err(err)?);
        let mv = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0];
        let want: Vec<f64> = (0..6)
            .map(|i| if mv[i] != 0.0 { xv[i] } else { yv[i % 3] })
            .collect();
        check_values(&got, &want, &[2, 3])?;
        check_gradients(&[x, y], &|xs| mask.where_cond(&xs[0], &xs[1]))
    })();
    report.record("where_cond", case);
    report.into_failures()
}

pub(crate) fn broadcasting<B: Backend>(device: &B::Device) -> Vec<Failure> {
    let mut report = Report::default();
    let shapes: [(&[usize], &[usize], &[usize]); 5] = [
        (&[3, 1], &[1, 4], &[3, 4]),
        (&[2, 3, 4], &[4], &[2, 3, 4]),
        (&[], &[2, 3], &[2, 3]),
        (&[2, 1, 3], &[4, 1], &[2, 4, 3]),
        (&[2, 3, 1, 2], &[3, 5, 1], &[2, 3, 5, 2]),
    ];
    for (lhs, rhs, out) in shapes {
        for (name, op) in [
            ("add", BinaryOp::Add),
            ("mul", BinaryOp::Mul),
            ("div", BinaryOp::Div),
        ] {
            let case = (|| {
                let n_l: usize = lhs.iter().product();
                let n_r: usize = rhs.iter().product();
                let a = t::<B>(&signed_values(n_l, 600), lhs, device)?;
                let b = t::<B>(&signed_values(n_r, 601), rhs, device)?;
                let y = a.binary(op, &b).map_err(err)?;
                if y.shape() != out {
                    return Err(format!("shape {:?}, expected {out:?}", y.shape()));
                }
                // value check against explicit broadcasting
                let ab = a
                    .broadcast_to(out)
                    .map_err(err)?
                    .to_f64_vec()
                    .map_err(err)?;
                let bb = b
                    .broadcast_to(out)
                    .map_err(err)?
                    .to_f64_vec()
                    .map_err(err)?;
                let f = |x: f64, y: f64| match op {
                    BinaryOp::Add => x + y,
                    BinaryOp::Mul => x * y,
                    _ => x / y,
                };
                let want: Vec<f64> = ab.iter().zip(&bb).map(|(&x, &y)| f(x, y)).collect();
                check_values(&y, &want, out)?;
                check_gradients(&[a, b], &|xs| xs[0].binary(op, &xs[1]))
            })();
            report.record(format!("broadcast/{name}/{lhs:?}x{rhs:?}"), case);
        }
    }
    let case = (|| {
        let x = t::<B>(&signed_values(3, 610), &[3, 1], device)?;
        let y = x.broadcast_to(&[2, 3, 4]).map_err(err)?;
        let xv = x.to_f64_vec().map_err(err)?;
        let want: Vec<f64> = (0..24).map(|i| xv[(i / 4) % 3]).collect();
        check_values(&y, &want, &[2, 3, 4])?;
        check_gradients(&[x], &|xs| xs[0].broadcast_to(&[2, 3, 4]))
    })();
    report.record("broadcast_to", case);
    let case = (|| {
        let x = Tensor::<B>::scalar(0.7, device).map_err(err)?;
        let y = t::<B>(&signed_values(4, 620), &[2, 2], device)?;
        check_gradients(&[x, y], &|xs| xs[0].mul(&xs[1]))
    })();
    report.record("broadcast/scalar", case);
    report.into_failures()
}
