//! `one_hot`: integer class labels ↔ one-hot vectors.

use super::step::{Step, invalid, restrict_keys};
use crate::data::Data;
use crate::error::{AdapterError, Result};
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use ndarray::{ArrayD, Axis, IxDyn};
use serde::{Deserialize, Serialize};

/// Integer class labels → one-hot vectors on a new last axis; the inverse takes the arg-max.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneHot {
    /// Entries.
    pub keys: Vec<String>,
    /// Number of classes.
    pub num_classes: usize,
}

impl Step for OneHot {
    fn name(&self) -> &'static str {
        "one_hot"
    }

    fn validate(&self) -> Result<()> {
        if self.num_classes == 0 || self.num_classes > abi_sim::limits::MAX_ARRAY_ELEMENTS {
            return Err(invalid(
                self.name(),
                format!(
                    "num_classes must lie in 1..={}, got {}",
                    abi_sim::limits::MAX_ARRAY_ELEMENTS,
                    self.num_classes
                ),
            ));
        }
        Ok(())
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        mut ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        let n = self.num_classes;
        for k in &self.keys {
            let x = data.f64(self.name(), k)?;
            let mut shape = x.shape().to_vec();
            shape.push(n);
            if abi_sim::limits::array_elements(&shape).is_none() {
                return Err(invalid(
                    self.name(),
                    format!(
                        "`{k}` with {n} classes needs an array of shape {shape:?}, over the limit \
                         of {} elements",
                        abi_sim::limits::MAX_ARRAY_ELEMENTS
                    ),
                ));
            }
            let mut y = ArrayD::<f64>::zeros(IxDyn(&shape));
            for (i, v) in x.iter().enumerate() {
                if v.fract() != 0.0 || *v < 0.0 || *v >= n as f64 {
                    return Err(AdapterError::Domain {
                        transform: self.name().into(),
                        key: k.clone(),
                        value: *v,
                        domain: format!("the classes 0..{n}"),
                    });
                }
                if let Some(slot) = y
                    .as_slice_mut()
                    .and_then(|s| s.get_mut(i * n + *v as usize))
                {
                    *slot = 1.0;
                }
            }
            if let Some(l) = ldj.as_deref_mut() {
                l.reshaped(self.name(), k)?;
            }
            data.set(k.clone(), y);
        }
        Ok(())
    }

    fn inverse(&self, data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        for k in &self.keys {
            if let Some(a) = data.get(k) {
                let x = a.to_f64();
                if x.ndim() == 0 {
                    continue;
                }
                let last = x.ndim() - 1;
                let labels = x.map_axis(Axis(last), |lane| {
                    lane.iter()
                        .enumerate()
                        .fold((0usize, f64::NEG_INFINITY), |best, (i, &v)| {
                            if v > best.1 { (i, v) } else { best }
                        })
                        .0 as f64
                });
                data.set(k.clone(), labels);
            }
        }
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(restrict_keys(&mut self.keys, data))
    }
}
