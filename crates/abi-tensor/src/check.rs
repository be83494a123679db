//! Argument checks of the operations that need more than one shape helper. The [`Tensor`]
//! methods run them (and the helpers of [`crate::shape`]) once, before calling the backend,
//! so a [`Backend`] kernel may assume its arguments are valid. Errors name the operation and
//! the shapes involved.

use crate::backend::Backend;
use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::shape::{broadcast_shapes, check_axis, check_index_shape, index_position};
use crate::tensor::Tensor;

/// `mask`, `on_true` and `on_false` broadcast together.
pub(crate) fn where_cond(mask: &[usize], on_true: &[usize], on_false: &[usize]) -> Result<()> {
    let values = broadcast_shapes("where_cond", on_true, on_false)?;
    broadcast_shapes("where_cond", mask, &values).map(drop)
}

/// `x (n, in) @ w (in, out) + b (out)`.
pub(crate) fn linear(x: &[usize], w: &[usize], b: Option<&[usize]>) -> Result<()> {
    let bias_ok = b.is_none_or(|b| w.len() == 2 && b == [w[1]]);
    if x.len() < 2 || w.len() != 2 || x[x.len() - 1] != w[0] || !bias_ok {
        return Err(TensorError::ShapeMismatch {
            op: "linear",
            lhs: x.to_vec(),
            rhs: w.to_vec(),
        });
    }
    Ok(())
}

/// At least one tensor, all of the same rank, agreeing on every axis but `axis`.
pub(crate) fn cat(shapes: &[Vec<usize>], axis: usize) -> Result<()> {
    let Some(first) = shapes.first() else {
        return Err(TensorError::InvalidArgument {
            op: "cat",
            reason: "no tensors to concatenate".into(),
        });
    };
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

/// `start..start + len` lies within `axis`.
pub(crate) fn narrow(shape: &[usize], axis: usize, start: usize, len: usize) -> Result<()> {
    check_axis("narrow", axis, shape.len())?;
    let end = start.saturating_add(len);
    if end > shape[axis] {
        return Err(TensorError::IndexOutOfRange {
            op: "narrow",
            index: end,
            len: shape[axis],
        });
    }
    Ok(())
}

/// Every position lies within `axis`.
pub(crate) fn index_select(shape: &[usize], axis: usize, indices: &[usize]) -> Result<()> {
    check_axis("index_select", axis, shape.len())?;
    match indices.iter().find(|&&i| i >= shape[axis]) {
        Some(&bad) => Err(TensorError::IndexOutOfRange {
            op: "index_select",
            index: bad,
            len: shape[axis],
        }),
        None => Ok(()),
    }
}

/// An index tensor for `gather` / `scatter_add` along `axis` of a tensor of `shape`: its
/// shape fits (see [`check_index_shape`]) and every value is an integer position on `axis`.
/// The values are read on the host, so a kernel never sees a bad index (on a GPU one would
/// abort the process).
pub(crate) fn index_tensor<B: Backend>(
    op: &'static str,
    index: &Tensor<B>,
    axis: usize,
    shape: &[usize],
) -> Result<()> {
    check_index_shape(op, &index.shape(), axis, shape)?;
    let len = shape[axis];
    for value in index.to_vec()? {
        index_position(op, value.to_f64(), len)?;
    }
    Ok(())
}

/// `sorted` is 1-D, or `[.., K]` with the leading axes of `values` `[.., N]`.
pub(crate) fn searchsorted(sorted: &[usize], values: &[usize]) -> Result<()> {
    let leading_agree = !sorted.is_empty()
        && sorted.len() == values.len()
        && sorted[..sorted.len() - 1] == values[..values.len() - 1];
    if sorted.len() == 1 || leading_agree {
        Ok(())
    } else {
        Err(TensorError::ShapeMismatch {
            op: "searchsorted",
            lhs: sorted.to_vec(),
            rhs: values.to_vec(),
        })
    }
}

/// Every shape in `others` equals `shape`.
pub(crate) fn same_shapes(op: &'static str, shape: &[usize], others: &[Vec<usize>]) -> Result<()> {
    match others.iter().find(|s| s.as_slice() != shape) {
        Some(s) => Err(TensorError::ShapeMismatch {
            op,
            lhs: shape.to_vec(),
            rhs: s.clone(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_checked_with_the_operation_named() {
        assert!(where_cond(&[2, 1], &[1, 3], &[3]).is_ok());
        let e = where_cond(&[4], &[2, 3], &[3]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "where_cond: shape mismatch, lhs [4], rhs [2, 3]"
        );
        assert!(linear(&[5, 3], &[3, 2], Some(&[2])).is_ok());
        assert!(linear(&[5, 3], &[3, 2], Some(&[3])).is_err());
        assert!(linear(&[5, 3], &[2, 2], None).is_err());
        assert!(cat(&[], 0).is_err());
        assert!(cat(&[vec![2, 3], vec![4, 3]], 0).is_ok());
        assert!(cat(&[vec![2, 3], vec![4, 3]], 1).is_err());
        assert!(narrow(&[2, 3], 1, 1, 2).is_ok());
        assert!(narrow(&[2, 3], 1, usize::MAX, 2).is_err());
        assert!(index_select(&[2, 3], 1, &[2, 0, 2]).is_ok());
        assert!(index_select(&[2, 3], 1, &[3]).is_err());
        assert!(searchsorted(&[5], &[2, 7]).is_ok());
        assert!(searchsorted(&[2, 5], &[2, 7]).is_ok());
        assert!(searchsorted(&[3, 5], &[2, 7]).is_err());
        assert!(same_shapes("adam_update", &[2], &[vec![2], vec![3]]).is_err());
    }
}
