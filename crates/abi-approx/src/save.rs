//! Saving and loading approximators: `model.json` (format version, adapter, network settings,
//! training settings, history) next to `model.safetensors` (weights) and, after training,
//! `optimizer.safetensors` (weights with the optimiser state). Nothing in them executes code.

use crate::continuous::{ApproximatorSpec, ContinuousApproximator};
use crate::error::{ApproxError, Result};
use crate::history::History;
use crate::train::TrainConfig;
use abi_adapter::Adapter;
use abi_tensor::Backend;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Name written into `model.json`.
pub const MODEL_FORMAT: &str = "abi-approximator";
/// Version of the saved-model format this build reads and writes.
pub const MODEL_FORMAT_VERSION: u32 = 1;

const MODEL_JSON: &str = "model.json";
const WEIGHTS: &str = "model.safetensors";
const OPTIMIZER: &str = "optimizer.safetensors";

#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: String,
    format_version: u32,
    kind: String,
    adapter: serde_json::Value,
    spec: ApproximatorSpec,
    train_config: Option<TrainConfig>,
    history: History,
}

impl<B: Backend> ContinuousApproximator<B> {
    /// Writes the model to the folder `dir` (created if needed); every file is written
    /// atomically.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| ApproxError::file(dir, e))?;
        let adapter: serde_json::Value = serde_json::from_str(&self.adapter().to_json()?)
            .map_err(|e| ApproxError::file(dir, e))?;
        let file = ModelFile {
            format: MODEL_FORMAT.into(),
            format_version: MODEL_FORMAT_VERSION,
            kind: "continuous".into(),
            adapter,
            spec: self.spec().clone(),
            train_config: self.train_config().cloned(),
            history: self.history().clone(),
        };
        let json = serde_json::to_string_pretty(&file).map_err(|e| ApproxError::file(dir, e))?;
        self.parameters().save(dir.join(WEIGHTS))?;
        if let Some(opt) = self.optimizer() {
            abi_tensor::optim::save_checkpoint(dir.join(OPTIMIZER), self.parameters(), opt)?;
        }
        abi_tensor::io::write_atomically(&dir.join(MODEL_JSON), json.as_bytes())?;
        Ok(())
    }

    /// Loads a model saved by [`save`](Self::save) onto `device`: the networks are rebuilt
    /// from `model.json` and the weights must match them exactly. Another format, a newer
    /// version, a missing file or mismatched weights are errors naming the file.
    pub fn load(dir: impl AsRef<Path>, device: &B::Device) -> Result<Self> {
        let dir = dir.as_ref();
        let path = dir.join(MODEL_JSON);
        let text = std::fs::read_to_string(&path).map_err(|e| ApproxError::file(&path, e))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| ApproxError::file(&path, format!("not valid JSON: {e}")))?;
        let format = value.get("format").and_then(|f| f.as_str());
        let version = value.get("format_version").and_then(|v| v.as_u64());
        if format != Some(MODEL_FORMAT) {
            return Err(ApproxError::file(
                &path,
                format!("format is {format:?}, expected {MODEL_FORMAT:?}"),
            ));
        }
        if version != Some(u64::from(MODEL_FORMAT_VERSION)) {
            return Err(ApproxError::file(
                &path,
                format!(
                    "format version {version:?}; this build reads version {MODEL_FORMAT_VERSION}"
                ),
            ));
        }
        let file: ModelFile = serde_json::from_value(value)
            .map_err(|e| ApproxError::file(&path, format!("unreadable model: {e}")))?;
        if file.kind != "continuous" {
            return Err(ApproxError::file(
                &path,
                format!("holds a `{}` approximator, not a continuous one", file.kind),
            ));
        }
        let adapter = Adapter::from_json(&file.adapter.to_string())?;
        let mut approx = ContinuousApproximator::from_spec(adapter, file.spec, device)?;
        approx.parameters().load(dir.join(WEIGHTS))?;
        approx.restore(file.history, file.train_config);
        Ok(approx)
    }
}
