//! Argument checks done before calling libtorch, so that bad shapes, axes and indices give
//! abi's typed errors (libtorch's own messages are strings, and a bad index on a CUDA
//! device would abort the process).

use crate::tch_error;
use crate::tensor::TchTensor;
use abi_tensor::shape::{check_axis, check_index_shape, index_position};
use abi_tensor::{Result, TensorError};

/// The values of a tensor as `f64`s on the host.
pub(crate) fn host_values(op: &'static str, x: &TchTensor) -> Result<Vec<f64>> {
    let t = x
        .as_tch()
        .f_detach()
        .and_then(|t| t.f_to(tch::Device::Cpu))
        .and_then(|t| t.f_to_dtype(tch::Kind::Double, false, false))
        .and_then(|t| t.f_contiguous())
        .map_err(|e| tch_error(op, e))?;
    let mut out = vec![0.0f64; t.numel()];
    t.f_copy_data(&mut out, t.numel())
        .map_err(|e| tch_error(op, e))?;
    Ok(out)
}

/// Validates an index tensor for gather / scatter-add along `axis` of a tensor of `shape`
/// and returns it as libtorch's `int64` index on the index's device.
pub(crate) fn positions(
    op: &'static str,
    index: &TchTensor,
    axis: usize,
    shape: &[usize],
) -> Result<tch::Tensor> {
    check_index_shape(op, &index.dims(), axis, shape)?;
    let len = shape[axis];
    for value in host_values(op, index)? {
        index_position(op, value, len)?;
    }
    index
        .as_tch()
        .f_to_dtype(tch::Kind::Int64, false, false)
        .map_err(|e| tch_error(op, e))
}

/// All shapes in `xs` agree except along `axis`.
pub(crate) fn check_cat(shapes: &[Vec<usize>], axis: usize) -> Result<()> {
    let first = &shapes[0];
    check_axis("cat", axis, first.len())?;
    for s in &shapes[1..] {
        let agree = s.len() == first.len()
            && s.iter()
                .zip(first)
                .enumerate()
                .all(|(d, (a, b))| d == axis || a == b);
        if !agree {
            return Err(TensorError::ShapeMismatch {
                op: "cat",
                lhs: first.clone(),
                rhs: s.clone(),
            });
        }
    }
    Ok(())
}
