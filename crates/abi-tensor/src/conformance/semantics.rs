//! Autodiff semantics and error behaviour.

use super::{Failure, Report, check_values, err, t};
use crate::backend::Backend;
use crate::error::TensorError;
use crate::tensor::Tensor;

pub(crate) fn autodiff<B: Backend>(device: &B::Device) -> Vec<Failure> {
    let mut report = Report::default();
    let case = (|| {
        let x = t::<B>(&[1.0, 2.0], &[2], device)?.track();
        let y = crate::no_grad::<B, _>(|| x.exp().and_then(|e| e.mul(&x))).map_err(err)?;
        if y.is_tracked() {
            return Err("an operation inside no_grad was tracked".into());
        }
        if !B::grad_enabled() {
            return Err("no_grad did not restore recording".into());
        }
        let z = x.exp().map_err(err)?;
        if !z.is_tracked() {
            return Err("an operation outside no_grad was not tracked".into());
        }
        Ok(())
    })();
    report.record("no_grad", case);
    let case = (|| {
        let x = t::<B>(&[1.5, -2.0], &[2], device)?.track();
        // x * x uses x twice: gradients must accumulate to 2x
        let g = x
            .mul(&x)
            .and_then(|y| y.sum_all())
            .and_then(|l| l.backward())
            .map_err(err)?;
        let gx = g.get(&x).ok_or("no gradient for x")?;
        check_values(&gx, &[3.0, -4.0], &[2])?;
        // detach cuts the path: d/dx (x * detach(x)) = detach(x)
        let g = x
            .mul(&x.detach())
            .and_then(|y| y.sum_all())
            .and_then(|l| l.backward())
            .map_err(err)?;
        check_values(&g.get(&x).ok_or("no gradient for x")?, &[1.5, -2.0], &[2])
    })();
    report.record("accumulate_and_detach", case);
    let case = (|| {
        // vector-Jacobian product of y = A x with seed s is Aᵀ s
        let a = t::<B>(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2], device)?;
        let x = t::<B>(&[0.5, -1.0], &[2, 1], device)?.track();
        let y = a.matmul(&x).map_err(err)?;
        let seed = t::<B>(&[1.0, 0.0, 2.0], &[3, 1], device)?;
        let g = y.backward_with(&seed).map_err(err)?;
        check_values(
            &g.get(&x).ok_or("no gradient for x")?,
            &[11.0, 14.0],
            &[2, 1],
        )?;
        if g.get(&a).is_some() {
            return Err("an untracked tensor received a gradient".into());
        }
        Ok(())
    })();
    report.record("vjp", case);
    let case = (|| {
        // gradient with respect to an input of a two-layer function, as a divergence needs
        let w = t::<B>(&[0.3, -0.2, 0.5, 0.1], &[2, 2], device)?.track();
        let x = t::<B>(&[1.0, 2.0], &[1, 2], device)?.track();
        let y = x
            .matmul(&w)
            .and_then(|h| h.tanh())
            .and_then(|h| h.sum_all())
            .map_err(err)?;
        let g = y.backward().map_err(err)?;
        let gx = g.get(&x).ok_or("no gradient for the input")?;
        let gw = g.get(&w).ok_or("no gradient for the weight")?;
        let h: [f64; 2] = [1.0 * 0.3 + 2.0 * 0.5, 1.0 * -0.2 + 2.0 * 0.1];
        let d = [1.0 - h[0].tanh().powi(2), 1.0 - h[1].tanh().powi(2)];
        check_values(
            &gx,
            &[0.3 * d[0] - 0.2 * d[1], 0.5 * d[0] + 0.1 * d[1]],
            &[1, 2],
        )?;
        check_values(&gw, &[d[0], d[1], 2.0 * d[0], 2.0 * d[1]], &[2, 2])
    })();
    report.record("input_gradient", case);
    let case = (|| {
        let x = t::<B>(&[1.0, 2.0], &[2], device)?;
        match x.sum_all().and_then(|s| s.backward()) {
            Err(TensorError::NotTracked) => {}
            other => return Err(format!("backward of an untracked tensor gave {other:?}")),
        }
        let tr = x.track();
        match tr.exp().and_then(|y| y.backward()) {
            Err(TensorError::InvalidShape { op: "backward", .. }) => Ok(()),
            other => Err(format!("backward of a vector without seed gave {other:?}")),
        }
    })();
    report.record("backward_errors", case);
    let case = (|| {
        // two backward sweeps over the same graph give the same gradients
        let x = t::<B>(&[0.2, 0.4, -0.3], &[3], device)?.track();
        let y = x
            .sin()
            .and_then(|s| s.mul(&x))
            .and_then(|p| p.sum_all())
            .map_err(err)?;
        let g1 = y.backward().map_err(err)?.get(&x).ok_or("missing")?;
        let g2 = y.backward().map_err(err)?.get(&x).ok_or("missing")?;
        check_values(&g2, &g1.to_f64_vec().map_err(err)?, &[3])
    })();
    report.record("repeat_backward", case);
    report.into_failures()
}

fn expect_err<T: std::fmt::Debug>(
    what: &str,
    result: crate::Result<T>,
    wanted: impl Fn(&TensorError) -> bool,
) -> Result<(), String> {
    match result {
        Err(e) if wanted(&e) => Ok(()),
        Err(e) => Err(format!("{what}: unexpected error `{e}`")),
        Ok(v) => Err(format!("{what}: expected an error, got {v:?}")),
    }
}

pub(crate) fn errors<B: Backend>(device: &B::Device) -> Vec<Failure> {
    let mut report = Report::default();
    let case = (|| {
        let a = Tensor::<B>::zeros(&[2, 3], device).map_err(err)?;
        let b = Tensor::<B>::zeros(&[3, 2], device).map_err(err)?;
        let c = Tensor::<B>::zeros(&[4], device).map_err(err)?;
        let mismatch = |op: &'static str| {
            move |e: &TensorError| {
                matches!(e, TensorError::ShapeMismatch { op: o, .. } if *o == op)
                    && e.to_string().contains("[2, 3]")
            }
        };
        expect_err("add", a.add(&b), mismatch("add"))?;
        expect_err("mul", a.mul(&c), mismatch("mul"))?;
        expect_err("where_cond", a.where_cond(&a, &b), mismatch("where_cond"))?;
        expect_err("lt", a.lt(&b), mismatch("lt"))?;
        expect_err("matmul", a.matmul(&a), mismatch("matmul"))?;
        expect_err("reshape", a.reshape(&[5]), mismatch("reshape"))?;
        expect_err("linear", a.linear(&a, None), mismatch("linear"))?;
        expect_err("linear bias", a.linear(&b, Some(&c)), mismatch("linear"))?;
        expect_err("cat", Tensor::cat(&[a.clone(), b.clone()], 0), |e| {
            matches!(e, TensorError::ShapeMismatch { op: "cat", .. })
        })?;
        expect_err("broadcast_to", a.broadcast_to(&[2, 4]), |e| {
            matches!(
                e,
                TensorError::ShapeMismatch {
                    op: "broadcast_to",
                    ..
                }
            )
        })?;
        expect_err(
            "from_vec",
            Tensor::<B>::from_f64(&[1.0; 5], &[2, 3], device),
            |e| matches!(e, TensorError::DataLength { .. }),
        )?;
        let step = crate::AdamStep {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            bias1: 0.1,
            bias2: 0.001,
            l2: 0.0,
            decoupled: 0.0,
        };
        expect_err(
            "adam_update",
            a.adam_update(&a, a.clone(), b.clone(), &step),
            mismatch("adam_update"),
        )?;
        expect_err("searchsorted", a.searchsorted(&b, false), |e| {
            matches!(
                e,
                TensorError::ShapeMismatch {
                    op: "searchsorted",
                    ..
                }
            )
        })
    })();
    report.record("shape_mismatch", case);
    let case = (|| {
        let a = Tensor::<B>::zeros(&[2, 3], device).map_err(err)?;
        expect_err("sum axis", a.sum(&[2], false), |e| {
            matches!(
                e,
                TensorError::AxisOutOfRange {
                    axis: 2,
                    rank: 2,
                    ..
                }
            )
        })?;
        expect_err("narrow", a.narrow(1, 2, 2), |e| {
            matches!(e, TensorError::IndexOutOfRange { op: "narrow", .. })
        })?;
        expect_err("index_select", a.index_select(0, &[0, 2]), |e| {
            matches!(
                e,
                TensorError::IndexOutOfRange {
                    op: "index_select",
                    index: 2,
                    len: 2
                }
            )
        })?;
        expect_err("permute", a.permute(&[0, 0]), |e| {
            matches!(e, TensorError::InvalidArgument { op: "permute", .. })
        })?;
        let bad_index = t::<B>(&[0.0, 5.0], &[1, 2], device)?;
        expect_err("gather", a.gather(1, &bad_index), |e| {
            matches!(e, TensorError::IndexOutOfRange { op: "gather", .. })
        })?;
        let frac_index = t::<B>(&[0.5, 1.0], &[1, 2], device)?;
        expect_err("gather", a.gather(1, &frac_index), |e| {
            matches!(e, TensorError::InvalidArgument { op: "gather", .. })
        })?;
        expect_err(
            "scatter_add",
            a.scatter_add(1, &bad_index, &bad_index),
            |e| {
                matches!(
                    e,
                    TensorError::IndexOutOfRange {
                        op: "scatter_add",
                        ..
                    }
                )
            },
        )?;
        expect_err("cumsum", a.cumsum(3), |e| {
            matches!(e, TensorError::AxisOutOfRange { .. })
        })?;
        expect_err("flip", a.flip(&[2]), |e| {
            matches!(e, TensorError::AxisOutOfRange { .. })
        })?;
        expect_err("to_scalar", a.to_scalar(), |e| {
            matches!(e, TensorError::InvalidShape { .. })
        })
    })();
    report.record("index_and_axis", case);
    report.into_failures()
}
