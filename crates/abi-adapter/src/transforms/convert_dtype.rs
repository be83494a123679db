//! `convert_dtype`: changing the element type.

use super::step::{Step, restrict_keys};
use crate::data::Data;
use crate::error::Result;
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use abi_sim::Array;
use serde::{Deserialize, Serialize};

/// Element type of [`ConvertDType`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DType {
    /// 32-bit floats (what networks train on).
    F32,
    /// 64-bit floats.
    F64,
}

/// Converts the element type (the inverse returns `f64`; the log-det is unchanged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvertDType {
    /// Entries.
    pub keys: Vec<String>,
    /// The new type.
    pub dtype: DType,
}

impl Step for ConvertDType {
    fn name(&self) -> &'static str {
        "convert_dtype"
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        _ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        for k in &self.keys {
            let x = data.f64(self.name(), k)?;
            match self.dtype {
                DType::F32 => data.set(k.clone(), Array::F32(x.mapv(|v| v as f32))),
                DType::F64 => data.set(k.clone(), Array::F64(x)),
            }
        }
        Ok(())
    }

    fn inverse(&self, data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        for k in &self.keys {
            if let Some(a) = data.get(k) {
                let x = a.to_f64();
                data.set(k.clone(), x);
            }
        }
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(restrict_keys(&mut self.keys, data))
    }
}
