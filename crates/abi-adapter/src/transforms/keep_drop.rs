//! `keep` and `drop`: choosing which entries go on (not invertible).

use super::step::{Step, restrict_keys};
use crate::data::Data;
use crate::error::Result;
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use serde::{Deserialize, Serialize};

/// Keeps only these entries (each must be present).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keep {
    /// Entries.
    pub keys: Vec<String>,
}

impl Step for Keep {
    fn name(&self) -> &'static str {
        "keep"
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        if let Some(k) = self.keys.iter().find(|k| !data.contains(k)) {
            return Err(data.missing(self.name(), k));
        }
        if let Some(l) = ldj {
            let gone: Vec<String> = data
                .names()
                .filter(|n| !self.keys.iter().any(|k| k == n))
                .map(String::from)
                .collect();
            for n in gone {
                l.take(&n);
            }
        }
        data.retain(|n| self.keys.iter().any(|k| k == n));
        Ok(())
    }

    fn inverse(&self, _data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        Ok(())
    }

    /// Keeps what is present of its keys, and runs even when none is (removing everything
    /// else).
    fn restrict(&mut self, data: &Data) -> Result<bool> {
        restrict_keys(&mut self.keys, data);
        Ok(true)
    }
}

/// Removes these entries (each must be present).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drop {
    /// Entries.
    pub keys: Vec<String>,
}

impl Step for Drop {
    fn name(&self) -> &'static str {
        "drop"
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        mut ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        for k in &self.keys {
            data.remove(k).ok_or_else(|| data.missing(self.name(), k))?;
            if let Some(l) = ldj.as_deref_mut() {
                l.take(k);
            }
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
