//! `expand_dims` and `squeeze`: inserting and removing a unit axis.

use super::step::{Step, invalid, restrict_keys, shape_error};
use crate::data::Data;
use crate::error::Result;
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use ndarray::Axis;
use serde::{Deserialize, Serialize};

/// Inserts a unit axis at `axis`; the inverse removes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpandDims {
    /// Entries.
    pub keys: Vec<String>,
    /// Position of the new axis.
    pub axis: usize,
}

impl Step for ExpandDims {
    fn name(&self) -> &'static str {
        "expand_dims"
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        mut ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        let axis = self.axis;
        for k in &self.keys {
            let x = data.f64(self.name(), k)?;
            if axis > x.ndim() {
                return Err(invalid(
                    self.name(),
                    format!("axis {axis} beyond rank {} of `{k}`", x.ndim()),
                ));
            }
            if let Some(l) = ldj.as_deref_mut() {
                // a unit axis before the feature axis reshapes the log-det the same way
                match l.take(k) {
                    Some(t) if axis < x.ndim() && axis <= t.ndim() => {
                        l.put(k, t.insert_axis(Axis(axis)));
                    }
                    Some(t) => {
                        l.put(k, t);
                        l.reshaped(self.name(), k)?;
                    }
                    None => {}
                }
            }
            data.set(k.clone(), x.insert_axis(Axis(axis)));
        }
        Ok(())
    }

    fn inverse(&self, data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        for k in &self.keys {
            if let Some(a) = data.get(k) {
                let x = a.to_f64();
                if x.shape().get(self.axis) == Some(&1) {
                    data.set(k.clone(), x.index_axis_move(Axis(self.axis), 0));
                }
            }
        }
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(restrict_keys(&mut self.keys, data))
    }
}

/// Removes the unit axis `axis`; the inverse inserts it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Squeeze {
    /// Entries.
    pub keys: Vec<String>,
    /// The axis.
    pub axis: usize,
}

impl Step for Squeeze {
    fn name(&self) -> &'static str {
        "squeeze"
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        mut ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        let axis = self.axis;
        for k in &self.keys {
            let x = data.f64(self.name(), k)?;
            if x.shape().get(axis) != Some(&1) {
                return Err(shape_error(self.name(), k, vec![1], x.shape()));
            }
            if let Some(l) = ldj.as_deref_mut() {
                match l.take(k) {
                    Some(t) if axis + 1 < x.ndim() && axis < t.ndim() => {
                        l.put(k, t.index_axis_move(Axis(axis), 0));
                    }
                    Some(t) => {
                        l.put(k, t);
                        l.reshaped(self.name(), k)?;
                    }
                    None => {}
                }
            }
            data.set(k.clone(), x.index_axis_move(Axis(axis), 0));
        }
        Ok(())
    }

    fn inverse(&self, data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        for k in &self.keys {
            if let Some(a) = data.get(k) {
                let x = a.to_f64();
                if self.axis <= x.ndim() {
                    data.set(k.clone(), x.insert_axis(Axis(self.axis)));
                }
            }
        }
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(restrict_keys(&mut self.keys, data))
    }
}
