//! `custom`: user functions registered by name (the function itself is not saved).

use super::step::{Step, invalid, restrict_keys};
use crate::data::Data;
use crate::error::{AdapterError, Result};
use crate::log_det::LogDet;
use ndarray::ArrayD;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A user function used as a transform; not serialised (register it again after loading).
pub trait CustomTransform: Send + Sync {
    /// The forward map.
    fn forward(&self, x: &ArrayD<f64>) -> std::result::Result<ArrayD<f64>, String>;
    /// The inverse map, if there is one (default: none; `inverse` then passes values through).
    fn inverse(&self, _y: &ArrayD<f64>) -> Option<std::result::Result<ArrayD<f64>, String>> {
        None
    }
}

/// Registered custom functions, by name.
pub(crate) type CustomRegistry = BTreeMap<String, Arc<dyn CustomTransform>>;

/// A registered user function (see [`CustomTransform`]) applied to each key. Its log-det is
/// unknown: it must not follow a transform with a non-zero log-det of the same entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Custom {
    /// The registered name.
    pub name: String,
    /// Entries.
    pub keys: Vec<String>,
}

impl Custom {
    fn function<'a>(&self, custom: &'a CustomRegistry) -> Result<&'a Arc<dyn CustomTransform>> {
        custom
            .get(&self.name)
            .ok_or_else(|| AdapterError::UnregisteredCustom(self.name.clone()))
    }
}

impl Step for Custom {
    fn name(&self) -> &'static str {
        "custom"
    }

    fn validate(&self) -> Result<()> {
        if self.name.is_empty() {
            return Err(invalid("custom", "the function name is empty"));
        }
        Ok(())
    }

    fn forward(
        &self,
        data: &mut Data,
        custom: &CustomRegistry,
        mut ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        let f = self.function(custom)?;
        for k in &self.keys {
            let x = data.f64("custom", k)?;
            let y = f.forward(&x).map_err(|reason| AdapterError::Custom {
                name: self.name.clone(),
                reason,
            })?;
            if let Some(l) = ldj.as_deref_mut() {
                // the function's Jacobian is unknown: only an entry without a log-det so far
                // and of unchanged shape may pass
                l.reshaped("custom", k)?;
            }
            data.set(k.clone(), y);
        }
        Ok(())
    }

    fn inverse(&self, data: &mut Data, custom: &CustomRegistry) -> Result<()> {
        let f = self.function(custom)?;
        for k in &self.keys {
            if let Some(a) = data.get(k) {
                if let Some(r) = f.inverse(&a.to_f64()) {
                    let x = r.map_err(|reason| AdapterError::Custom {
                        name: self.name.clone(),
                        reason,
                    })?;
                    data.set(k.clone(), x);
                }
            }
        }
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(restrict_keys(&mut self.keys, data))
    }
}
