//! `map`: an elementwise map of each key (constrain, log, sqrt, clip, scale, shift).

use super::step::{Step, restrict_keys, sum_last};
use crate::data::Data;
use crate::elementwise::Elementwise;
use crate::error::{AdapterError, Result};
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use serde::{Deserialize, Serialize};

/// An [`Elementwise`] map of each key; its log-det is the sum of `ln |f'(x)|` over the last
/// axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Map {
    /// Entries.
    pub keys: Vec<String>,
    /// The map.
    pub map: Elementwise,
}

impl Step for Map {
    fn name(&self) -> &'static str {
        self.map.name()
    }

    fn validate(&self) -> Result<()> {
        self.map.validate()
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        mut ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        let name = self.name();
        let map = &self.map;
        for k in &self.keys {
            let x = data.f64(name, k)?;
            if let Some(bad) = x.iter().find(|v| !map.in_domain(**v)) {
                return Err(AdapterError::Domain {
                    transform: name.into(),
                    key: k.clone(),
                    value: *bad,
                    domain: map.domain(),
                });
            }
            if let Some(l) = ldj.as_deref_mut() {
                l.add(name, k, sum_last(x.mapv(|v| map.log_abs_derivative(v))))?;
            }
            data.set(k.clone(), x.mapv(|v| map.forward(v)));
        }
        Ok(())
    }

    fn inverse(&self, data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        for k in &self.keys {
            if let Some(a) = data.get(k) {
                let y = a.to_f64();
                data.set(k.clone(), y.mapv(|v| self.map.inverse(v)));
            }
        }
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(restrict_keys(&mut self.keys, data))
    }
}
