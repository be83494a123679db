//! The GRU state update ([`Backend::gru_update`]): values against a scalar host reference and
//! the composed default, with and without a mask, gradients in the state and both
//! projections, and typed shape errors.

use super::{Failure, Report, check_gradients, check_values, err, t, values};
use crate::backend::Backend;
use crate::error::TensorError;
use crate::recurrent::gru_update_composite;

const BATCH: usize = 3;
const UNITS: usize = 2;

/// `h'` of every element, straight from the definition, in `f64`.
fn host(h: &[f64], xp: &[f64], hp: &[f64], mask: Option<&[f64]>) -> Vec<f64> {
    let sigmoid = |v: f64| 1.0 / (1.0 + (-v).exp());
    let n = UNITS;
    let mut out = Vec::with_capacity(h.len());
    for i in 0..BATCH {
        let m = mask.map_or(1.0, |m| m[i]);
        for j in 0..n {
            let (x, p) = (&xp[i * 3 * n..], &hp[i * 3 * n..]);
            let a = sigmoid(x[j] + p[j]);
            let r = sigmoid(x[n + j] + p[n + j]);
            let c = (x[2 * n + j] + r * p[2 * n + j]).tanh();
            let hh = h[i * n + j];
            out.push(hh + m * a * (c - hh));
        }
    }
    out
}

pub(crate) fn recurrent<B: Backend>(device: &B::Device) -> Vec<Failure> {
    let mut report = Report::default();
    let hv = values(BATCH * UNITS, 1500, -0.9, 0.9);
    let xv = values(BATCH * 3 * UNITS, 1501, -2.0, 2.0);
    let pv = values(BATCH * 3 * UNITS, 1502, -2.0, 2.0);
    let mv = [1.0, 0.0, 1.0];
    for masked in [false, true] {
        let name = if masked { "masked" } else { "unmasked" };
        let case = (|| {
            let h = t::<B>(&hv, &[BATCH, UNITS], device)?;
            let xp = t::<B>(&xv, &[BATCH, 3 * UNITS], device)?;
            let hp = t::<B>(&pv, &[BATCH, 3 * UNITS], device)?;
            let m = t::<B>(&mv, &[BATCH, 1], device)?;
            let mask = masked.then_some(&m);
            let want = host(&hv, &xv, &pv, masked.then_some(&mv[..]));
            let shape = [BATCH, UNITS];
            check_values(&h.gru_update(&xp, &hp, mask).map_err(err)?, &want, &shape)?;
            check_values(
                &gru_update_composite(&h, &xp, &hp, mask).map_err(err)?,
                &want,
                &shape,
            )?;
            check_gradients(&[h, xp, hp], &|xs| xs[0].gru_update(&xs[1], &xs[2], mask))
        })();
        report.record(format!("gru_update {name}"), case);
    }
    let case = (|| {
        let h = t::<B>(&hv, &[BATCH, UNITS], device)?;
        let xp = t::<B>(&xv, &[BATCH, 3 * UNITS], device)?;
        let short = t::<B>(&pv[..BATCH * 2 * UNITS], &[BATCH, 2 * UNITS], device)?;
        match h.gru_update(&xp, &short, None) {
            Err(TensorError::ShapeMismatch {
                op: "gru_update", ..
            }) => Ok(()),
            Err(e) => Err(format!("wrong error for a short projection: {e}")),
            Ok(_) => Err("a (batch, 2n) recurrent projection was accepted".into()),
        }
    })();
    report.record("gru_update shapes", case);
    report.into_failures()
}
