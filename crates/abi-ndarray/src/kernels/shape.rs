//! Reshape, permute, broadcast, concatenate, narrow and flip, with their gradient rules.

use super::sum_to_shape;
use crate::NdFloat;
use crate::tensor::NdTensor;
use abi_tensor::{Result, TensorError};
use ndarray::{ArrayD, Axis, IxDyn, Slice};

pub(crate) fn reshape_array<F: NdFloat>(x: &ArrayD<F>, shape: &[usize]) -> ArrayD<F> {
    x.as_standard_layout()
        .into_owned()
        .into_shape_with_order(IxDyn(shape))
        .unwrap_or_else(|_| unreachable!("element count was checked"))
}

/// Reshapes an owned array, copying only when it is not in standard layout.
fn reshape_owned<F: NdFloat>(x: ArrayD<F>, shape: &[usize]) -> ArrayD<F> {
    if x.is_standard_layout() {
        x.into_shape_with_order(IxDyn(shape))
            .unwrap_or_else(|_| unreachable!("element count was checked"))
    } else {
        reshape_array(&x, shape)
    }
}

pub(crate) fn reshape<F: NdFloat>(x: &NdTensor<F>, shape: &[usize]) -> Result<NdTensor<F>> {
    let in_shape = x.array().shape().to_vec();
    let y = reshape_array(x.array(), shape);
    Ok(NdTensor::record(y, &[x], move |g, _y, _| {
        vec![Some(reshape_owned(g, &in_shape))]
    }))
}

pub(crate) fn permute<F: NdFloat>(x: &NdTensor<F>, perm: &[usize]) -> Result<NdTensor<F>> {
    // a permutation only changes strides: no data is moved
    let y = x.array().clone().permuted_axes(IxDyn(perm));
    let mut inverse = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inverse[p] = i;
    }
    Ok(NdTensor::record(y, &[x], move |g, _y, _| {
        vec![Some(g.permuted_axes(IxDyn(&inverse)))]
    }))
}

pub(crate) fn broadcast_to<F: NdFloat>(x: &NdTensor<F>, shape: &[usize]) -> Result<NdTensor<F>> {
    let in_shape = x.array().shape().to_vec();
    let y = super::broadcast_view(x.array(), shape).to_owned();
    Ok(NdTensor::record(y, &[x], move |g, _y, _| {
        vec![Some(sum_to_shape(g, &in_shape))]
    }))
}

pub(crate) fn cat<F: NdFloat>(xs: &[NdTensor<F>], axis: usize) -> Result<NdTensor<F>> {
    // shapes were checked by `Tensor::cat`; the output is always in standard layout
    // (`ndarray::concatenate` follows its inputs' layout, which after a broadcast can be
    // column-major, and every later product would then copy it)
    let lens: Vec<usize> = xs.iter().map(|x| x.array().shape()[axis]).collect();
    let Some(first) = xs.first() else {
        return Err(TensorError::Backend {
            backend: <crate::NdArray<F> as abi_tensor::Backend>::name(),
            reason: "cat: no tensors".into(),
        });
    };
    let mut shape = first.array().shape().to_vec();
    shape[axis] = lens.iter().sum();
    let mut y = ArrayD::<F>::uninit(IxDyn(&shape));
    let mut start = 0;
    for (x, &len) in xs.iter().zip(&lens) {
        x.array()
            .assign_to(y.slice_axis_mut(Axis(axis), Slice::from(start..start + len)));
        start += len;
    }
    // SAFETY: the pieces tile the output along `axis`, so every element was written.
    let y = unsafe { y.assume_init() };
    let refs: Vec<&NdTensor<F>> = xs.iter().collect();
    Ok(NdTensor::record(y, &refs, move |g_owned, _y, inputs| {
        let g = &g_owned;
        let mut start = 0;
        lens.iter()
            .zip(inputs)
            .map(|(&len, input)| {
                let piece = input.tracked().then(|| {
                    g.slice_axis(Axis(axis), Slice::from(start..start + len))
                        .to_owned()
                });
                start += len;
                piece
            })
            .collect()
    }))
}

pub(crate) fn narrow<F: NdFloat>(
    x: &NdTensor<F>,
    axis: usize,
    start: usize,
    len: usize,
) -> Result<NdTensor<F>> {
    let shape = x.array().shape().to_vec();
    let y = x
        .array()
        .slice_axis(Axis(axis), Slice::from(start..start + len))
        .to_owned();
    Ok(NdTensor::record(y, &[x], move |g_owned, _y, _| {
        let g = &g_owned;
        let mut full = ArrayD::<F>::zeros(IxDyn(&shape));
        full.slice_axis_mut(Axis(axis), Slice::from(start..start + len))
            .assign(g);
        vec![Some(full)]
    }))
}

fn flip_array<F: NdFloat>(x: &ArrayD<F>, axes: &[usize]) -> ArrayD<F> {
    let mut y = x.clone();
    for &a in axes {
        y.invert_axis(Axis(a));
    }
    y
}

pub(crate) fn flip<F: NdFloat>(x: &NdTensor<F>, axes: &[usize]) -> Result<NdTensor<F>> {
    let axes = axes.to_vec();
    let y = flip_array(x.array(), &axes);
    Ok(NdTensor::record(y, &[x], move |g_owned, _y, _| {
        let g = &g_owned;
        vec![Some(flip_array(g, &axes))]
    }))
}
