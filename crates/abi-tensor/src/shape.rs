//! Shape arithmetic shared by every backend: broadcasting, axis checks, matmul shapes.

use crate::error::{Result, TensorError};

/// Number of elements of a shape.
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// The NumPy broadcast of two shapes, or a [`TensorError::ShapeMismatch`] naming `op`.
///
/// ```
/// use abi_tensor::shape::broadcast_shapes;
/// assert_eq!(broadcast_shapes("add", &[4, 1, 3], &[5, 1]).unwrap(), vec![4, 5, 3]);
/// assert!(broadcast_shapes("add", &[2, 3], &[4]).is_err());
/// ```
pub fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i + a.len() >= rank {
            a[i + a.len() - rank]
        } else {
            1
        };
        let db = if i + b.len() >= rank {
            b[i + b.len() - rank]
        } else {
            1
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => {
                return Err(TensorError::ShapeMismatch {
                    op,
                    lhs: a.to_vec(),
                    rhs: b.to_vec(),
                });
            }
        };
    }
    Ok(out)
}

/// The NumPy broadcast of two shapes that are known to broadcast (checked before with
/// [`broadcast_shapes`]): what a kernel uses to size its output. Each output axis is the
/// longer of the two.
///
/// ```
/// use abi_tensor::shape::broadcast_of;
/// assert_eq!(broadcast_of(&[4, 1, 3], &[5, 1]), vec![4, 5, 3]);
/// ```
pub fn broadcast_of(a: &[usize], b: &[usize]) -> Vec<usize> {
    let rank = a.len().max(b.len());
    let at = |s: &[usize], i: usize| {
        if i + s.len() >= rank {
            s[i + s.len() - rank]
        } else {
            1
        }
    };
    (0..rank)
        .map(|i| {
            let (da, db) = (at(a, i), at(b, i));
            if da == 1 { db } else { da }
        })
        .collect()
}

/// Checks that `from` can be broadcast to `to` (NumPy rules, `to` at least as long).
pub fn check_broadcast_to(op: &'static str, from: &[usize], to: &[usize]) -> Result<()> {
    let err = || TensorError::ShapeMismatch {
        op,
        lhs: from.to_vec(),
        rhs: to.to_vec(),
    };
    if from.len() > to.len() {
        return Err(err());
    }
    let off = to.len() - from.len();
    for (i, &d) in from.iter().enumerate() {
        if d != 1 && d != to[off + i] {
            return Err(err());
        }
    }
    Ok(())
}

/// Checks an axis against a rank.
pub fn check_axis(op: &'static str, axis: usize, rank: usize) -> Result<()> {
    if axis >= rank {
        Err(TensorError::AxisOutOfRange { op, axis, rank })
    } else {
        Ok(())
    }
}

/// Checks a list of axes (each in range, no repeats) and returns them sorted.
pub fn check_axes(op: &'static str, axes: &[usize], rank: usize) -> Result<Vec<usize>> {
    let mut sorted = axes.to_vec();
    sorted.sort_unstable();
    for w in sorted.windows(2) {
        if w[0] == w[1] {
            return Err(TensorError::InvalidArgument {
                op,
                reason: format!("axis {} repeated in {axes:?}", w[0]),
            });
        }
    }
    for &a in &sorted {
        check_axis(op, a, rank)?;
    }
    Ok(sorted)
}

/// Checks that `perm` is a permutation of `0..rank`.
pub fn check_permutation(op: &'static str, perm: &[usize], rank: usize) -> Result<()> {
    let mut seen = vec![false; rank];
    if perm.len() != rank {
        return Err(TensorError::InvalidArgument {
            op,
            reason: format!(
                "permutation {perm:?} has {} axes, tensor has rank {rank}",
                perm.len()
            ),
        });
    }
    for &p in perm {
        if p >= rank || seen[p] {
            return Err(TensorError::InvalidArgument {
                op,
                reason: format!("{perm:?} is not a permutation of 0..{rank}"),
            });
        }
        seen[p] = true;
    }
    Ok(())
}

/// Shape after reducing `axes` (sorted, checked), with or without the kept unit axes.
pub fn reduced_shape(shape: &[usize], axes: &[usize], keepdim: bool) -> Vec<usize> {
    let mut out = Vec::with_capacity(shape.len());
    for (i, &d) in shape.iter().enumerate() {
        if axes.contains(&i) {
            if keepdim {
                out.push(1);
            }
        } else {
            out.push(d);
        }
    }
    out
}

/// Output shape of a (batched) matrix product `[.., m, k] @ [.., k, n]` with broadcast batch
/// axes, or a [`TensorError::ShapeMismatch`] naming `matmul`.
///
/// ```
/// use abi_tensor::shape::matmul_shape;
/// assert_eq!(matmul_shape(&[8, 3, 4], &[4, 5]).unwrap(), vec![8, 3, 5]);
/// assert!(matmul_shape(&[3, 4], &[3, 4]).is_err());
/// ```
pub fn matmul_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let mismatch = || TensorError::ShapeMismatch {
        op: "matmul",
        lhs: a.to_vec(),
        rhs: b.to_vec(),
    };
    if a.len() < 2 || b.len() < 2 {
        return Err(mismatch());
    }
    let (m, k) = (a[a.len() - 2], a[a.len() - 1]);
    let (k2, n) = (b[b.len() - 2], b[b.len() - 1]);
    if k != k2 {
        return Err(mismatch());
    }
    let batch =
        broadcast_shapes("matmul", &a[..a.len() - 2], &b[..b.len() - 2]).map_err(|_| mismatch())?;
    let mut out = batch;
    out.push(m);
    out.push(n);
    Ok(out)
}

/// Checks the shape of an index tensor for `gather` / `scatter_add` along `axis` of a tensor
/// of `shape`: the same rank, and no longer than `shape` on every other axis.
pub fn check_index_shape(
    op: &'static str,
    index: &[usize],
    axis: usize,
    shape: &[usize],
) -> Result<()> {
    check_axis(op, axis, shape.len())?;
    let fits = index.len() == shape.len()
        && index
            .iter()
            .zip(shape)
            .enumerate()
            .all(|(d, (i, s))| d == axis || i <= s);
    if fits {
        Ok(())
    } else {
        Err(TensorError::ShapeMismatch {
            op,
            lhs: shape.to_vec(),
            rhs: index.to_vec(),
        })
    }
}

/// One index value (stored as a float) as a position on an axis of length `len`: an
/// integer in `0..len`, else a typed error.
///
/// ```
/// use abi_tensor::shape::index_position;
/// assert_eq!(index_position("gather", 2.0, 3).unwrap(), 2);
/// assert!(index_position("gather", 3.0, 3).is_err());
/// assert!(index_position("gather", 0.5, 3).is_err());
/// ```
pub fn index_position(op: &'static str, value: f64, len: usize) -> Result<usize> {
    if value.fract() != 0.0 || !value.is_finite() {
        return Err(TensorError::InvalidArgument {
            op,
            reason: format!("index value {value} is not an integer"),
        });
    }
    if value < 0.0 || value >= len as f64 {
        return Err(TensorError::IndexOutOfRange {
            op,
            index: value.max(0.0) as usize,
            len,
        });
    }
    Ok(value as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_follows_numpy() {
        assert_eq!(broadcast_shapes("t", &[3], &[2, 3]).unwrap(), vec![2, 3]);
        assert_eq!(broadcast_shapes("t", &[], &[2, 3]).unwrap(), vec![2, 3]);
        assert_eq!(
            broadcast_shapes("t", &[2, 1, 4], &[3, 1]).unwrap(),
            vec![2, 3, 4]
        );
        let e = broadcast_shapes("add", &[2, 3], &[3, 2]).unwrap_err();
        assert_eq!(e.to_string(), "add: shape mismatch, lhs [2, 3], rhs [3, 2]");
    }

    #[test]
    fn axes_are_checked() {
        assert_eq!(check_axes("sum", &[2, 0], 3).unwrap(), vec![0, 2]);
        assert!(check_axes("sum", &[0, 0], 3).is_err());
        assert!(check_axes("sum", &[3], 3).is_err());
        assert!(check_permutation("permute", &[1, 1], 2).is_err());
        assert_eq!(reduced_shape(&[2, 3, 4], &[1], true), vec![2, 1, 4]);
        assert_eq!(reduced_shape(&[2, 3, 4], &[0, 2], false), vec![3]);
    }

    #[test]
    fn matmul_shapes() {
        assert_eq!(
            matmul_shape(&[2, 1, 3, 4], &[5, 4, 6]).unwrap(),
            vec![2, 5, 3, 6]
        );
        assert!(matmul_shape(&[4], &[4, 2]).is_err());
    }
}
