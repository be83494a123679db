//! Saving and loading an [`Adapter`] as versioned JSON.

use crate::adapter::Adapter;
use crate::error::{AdapterError, Result};
use crate::transforms::Transform;
use crate::transforms::custom::CustomRegistry;
use serde::{Deserialize, Serialize};

/// Name written into saved adapters.
pub const FORMAT_NAME: &str = "abi-adapter";
/// Version of the saved format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct AdapterFile {
    format: String,
    version: u32,
    transforms: Vec<Transform>,
}

impl Adapter {
    /// The adapter as versioned JSON (custom functions are saved by name only). Every float
    /// reads back to the same bits, infinities and NaN included (written as the strings
    /// `"inf"`, `"-inf"`, `"nan"`).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(&AdapterFile {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            transforms: self.transforms.clone(),
        })
        .map_err(|e| AdapterError::Format(e.to_string()))
    }

    /// Loads an adapter saved by [`Adapter::to_json`]. Unknown transforms, another format or
    /// another version, and invalid parameters are errors; custom functions must be registered
    /// again ([`Adapter::missing_custom`] lists them).
    pub fn from_json(json: &str) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| AdapterError::Format(format!("not valid JSON: {e}")))?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT_NAME) => {}
            other => {
                return Err(AdapterError::Format(format!(
                    "format is {other:?}, expected {FORMAT_NAME:?}"
                )));
            }
        }
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == FORMAT_VERSION as u64 => {}
            other => {
                return Err(AdapterError::Format(format!(
                    "version {other:?} is not supported (this build reads {FORMAT_VERSION})"
                )));
            }
        }
        let file: AdapterFile =
            serde_json::from_value(value).map_err(|e| AdapterError::Format(e.to_string()))?;
        let adapter = Self {
            transforms: file.transforms,
            custom: CustomRegistry::new(),
        };
        adapter.validate()?;
        Ok(adapter)
    }
}
