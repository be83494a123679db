//! The internal interface every transform implements, and helpers they share.

use crate::data::Data;
use crate::error::{AdapterError, Result};
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use ndarray::{ArrayD, Axis};

/// One transform of the pipeline: its parameter check, fitting, forward map (with the
/// log-det-Jacobian from the same pass) and inverse.
pub(crate) trait Step {
    /// The name as written in files and errors.
    fn name(&self) -> &'static str;

    /// Checks the parameters; called before every use and when loading.
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// Learns what the transform needs from data (statistics, sizes). With `merge`,
    /// statistics are combined with those already held.
    fn fit(&mut self, _data: &Data, _merge: bool) -> Result<()> {
        Ok(())
    }

    /// Maps `data` forward; with `ldj`, also accumulates `ln |det ∂y/∂x|` per entry.
    fn forward(
        &self,
        data: &mut Data,
        custom: &CustomRegistry,
        ldj: Option<&mut LogDet>,
    ) -> Result<()>;

    /// Undoes the forward map where it can; entries absent from `data` are skipped.
    fn inverse(&self, data: &mut Data, custom: &CustomRegistry) -> Result<()>;

    /// Restricts the transform to the entries present in `data` (for inference-time data that
    /// lack some entries): `Ok(false)` skips it, an error names a part that must be present.
    fn restrict(&mut self, data: &Data) -> Result<bool>;
}

/// Keeps the keys present in `data`; whether any remain.
pub(crate) fn restrict_keys(keys: &mut Vec<String>, data: &Data) -> bool {
    keys.retain(|k| data.contains(k));
    !keys.is_empty()
}

/// Size of the last axis (1 for a scalar).
pub(crate) fn last_dim(x: &ArrayD<f64>) -> usize {
    x.shape().last().copied().unwrap_or(1)
}

/// The shape without the last axis (what a log-det of the entry is shaped like).
pub(crate) fn lead_shape(shape: &[usize]) -> &[usize] {
    &shape[..shape.len().saturating_sub(1)]
}

/// Sums the last axis away (a scalar stays as it is).
pub(crate) fn sum_last(x: ArrayD<f64>) -> ArrayD<f64> {
    if x.ndim() == 0 {
        return x;
    }
    let last = x.ndim() - 1;
    x.sum_axis(Axis(last))
}

/// Resolves an axis that may count from the end (`-1` is the last) for an entry of rank
/// `ndim`.
pub(crate) fn resolve_axis(transform: &str, key: &str, axis: isize, ndim: usize) -> Result<usize> {
    let resolved = if axis < 0 {
        ndim.checked_sub(axis.unsigned_abs())
    } else {
        Some(axis.unsigned_abs()).filter(|a| *a < ndim)
    };
    resolved.ok_or_else(|| AdapterError::Invalid {
        transform: transform.into(),
        reason: format!("axis {axis} is out of range for `{key}` of rank {ndim}"),
    })
}

/// A parameter error of `transform`.
pub(crate) fn invalid(transform: &str, reason: impl Into<String>) -> AdapterError {
    AdapterError::Invalid {
        transform: transform.into(),
        reason: reason.into(),
    }
}

/// A shape error of `transform` for `key`.
pub(crate) fn shape_error(
    transform: &str,
    key: &str,
    expected: Vec<usize>,
    got: &[usize],
) -> AdapterError {
    AdapterError::Shape {
        transform: transform.into(),
        key: key.into(),
        expected,
        got: got.to_vec(),
    }
}

/// Maps each row of `x` — its trailing `tail` axes, flattened in standard order — with `f`,
/// which writes the row's `out_tail` values and returns one number for the row (its log-det).
/// Gives the output (leading axes + `out_tail`) and the numbers (leading axes). `x` must have
/// at least `tail` axes.
pub(crate) fn map_rows<F>(
    transform: &str,
    x: &ArrayD<f64>,
    tail: usize,
    out_tail: &[usize],
    mut f: F,
) -> Result<(ArrayD<f64>, ArrayD<f64>)>
where
    F: FnMut(&[f64], &mut [f64]) -> Result<f64>,
{
    let split = x.ndim().saturating_sub(tail);
    let lead = &x.shape()[..split];
    let in_len: usize = x.shape()[split..].iter().product();
    let out_len: usize = out_tail.iter().product();
    let rows: usize = lead.iter().product();
    let standard = x.as_standard_layout();
    let src = standard
        .as_slice()
        .ok_or_else(|| invalid(transform, "data not in standard layout"))?;
    let mut out = vec![0.0; rows * out_len];
    let mut per_row = Vec::with_capacity(rows);
    for r in 0..rows {
        let row = &src[r * in_len..(r + 1) * in_len];
        per_row.push(f(row, &mut out[r * out_len..(r + 1) * out_len])?);
    }
    let shape: Vec<usize> = lead.iter().chain(out_tail).copied().collect();
    let y = ArrayD::from_shape_vec(ndarray::IxDyn(&shape), out)
        .map_err(|e| invalid(transform, e.to_string()))?;
    let l = ArrayD::from_shape_vec(ndarray::IxDyn(lead), per_row)
        .map_err(|e| invalid(transform, e.to_string()))?;
    Ok((y, l))
}
