//! Reductions over axes and the cumulative sum, with their gradient rules.

use super::{broadcast_view, zip_map};
use crate::NdFloat;
use crate::tensor::NdTensor;
use abi_tensor::Element;
use abi_tensor::shape::reduced_shape;
use abi_tensor::{ReduceOp, Result};
use ndarray::{ArrayD, Axis, IxDyn, Zip};

/// Reduces `x` over sorted `axes` (as `Tensor::reduce` passes them), keeping unit axes.
fn reduce_keep<F: NdFloat>(op: ReduceOp, x: &ArrayD<F>, axes: &[usize]) -> ArrayD<F> {
    let fold = |x: ArrayD<F>, axis: usize, init: F, f: fn(F, F) -> F| {
        x.fold_axis(Axis(axis), init, |&acc, &v| f(acc, v))
            .insert_axis(Axis(axis))
    };
    match op {
        ReduceOp::Sum | ReduceOp::Mean => {
            // leading axes of a standard-layout array: one in-order pass
            let lead = axes
                .iter()
                .enumerate()
                .take_while(|(i, a)| *i == **a)
                .count();
            let mut r = if lead > 0 && x.is_standard_layout() {
                let mut s = super::sum_leading_axes(x, lead);
                for a in 0..lead {
                    s = s.insert_axis(Axis(a));
                }
                s
            } else {
                x.clone()
            };
            let rest = if lead > 0 && x.is_standard_layout() {
                &axes[lead..]
            } else {
                axes
            };
            for &a in rest.iter().rev() {
                r = r.sum_axis(Axis(a)).insert_axis(Axis(a));
            }
            if op == ReduceOp::Mean {
                let n: usize = axes.iter().map(|&a| x.shape()[a]).product();
                let inv = F::one() / <F as Element>::from_f64(n as f64);
                r.mapv_inplace(|v| v * inv);
            }
            r
        }
        ReduceOp::Max => {
            let mut r = x.clone();
            for &a in axes.iter().rev() {
                r = fold(r, a, F::neg_infinity(), |a, b| if b > a { b } else { a });
            }
            r
        }
        ReduceOp::Min => {
            let mut r = x.clone();
            for &a in axes.iter().rev() {
                r = fold(r, a, F::infinity(), |a, b| if b < a { b } else { a });
            }
            r
        }
        ReduceOp::LogSumExp => {
            let m = reduce_keep(ReduceOp::Max, x, axes);
            // a row that is all -inf keeps -inf rather than NaN
            let m_safe = m.mapv(|v| if v.is_finite() { v } else { F::zero() });
            let mv = broadcast_view(&m_safe, x.shape());
            let shifted = Zip::from(x)
                .and(&mv)
                .map_collect(|&v, &m| (v - m).exp_kernel());
            let s = reduce_keep(ReduceOp::Sum, &shifted, axes);
            zip_map(&s, &m_safe, |s, m| s.ln() + m)
        }
    }
}

pub(crate) fn reduce<F: NdFloat>(
    op: ReduceOp,
    x: &NdTensor<F>,
    axes: &[usize],
    keepdim: bool,
) -> Result<NdTensor<F>> {
    let in_shape = x.array().shape().to_vec();
    let axes = axes.to_vec();
    let kept = reduce_keep(op, x.array(), &axes);
    let out_shape = reduced_shape(&in_shape, &axes, keepdim);
    let y = if keepdim {
        kept.clone()
    } else {
        kept.clone()
            .into_shape_with_order(IxDyn(&out_shape))
            .unwrap_or_else(|_| unreachable!("reduced element count is preserved"))
    };
    let n: usize = axes.iter().map(|&a| in_shape[a]).product();
    Ok(NdTensor::record(y, &[x], move |g_owned, _y, inputs| {
        let g = &g_owned;
        let x = inputs[0].array();
        let kept_shape = kept.shape();
        let g = g
            .view()
            .into_shape_with_order(IxDyn(kept_shape))
            .unwrap_or_else(|_| unreachable!("gradient has the output's shape"))
            .to_owned();
        let gb = broadcast_view(&g, x.shape());
        let kb = broadcast_view(&kept, x.shape());
        let grad = match op {
            ReduceOp::Sum => gb.to_owned(),
            ReduceOp::Mean => {
                let inv = F::one() / <F as Element>::from_f64(n as f64);
                gb.mapv(|v| v * inv)
            }
            ReduceOp::Max | ReduceOp::Min => {
                // share the gradient equally among ties
                let hits = Zip::from(x)
                    .and(&kb)
                    .map_collect(|&v, &k| if v == k { F::one() } else { F::zero() });
                let counts = reduce_keep(ReduceOp::Sum, &hits, &axes);
                let cb = broadcast_view(&counts, x.shape());
                Zip::from(&hits)
                    .and(&gb)
                    .and(&cb)
                    .map_collect(|&h, &g, &c| h * g / c)
            }
            ReduceOp::LogSumExp => Zip::from(x)
                .and(&gb)
                .and(&kb)
                .map_collect(|&v, &g, &k| g * (v - k).exp_kernel()),
        };
        vec![Some(grad)]
    }))
}

fn cumsum_array<F: NdFloat>(x: &ArrayD<F>, axis: usize, reverse: bool) -> ArrayD<F> {
    let mut out = x.to_owned();
    for mut lane in out.lanes_mut(Axis(axis)) {
        let mut acc = F::zero();
        if reverse {
            for v in lane.iter_mut().rev() {
                acc += *v;
                *v = acc;
            }
        } else {
            for v in lane.iter_mut() {
                acc += *v;
                *v = acc;
            }
        }
    }
    out
}

pub(crate) fn cumsum<F: NdFloat>(x: &NdTensor<F>, axis: usize) -> Result<NdTensor<F>> {
    let y = cumsum_array(x.array(), axis, false);
    Ok(NdTensor::record(y, &[x], move |g_owned, _y, _inputs| {
        let g = &g_owned;
        vec![Some(cumsum_array(g, axis, true))]
    }))
}
