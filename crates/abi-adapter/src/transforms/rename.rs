//! `rename`: an entry under a new name, and back.

use super::step::{Step, invalid};
use crate::data::Data;
use crate::error::Result;
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use serde::{Deserialize, Serialize};

/// Renames an entry (its log-det goes with it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    /// Old name.
    pub from: String,
    /// New name.
    pub to: String,
}

impl Step for Rename {
    fn name(&self) -> &'static str {
        "rename"
    }

    fn validate(&self) -> Result<()> {
        if self.to.is_empty() {
            return Err(invalid(
                self.name(),
                format!("`{}` renamed to an empty name", self.from),
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
        let a = data
            .remove(&self.from)
            .ok_or_else(|| data.missing(self.name(), &self.from))?;
        data.set(self.to.clone(), a);
        if let Some(l) = ldj {
            l.rename(&self.from, &self.to);
        }
        Ok(())
    }

    fn inverse(&self, data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        if let Some(a) = data.remove(&self.to) {
            data.set(self.from.clone(), a);
        }
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(data.contains(&self.from))
    }
}
