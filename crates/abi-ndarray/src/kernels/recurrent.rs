//! The GRU state update as one fused kernel with an analytic backward rule.
//!
//! Per element `j` of a row, with `a = σ(x_a + p_a)`, `r = σ(x_r + p_r)`,
//! `c = tanh(x_c + r p_c)` and mask `m`: `h' = h + m a (c − h)`. For an upstream gradient
//! `g`: `∂/∂h = g (1 − m a)`; the gate pre-activations get `δ_a = g m (c − h) a (1 − a)`,
//! `δ_c = g m a (1 − c²)` and `δ_r = δ_c p_c r (1 − r)`; so `∂/∂xp = [δ_a, δ_r, δ_c]` and
//! `∂/∂hp = [δ_a, δ_r, δ_c r]`.

use super::contiguous;
use super::elementwise::{sigmoid, tanh};
use super::simd;
use crate::NdFloat;
use crate::tensor::NdTensor;
use abi_tensor::Result;
use ndarray::{ArrayD, IxDyn};
use std::borrow::Cow;

/// The three gate blocks `[a, r, c]` of one row of a `(batch, 3n)` projection.
fn blocks<F>(row: &[F], n: usize) -> (&[F], &[F], &[F]) {
    (&row[..n], &row[n..2 * n], &row[2 * n..3 * n])
}

/// The array's elements in standard order: borrowed when it is in standard layout.
fn data<F: NdFloat>(a: &ArrayD<F>) -> Cow<'_, [F]> {
    match a.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(contiguous(a).iter().copied().collect()),
    }
}

pub(crate) fn gru_update<F: NdFloat>(
    h: &NdTensor<F>,
    xp: &NdTensor<F>,
    hp: &NdTensor<F>,
    mask: Option<&NdTensor<F>>,
) -> Result<NdTensor<F>> {
    let (b, n) = (h.array().shape()[0], h.array().shape()[1]);
    let (hs, xs, ps) = (data(h.array()), data(xp.array()), data(hp.array()));
    let ms = mask.map(|m| data(m.array()));
    let mut out = vec![F::zero(); b * n];
    simd::run(|| {
        for (i, o) in out.chunks_exact_mut(n).enumerate() {
            let (xa, xr, xc) = blocks(&xs[i * 3 * n..], n);
            let (pa, pr, pc) = blocks(&ps[i * 3 * n..], n);
            let hh = &hs[i * n..(i + 1) * n];
            let m = ms.as_ref().map_or(F::one(), |m| m[i]);
            for j in 0..n {
                let a = sigmoid(xa[j] + pa[j]);
                let r = sigmoid(xr[j] + pr[j]);
                let c = tanh(xc[j] + r * pc[j]);
                o[j] = hh[j] + m * a * (c - hh[j]);
            }
        }
    });
    let y = ArrayD::from_shape_vec(IxDyn(&[b, n]), out)
        .unwrap_or_else(|_| unreachable!("length matches the shape"));
    let mut inputs = vec![h, xp, hp];
    inputs.extend(mask);
    Ok(NdTensor::record(y, &inputs, move |g, _y, inputs| {
        let gs = data(&g);
        let (hs, xs, ps) = (
            data(inputs[0].array()),
            data(inputs[1].array()),
            data(inputs[2].array()),
        );
        let ms = inputs.get(3).map(|m| data(m.array()));
        let (mut gh, mut gx, mut gp) = (
            vec![F::zero(); b * n],
            vec![F::zero(); b * 3 * n],
            vec![F::zero(); b * 3 * n],
        );
        let one = F::one();
        simd::run(|| {
            for i in 0..b {
                let (xa, xr, xc) = blocks(&xs[i * 3 * n..], n);
                let (pa, pr, pc) = blocks(&ps[i * 3 * n..], n);
                let (hh, gi) = (&hs[i * n..(i + 1) * n], &gs[i * n..(i + 1) * n]);
                let ghr = &mut gh[i * n..(i + 1) * n];
                let (gxa, rest) = gx[i * 3 * n..(i + 1) * 3 * n].split_at_mut(n);
                let (gxr, gxc) = rest.split_at_mut(n);
                let (gpa, rest) = gp[i * 3 * n..(i + 1) * 3 * n].split_at_mut(n);
                let (gpr, gpc) = rest.split_at_mut(n);
                let m = ms.as_ref().map_or(one, |m| m[i]);
                for j in 0..n {
                    let a = sigmoid(xa[j] + pa[j]);
                    let r = sigmoid(xr[j] + pr[j]);
                    let c = tanh(xc[j] + r * pc[j]);
                    ghr[j] = gi[j] * (one - m * a);
                    let da = gi[j] * m * (c - hh[j]) * a * (one - a);
                    let dc = gi[j] * m * a * (one - c * c);
                    let dr = dc * pc[j] * r * (one - r);
                    gxa[j] = da;
                    gxr[j] = dr;
                    gxc[j] = dc;
                    gpa[j] = da;
                    gpr[j] = dr;
                    gpc[j] = dc * r;
                }
            }
        });
        let arr = |v: Vec<F>, cols: usize| {
            ArrayD::from_shape_vec(IxDyn(&[b, cols]), v)
                .unwrap_or_else(|_| unreachable!("length matches the shape"))
        };
        let mut grads = vec![
            inputs[0].tracked().then(|| arr(gh, n)),
            inputs[1].tracked().then(|| arr(gx, 3 * n)),
            inputs[2].tracked().then(|| arr(gp, 3 * n)),
        ];
        if inputs.len() > 3 {
            grads.push(None);
        }
        grads
    }))
}
