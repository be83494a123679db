//! Index-driven operations: select, gather, scatter-add, searchsorted.

use crate::NdFloat;
use crate::tensor::NdTensor;
use abi_tensor::Element;
use abi_tensor::Result;
use ndarray::{ArrayD, Axis, Dimension, IxDyn};

pub(crate) fn index_select<F: NdFloat>(
    x: &NdTensor<F>,
    axis: usize,
    indices: &[usize],
) -> Result<NdTensor<F>> {
    let shape = x.array().shape().to_vec();
    let y = x.array().select(Axis(axis), indices);
    let indices = indices.to_vec();
    Ok(NdTensor::record(y, &[x], move |g_owned, _y, _| {
        let g = &g_owned;
        let mut full = ArrayD::<F>::zeros(IxDyn(&shape));
        for (i, &idx) in indices.iter().enumerate() {
            let mut dst = full.index_axis_mut(Axis(axis), idx);
            dst += &g.index_axis(Axis(axis), i);
        }
        vec![Some(full)]
    }))
}

/// An index tensor (integer values, checked by `Tensor::gather` / `Tensor::scatter_add`) as
/// positions.
fn positions<F: NdFloat>(index: &ArrayD<F>) -> ArrayD<usize> {
    index.mapv(|v| v.to_f64() as usize)
}

/// `(rows, x width, index width)` when `x` and `pos` are standard-layout, indexed along
/// their last axis and agree on the leading axes: the case of spline bins and class scores.
fn last_axis_rows(
    shape: &[usize],
    axis: usize,
    pos: &ArrayD<usize>,
) -> Option<(usize, usize, usize)> {
    let last = shape.len().checked_sub(1)?;
    let ps = pos.shape();
    (axis == last && ps.len() == shape.len() && ps[..last] == shape[..last]).then(|| {
        let rows = shape[..last].iter().product();
        (rows, shape[last], ps[last])
    })
}

fn gather_array<F: NdFloat>(x: &ArrayD<F>, axis: usize, pos: &ArrayD<usize>) -> ArrayD<F> {
    if let (Some((rows, xw, pw)), Some(xs), Some(ps)) = (
        last_axis_rows(x.shape(), axis, pos),
        x.as_slice(),
        pos.as_slice(),
    ) {
        let mut out = Vec::with_capacity(rows * pw);
        for r in 0..rows {
            let row = &xs[r * xw..(r + 1) * xw];
            out.extend(ps[r * pw..(r + 1) * pw].iter().map(|&p| row[p]));
        }
        return ArrayD::from_shape_vec(IxDyn(pos.shape()), out)
            .unwrap_or_else(|_| unreachable!("length matches the shape"));
    }
    let mut out = ArrayD::<F>::zeros(IxDyn(pos.shape()));
    let mut at = vec![0usize; x.ndim()];
    for ((idx, &p), o) in pos.indexed_iter().zip(out.iter_mut()) {
        at.copy_from_slice(idx.slice());
        at[axis] = p;
        *o = x[IxDyn(&at)];
    }
    out
}

fn scatter_add_into<F: NdFloat>(
    out: &mut ArrayD<F>,
    axis: usize,
    pos: &ArrayD<usize>,
    src: &ArrayD<F>,
) {
    let shape = out.shape().to_vec();
    if let Some((rows, ow, pw)) = last_axis_rows(&shape, axis, pos) {
        if let (Some(os), Some(ps), Some(ss)) = (out.as_slice_mut(), pos.as_slice(), src.as_slice())
        {
            for r in 0..rows {
                let row = &mut os[r * ow..(r + 1) * ow];
                for (&p, &v) in ps[r * pw..(r + 1) * pw]
                    .iter()
                    .zip(&ss[r * pw..(r + 1) * pw])
                {
                    row[p] += v;
                }
            }
            return;
        }
    }
    let mut at = vec![0usize; out.ndim()];
    for ((idx, &p), &s) in pos.indexed_iter().zip(src.iter()) {
        at.copy_from_slice(idx.slice());
        at[axis] = p;
        out[IxDyn(&at)] += s;
    }
}

pub(crate) fn gather<F: NdFloat>(
    x: &NdTensor<F>,
    axis: usize,
    index: &NdTensor<F>,
) -> Result<NdTensor<F>> {
    let shape = x.array().shape().to_vec();
    let pos = positions(index.array());
    let y = gather_array(x.array(), axis, &pos);
    Ok(NdTensor::record(y, &[x], move |g_owned, _y, _| {
        let g = &g_owned;
        let mut full = ArrayD::<F>::zeros(IxDyn(&shape));
        scatter_add_into(&mut full, axis, &pos, &g.as_standard_layout().to_owned());
        vec![Some(full)]
    }))
}

pub(crate) fn scatter_add<F: NdFloat>(
    x: &NdTensor<F>,
    axis: usize,
    index: &NdTensor<F>,
    src: &NdTensor<F>,
) -> Result<NdTensor<F>> {
    let pos = positions(index.array());
    let mut y = x.array().to_owned();
    scatter_add_into(
        &mut y,
        axis,
        &pos,
        &src.array().as_standard_layout().to_owned(),
    );
    Ok(NdTensor::record(
        y,
        &[x, src],
        move |g_owned, _y, inputs| {
            let g = &g_owned;
            vec![
                inputs[0].tracked().then(|| g.clone()),
                inputs[1].tracked().then(|| gather_array(g, axis, &pos)),
            ]
        },
    ))
}

pub(crate) fn searchsorted<F: NdFloat>(
    sorted: &NdTensor<F>,
    values: &NdTensor<F>,
    right: bool,
) -> Result<NdTensor<F>> {
    let (s, v) = (sorted.array(), values.array());
    let find = |row: &[F], x: F| -> F {
        let i = if right {
            row.partition_point(|&b| b <= x)
        } else {
            row.partition_point(|&b| b < x)
        };
        <F as Element>::from_f64(i as f64)
    };
    if s.ndim() == 1 {
        let row = s
            .as_standard_layout()
            .to_owned()
            .into_raw_vec_and_offset()
            .0;
        return Ok(NdTensor::constant(v.mapv(|x| find(&row, x))));
    }
    let k = s.shape()[s.ndim() - 1];
    let n = v.shape()[v.ndim() - 1];
    let rows = s.len() / k.max(1);
    let s2 = s
        .as_standard_layout()
        .into_owned()
        .into_shape_with_order((rows, k))
        .unwrap_or_else(|_| unreachable!("element count is preserved"));
    let v2 = v
        .as_standard_layout()
        .into_owned()
        .into_shape_with_order((rows, n))
        .unwrap_or_else(|_| unreachable!("element count is preserved"));
    let mut out = ndarray::Array2::<F>::zeros((rows, n));
    for r in 0..rows {
        let row = s2.row(r).to_vec();
        for j in 0..n {
            out[(r, j)] = find(&row, v2[(r, j)]);
        }
    }
    Ok(NdTensor::constant(
        out.into_shape_with_order(IxDyn(v.shape()))
            .unwrap_or_else(|_| unreachable!("element count is preserved")),
    ))
}
