//! `as_set` and `as_time_series`: marking entries as `(batch, items, features)`.

use super::step::{Step, restrict_keys, shape_error};
use crate::data::Data;
use crate::error::Result;
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use ndarray::Axis;
use serde::{Deserialize, Serialize};

/// Gives 2-D entries a feature axis, `(batch, n) → (batch, n, 1)`; 3-D ones pass, other
/// ranks are errors.
fn as_three_d(
    name: &str,
    keys: &[String],
    data: &mut Data,
    mut ldj: Option<&mut LogDet>,
) -> Result<()> {
    for k in keys {
        let x = data.f64(name, k)?;
        let y = match x.ndim() {
            3 => continue,
            2 => x.insert_axis(Axis(2)),
            _ => return Err(shape_error(name, k, vec![0, 0, 0], x.shape())),
        };
        if let Some(l) = ldj.as_deref_mut() {
            l.reshaped(name, k)?;
        }
        data.set(k.clone(), y);
    }
    Ok(())
}

/// Marks entries as sets `(batch, set size, features)`: a 2-D entry gains a feature axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsSet {
    /// Entries.
    pub keys: Vec<String>,
}

impl Step for AsSet {
    fn name(&self) -> &'static str {
        "as_set"
    }

    fn forward(&self, data: &mut Data, _: &CustomRegistry, ldj: Option<&mut LogDet>) -> Result<()> {
        as_three_d(self.name(), &self.keys, data, ldj)
    }

    fn inverse(&self, _data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(restrict_keys(&mut self.keys, data))
    }
}

/// Marks entries as time series `(batch, time, features)`: a 2-D entry gains a feature axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsTimeSeries {
    /// Entries.
    pub keys: Vec<String>,
}

impl Step for AsTimeSeries {
    fn name(&self) -> &'static str {
        "as_time_series"
    }

    fn forward(&self, data: &mut Data, _: &CustomRegistry, ldj: Option<&mut LogDet>) -> Result<()> {
        as_three_d(self.name(), &self.keys, data, ldj)
    }

    fn inverse(&self, _data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(restrict_keys(&mut self.keys, data))
    }
}
