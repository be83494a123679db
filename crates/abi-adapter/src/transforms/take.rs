//! `take`: chosen indices along an axis (not invertible).

use super::step::{Step, invalid, resolve_axis, restrict_keys};
use crate::data::Data;
use crate::error::Result;
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use ndarray::{ArrayD, Axis};
use serde::{Deserialize, Serialize};

fn last_axis() -> isize {
    -1
}

/// Selects `indices` of `key` along `axis`, checking them.
pub(crate) fn take_along(
    transform: &str,
    key: &str,
    x: &ArrayD<f64>,
    axis: usize,
    indices: &[usize],
) -> Result<ArrayD<f64>> {
    let n = x.shape()[axis];
    if let Some(bad) = indices.iter().find(|i| **i >= n) {
        return Err(invalid(
            transform,
            format!("index {bad} is out of range for axis {axis} of `{key}` (length {n})"),
        ));
    }
    Ok(x.select(Axis(axis), indices))
}

/// The log-det of an entry indexed along `axis`: indexed the same way along a leading axis;
/// along the feature axis only an all-zero log-det can pass (dropping features is not a
/// bijection).
pub(crate) fn take_log_det(
    transform: &str,
    ldj: Option<&mut LogDet>,
    key: &str,
    axis: usize,
    ndim: usize,
    indices: &[usize],
) -> Result<()> {
    match ldj {
        Some(l) if axis + 1 == ndim => l.reshaped(transform, key),
        Some(l) => {
            l.select(key, axis, indices);
            Ok(())
        }
        None => Ok(()),
    }
}

/// Keeps the entries at `indices` along `axis` (negative counts from the end; default the
/// last), e.g. some summary statistics or some time points. Indices may repeat. Not
/// invertible: the inverse passes values through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Take {
    /// Entries.
    pub keys: Vec<String>,
    /// Indices to keep, in order.
    pub indices: Vec<usize>,
    /// The axis (negative counts from the end).
    #[serde(default = "last_axis")]
    pub axis: isize,
}

impl Step for Take {
    fn name(&self) -> &'static str {
        "take"
    }

    fn validate(&self) -> Result<()> {
        if self.indices.is_empty() {
            return Err(invalid(self.name(), "no indices to take"));
        }
        Ok(())
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        mut ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        for k in &self.keys {
            let x = data.f64(self.name(), k)?;
            let axis = resolve_axis(self.name(), k, self.axis, x.ndim())?;
            let y = take_along(self.name(), k, &x, axis, &self.indices)?;
            take_log_det(
                self.name(),
                ldj.as_deref_mut(),
                k,
                axis,
                x.ndim(),
                &self.indices,
            )?;
            data.set(k.clone(), y);
        }
        Ok(())
    }

    fn inverse(&self, _data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(restrict_keys(&mut self.keys, data))
    }
}
