//! `split`: one entry along the last axis into several, and back.

use super::concatenate::split_into;
use super::step::{Step, invalid};
use crate::data::Data;
use crate::error::Result;
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use ndarray::{ArrayD, Axis};
use serde::{Deserialize, Serialize};

/// Splits an entry along the last axis into new ones of the given sizes (the entry is
/// removed); the inverse concatenates them again. The whole log-det goes with the first part,
/// so concatenating the parts again keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    /// The entry.
    pub key: String,
    /// The new entries.
    pub into: Vec<String>,
    /// Their last-axis sizes.
    pub sizes: Vec<usize>,
}

impl Step for Split {
    fn name(&self) -> &'static str {
        "split"
    }

    fn validate(&self) -> Result<()> {
        if self.into.is_empty() || self.into.len() != self.sizes.len() {
            return Err(invalid(
                self.name(),
                format!(
                    "`{}` splits into {} entries but {} sizes are given",
                    self.key,
                    self.into.len(),
                    self.sizes.len()
                ),
            ));
        }
        Ok(())
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        let x = data.f64(self.name(), &self.key)?;
        split_into(self.name(), &self.key, &x, &self.into, &self.sizes, data)?;
        data.remove(&self.key);
        if let (Some(l), Some(first)) = (ldj, self.into.first()) {
            l.rename(&self.key, first);
        }
        Ok(())
    }

    fn inverse(&self, data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        if !self.into.iter().all(|k| data.contains(k)) {
            return Ok(());
        }
        let parts: Vec<ArrayD<f64>> = self
            .into
            .iter()
            .map(|k| data.f64(self.name(), k))
            .collect::<Result<_>>()?;
        let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
        let last = parts.first().map_or(0, |p| p.ndim().saturating_sub(1));
        let y = ndarray::concatenate(Axis(last), &views)
            .map_err(|e| invalid(self.name(), e.to_string()))?;
        for k in &self.into {
            data.remove(k);
        }
        data.set(self.key.clone(), y);
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(data.contains(&self.key))
    }
}
