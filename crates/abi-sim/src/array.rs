//! [`Array`]: one named entry of a batch, in one of the supported element types.

use crate::error::{Result, SimError};
use ndarray::{ArrayD, Axis, IxDyn, Slice};

/// An n-dimensional array of `f64` (the default), `f32` or `i64` values whose first axis is
/// the batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Array {
    /// Double precision (simulations, parameters).
    F64(ArrayD<f64>),
    /// Single precision (what networks train on).
    F32(ArrayD<f32>),
    /// Integers (counts, model indices).
    I64(ArrayD<i64>),
}

impl Array {
    /// The shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            Array::F64(a) => a.shape(),
            Array::F32(a) => a.shape(),
            Array::I64(a) => a.shape(),
        }
    }

    /// The element type's name (`"f64"`, `"f32"`, `"i64"`).
    pub fn dtype(&self) -> &'static str {
        match self {
            Array::F64(_) => "f64",
            Array::F32(_) => "f32",
            Array::I64(_) => "i64",
        }
    }

    /// Rows along the first axis (0 for a scalar).
    pub fn rows(&self) -> usize {
        self.shape().first().copied().unwrap_or(0)
    }

    /// The values as `f64` (converted from `f32` / `i64`).
    pub fn to_f64(&self) -> ArrayD<f64> {
        match self {
            Array::F64(a) => a.clone(),
            Array::F32(a) => a.mapv(f64::from),
            Array::I64(a) => a.mapv(|v| v as f64),
        }
    }

    /// The rows `range` of the first axis.
    pub fn slice_rows(&self, start: usize, end: usize) -> Array {
        let s = Slice::from(start..end);
        match self {
            Array::F64(a) => Array::F64(a.slice_axis(Axis(0), s).to_owned()),
            Array::F32(a) => Array::F32(a.slice_axis(Axis(0), s).to_owned()),
            Array::I64(a) => Array::I64(a.slice_axis(Axis(0), s).to_owned()),
        }
    }

    /// The given rows of the first axis.
    pub fn select_rows(&self, rows: &[usize]) -> Array {
        match self {
            Array::F64(a) => Array::F64(a.select(Axis(0), rows)),
            Array::F32(a) => Array::F32(a.select(Axis(0), rows)),
            Array::I64(a) => Array::I64(a.select(Axis(0), rows)),
        }
    }

    /// Concatenates arrays of one element type along the first axis.
    pub fn concat(name: &str, parts: &[&Array]) -> Result<Array> {
        let first = parts
            .first()
            .ok_or_else(|| SimError::invalid("concat", format!("no parts for `{name}`")))?;
        for p in parts {
            if p.dtype() != first.dtype() || p.shape().get(1..) != first.shape().get(1..) {
                return Err(SimError::Shape {
                    name: name.to_string(),
                    expected: first.shape().to_vec(),
                    got: p.shape().to_vec(),
                    context: format!("concatenating {} with {}", first.dtype(), p.dtype()),
                });
            }
        }
        macro_rules! cat {
            ($variant:ident) => {{
                let views: Vec<_> = parts
                    .iter()
                    .filter_map(|p| match p {
                        Array::$variant(a) => Some(a.view()),
                        _ => None,
                    })
                    .collect();
                ndarray::concatenate(Axis(0), &views)
                    .map(Array::$variant)
                    .map_err(|e| SimError::invalid("concat", format!("`{name}`: {e}")))
            }};
        }
        match first {
            Array::F64(_) => cat!(F64),
            Array::F32(_) => cat!(F32),
            Array::I64(_) => cat!(I64),
        }
    }

    /// The first non-finite value and its row, if any (integers are always finite).
    pub fn first_non_finite(&self) -> Option<(usize, f64)> {
        let per_row = |shape: &[usize]| shape.iter().skip(1).product::<usize>().max(1);
        match self {
            Array::F64(a) => a.iter().position(|v| !v.is_finite()).map(|i| {
                (
                    i / per_row(a.shape()),
                    a.iter().nth(i).copied().unwrap_or(f64::NAN),
                )
            }),
            Array::F32(a) => a.iter().position(|v| !v.is_finite()).map(|i| {
                (
                    i / per_row(a.shape()),
                    a.iter().nth(i).map(|&v| v as f64).unwrap_or(f64::NAN),
                )
            }),
            Array::I64(_) => None,
        }
    }

    /// Rows holding a non-finite value.
    pub fn non_finite_rows(&self) -> Vec<usize> {
        let rows = self.rows();
        let check = |a: &ArrayD<f64>| -> Vec<usize> {
            (0..rows)
                .filter(|&r| a.index_axis(Axis(0), r).iter().any(|v| !v.is_finite()))
                .collect()
        };
        match self {
            Array::F64(a) => check(a),
            Array::F32(a) => check(&a.mapv(f64::from)),
            Array::I64(_) => Vec::new(),
        }
    }

    /// Repeats a value `rows` times along a new first axis.
    pub fn broadcast_rows(value: &ArrayD<f64>, rows: usize) -> Array {
        let mut shape = vec![rows];
        shape.extend_from_slice(value.shape());
        let data: Vec<f64> = (0..rows).flat_map(|_| value.iter().copied()).collect();
        Array::F64(
            ArrayD::from_shape_vec(IxDyn(&shape), data)
                .unwrap_or_else(|_| unreachable!("length matches the shape")),
        )
    }
}

impl From<ArrayD<f64>> for Array {
    fn from(a: ArrayD<f64>) -> Self {
        Array::F64(a)
    }
}

impl From<ArrayD<f32>> for Array {
    fn from(a: ArrayD<f32>) -> Self {
        Array::F32(a)
    }
}

impl From<ArrayD<i64>> for Array {
    fn from(a: ArrayD<i64>) -> Self {
        Array::I64(a)
    }
}
