//! Padding ragged draws: data sets of different sizes in one batch, with a mask.

use crate::error::{Result, SimError};
use ndarray::{ArrayD, IxDyn};

/// The name of the mask entry that goes with padded entry `name`: `mask_<name>`.
pub fn mask_name(name: &str) -> String {
    format!("mask_{name}")
}

/// Stacks per-draw arrays whose first axis (the number of observations) differs into one
/// `(batch, max_n, ...)` array, filling the missing rows with `fill`, and returns it with the
/// `(batch, max_n)` mask: 1 for a real observation, 0 for padding. The other axes must agree.
///
/// ```
/// use abi_sim::pad_ragged;
/// use ndarray::{ArrayD, IxDyn};
/// let a = ArrayD::from_elem(IxDyn(&[2, 3]), 1.0);
/// let b = ArrayD::from_elem(IxDyn(&[4, 3]), 2.0);
/// let (x, mask) = pad_ragged("x", &[a, b], 0.0)?;
/// assert_eq!(x.shape(), &[2, 4, 3]);
/// assert_eq!(mask.iter().copied().collect::<Vec<_>>(), [1., 1., 0., 0., 1., 1., 1., 1.]);
/// # Ok::<(), abi_sim::SimError>(())
/// ```
pub fn pad_ragged(
    name: &str,
    draws: &[ArrayD<f64>],
    fill: f64,
) -> Result<(ArrayD<f64>, ArrayD<f64>)> {
    let first = draws
        .first()
        .ok_or_else(|| SimError::invalid("pad_ragged", format!("`{name}`: no draws to pad")))?;
    if first.ndim() == 0 {
        return Err(SimError::invalid(
            "pad_ragged",
            format!("`{name}` is a scalar per draw; only arrays with an observation axis pad"),
        ));
    }
    let item = first.shape()[1..].to_vec();
    let width: usize = item.iter().product();
    let longest = draws.iter().map(|d| d.shape()[0]).max().unwrap_or(0);
    let mut data = Vec::with_capacity(draws.len() * longest * width);
    let mut mask = Vec::with_capacity(draws.len() * longest);
    for (i, d) in draws.iter().enumerate() {
        if d.ndim() != first.ndim() || d.shape()[1..] != item[..] {
            return Err(SimError::Shape {
                name: name.to_string(),
                expected: item.clone(),
                got: d.shape().get(1..).unwrap_or(&[]).to_vec(),
                context: format!("draw {i}: padded observations must share their other axes"),
            });
        }
        let n = d.shape()[0];
        data.extend(d.as_standard_layout().iter().copied());
        data.extend(std::iter::repeat_n(fill, (longest - n) * width));
        mask.extend(std::iter::repeat_n(1.0, n));
        mask.extend(std::iter::repeat_n(0.0, longest - n));
    }
    let mut shape = vec![draws.len(), longest];
    shape.extend(item);
    let x = ArrayD::from_shape_vec(IxDyn(&shape), data)
        .map_err(|e| SimError::invalid("pad_ragged", e.to_string()))?;
    let mask = ArrayD::from_shape_vec(IxDyn(&[draws.len(), longest]), mask)
        .map_err(|e| SimError::invalid("pad_ragged", e.to_string()))?;
    Ok((x, mask))
}
