//! Argument checks done before calling libtorch, so that bad shapes, axes and indices give
//! abi's typed errors (libtorch's own messages are strings, and a bad index on a CUDA
//! device would abort the process).

use crate::tch_error;
use crate::tensor::TchTensor;
use abi_tensor::shape::check_axis;
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
    check_axis(op, axis, shape.len())?;
    let is = index.dims();
    if is.len() != shape.len()
        || is
            .iter()
            .zip(shape)
            .enumerate()
            .any(|(d, (i, s))| d != axis && i > s)
    {
        return Err(TensorError::ShapeMismatch {
            op,
            lhs: shape.to_vec(),
            rhs: is,
        });
    }
    let len = shape[axis];
    for f in host_values(op, index)? {
        if f.fract() != 0.0 || !f.is_finite() {
            return Err(TensorError::InvalidArgument {
                op,
                reason: format!("index value {f} is not an integer"),
            });
        }
        if f < 0.0 || f >= len as f64 {
            return Err(TensorError::IndexOutOfRange {
                op,
                index: f.max(0.0) as usize,
                len,
            });
        }
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
