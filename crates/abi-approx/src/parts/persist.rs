//! The model folder every approximator saves to: `model.json` (format name and version, the
//! approximator's kind, the adapter, the approximator's spec with its network specs, the
//! training settings and history, and the SHA-256 of every other file) beside
//! `model.safetensors` (weights and buffers) and, after training, `optimizer.safetensors`
//! (abi's checkpoint format, for resuming). Nothing in them executes code; networks are
//! rebuilt through a [`Registry`] by name.
//!
//! A folder is written as one unit ([`super::folder`]): a save killed at any point leaves the
//! previous model or the new one. Loading checks each file against its hash in `model.json`
//! (weights from another save are an error, not a silently different model) and rejects
//! non-finite weights, naming the tensor.

use super::folder::StagedFolder;
use crate::error::{ApproxError, Result};
use crate::history::History;
use crate::train::TrainConfig;
use abi_adapter::{Adapter, CustomTransform};
use abi_nets::Registry;
use abi_tensor::optim::Optimizer;
use abi_tensor::{Backend, ParamStore};
use ndarray::ArrayD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Name written into `model.json`.
pub const MODEL_FORMAT: &str = "abi-approximator";
/// Version of the saved-model format this build writes; it also reads version 2 (without
/// file hashes).
pub const MODEL_FORMAT_VERSION: u32 = 3;
/// The oldest version this build reads.
const OLDEST_READ_VERSION: u32 = 2;

const MODEL_JSON: &str = "model.json";
const WEIGHTS: &str = "model.safetensors";
const OPTIMIZER: &str = "optimizer.safetensors";

/// The contents of `model.json`; `S` is the approximator's own spec.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile<S> {
    /// [`MODEL_FORMAT`].
    pub format: String,
    /// [`MODEL_FORMAT_VERSION`].
    pub format_version: u32,
    /// Which approximator wrote it, e.g. `continuous`.
    pub kind: String,
    /// The adapter's JSON.
    pub adapter: serde_json::Value,
    /// The approximator's spec (dimensions, network specs, seed).
    pub spec: S,
    /// The settings of the last training run.
    pub train_config: Option<TrainConfig>,
    /// The loss history.
    pub history: History,
    /// The SHA-256 (hex) of each other file of the folder, by name (version 3 on).
    #[serde(default)]
    pub files: BTreeMap<String, String>,
}

/// What a model folder is written from.
pub struct ModelParts<'a, B: Backend, S> {
    /// Which approximator, e.g. `continuous`.
    pub kind: &'a str,
    /// The fitted adapter.
    pub adapter: &'a Adapter,
    /// The approximator's spec.
    pub spec: &'a S,
    /// Weights and buffers.
    pub store: &'a ParamStore<B>,
    /// The optimiser of the last training run, when there was one.
    pub optimizer: Option<&'a dyn Optimizer<B>>,
    /// Its settings.
    pub train_config: Option<&'a TrainConfig>,
    /// The loss history.
    pub history: &'a History,
}

/// Writes a model folder (created if needed) as one unit; see the module documentation.
pub fn save_model<B: Backend, S: Serialize>(
    dir: impl AsRef<Path>,
    parts: &ModelParts<'_, B, S>,
) -> Result<()> {
    save_model_with(dir, parts, &[])
}

/// [`save_model`] with further files (name and bytes) written into the same unit.
pub fn save_model_with<B: Backend, S: Serialize>(
    dir: impl AsRef<Path>,
    parts: &ModelParts<'_, B, S>,
    extra: &[(&str, &[u8])],
) -> Result<()> {
    let mut staged = StagedFolder::begin(dir)?;
    staged.owns(&[MODEL_JSON, WEIGHTS, OPTIMIZER]);
    write_model(staged.path(), parts)?;
    for (name, bytes) in extra {
        staged.write(name, bytes)?;
    }
    staged.commit()
}

/// Writes the files of a model into the existing folder `dir` (not as a unit: for a folder
/// that is itself being staged).
pub fn write_model<B: Backend, S: Serialize>(
    dir: &Path,
    parts: &ModelParts<'_, B, S>,
) -> Result<()> {
    let adapter: serde_json::Value =
        serde_json::from_str(&parts.adapter.to_json()?).map_err(|e| ApproxError::file(dir, e))?;
    let mut files = BTreeMap::new();
    parts.store.save(dir.join(WEIGHTS))?;
    files.insert(WEIGHTS.to_string(), file_hash(&dir.join(WEIGHTS))?);
    if let Some(opt) = parts.optimizer {
        abi_tensor::optim::save_checkpoint(dir.join(OPTIMIZER), parts.store, opt)?;
        files.insert(OPTIMIZER.to_string(), file_hash(&dir.join(OPTIMIZER))?);
    }
    let file = ModelFile {
        format: MODEL_FORMAT.into(),
        format_version: MODEL_FORMAT_VERSION,
        kind: parts.kind.to_string(),
        adapter,
        spec: parts.spec,
        train_config: parts.train_config.cloned(),
        history: parts.history.clone(),
        files,
    };
    let json = serde_json::to_string_pretty(&file).map_err(|e| ApproxError::file(dir, e))?;
    let path = dir.join(MODEL_JSON);
    std::fs::write(&path, json).map_err(|e| ApproxError::file(&path, e))
}

/// The SHA-256 of a file's bytes, in hex.
fn file_hash(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| ApproxError::file(path, e))?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// How models are loaded: the registry that rebuilds their networks (the built-in networks
/// by default; add a downstream crate's networks to it), and the functions of custom adapter
/// transforms, which are saved by name only.
///
/// ```
/// use abi_adapter::CustomTransform;
/// use abi_approx::LoadOptions;
/// use abi_ndarray::NdArray;
/// use ndarray::ArrayD;
///
/// struct Double;
/// impl CustomTransform for Double {
///     fn forward(&self, x: &ArrayD<f64>) -> Result<ArrayD<f64>, String> {
///         Ok(x * 2.0)
///     }
/// }
/// let options = LoadOptions::<NdArray>::new().custom("double", Double);
/// assert!(options.registry().inference_names().contains(&"maf"));
/// ```
pub struct LoadOptions<B: Backend> {
    registry: Registry<B>,
    custom: BTreeMap<String, Arc<dyn CustomTransform>>,
}

impl<B: Backend> Default for LoadOptions<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B: Backend> std::fmt::Debug for LoadOptions<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadOptions")
            .field("registry", &self.registry)
            .field("custom", &self.custom.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl<B: Backend> LoadOptions<B> {
    /// The built-in networks, no custom functions.
    pub fn new() -> Self {
        Self {
            registry: Registry::new(),
            custom: BTreeMap::new(),
        }
    }

    /// Rebuilds networks through `registry`.
    pub fn registry_from(mut self, registry: Registry<B>) -> Self {
        self.registry = registry;
        self
    }

    /// The registry networks are rebuilt through.
    pub fn registry(&self) -> &Registry<B> {
        &self.registry
    }

    /// Provides the function of the custom adapter transform `name`.
    pub fn custom(mut self, name: &str, f: impl CustomTransform + 'static) -> Self {
        self.custom.insert(name.to_string(), Arc::new(f));
        self
    }

    fn adapter(&self, json: &serde_json::Value, path: &Path) -> Result<Adapter> {
        let mut adapter = Adapter::from_json(&json.to_string())?;
        for (name, f) in &self.custom {
            adapter.register(name, Shared(f.clone()));
        }
        let missing = adapter.missing_custom();
        if !missing.is_empty() {
            return Err(ApproxError::file(
                path,
                format!(
                    "the adapter uses custom transforms {missing:?}; provide their functions \
                     with LoadOptions::custom before loading"
                ),
            ));
        }
        Ok(adapter)
    }
}

/// A shared custom function, registered in the loaded adapter.
struct Shared(Arc<dyn CustomTransform>);

impl CustomTransform for Shared {
    fn forward(&self, x: &ArrayD<f64>) -> std::result::Result<ArrayD<f64>, String> {
        self.0.forward(x)
    }

    fn inverse(&self, y: &ArrayD<f64>) -> Option<std::result::Result<ArrayD<f64>, String>> {
        self.0.inverse(y)
    }
}

/// Reads `model.json` of the folder `dir`, checking format, version and kind, and builds its
/// adapter with the custom functions of `options`.
pub fn read_model<B: Backend, S: DeserializeOwned>(
    dir: impl AsRef<Path>,
    kind: &str,
    options: &LoadOptions<B>,
) -> Result<(Adapter, ModelFile<S>)> {
    super::folder::recover(dir.as_ref())?;
    let path = dir.as_ref().join(MODEL_JSON);
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
    if !version.is_some_and(|v| {
        (u64::from(OLDEST_READ_VERSION)..=u64::from(MODEL_FORMAT_VERSION)).contains(&v)
    }) {
        return Err(ApproxError::file(
            &path,
            format!(
                "format version {version:?}; this build reads versions \
                 {OLDEST_READ_VERSION} to {MODEL_FORMAT_VERSION}"
            ),
        ));
    }
    let found = value.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    if found != kind {
        return Err(ApproxError::file(
            &path,
            format!("holds a `{found}` approximator, not a `{kind}` one"),
        ));
    }
    let file: ModelFile<S> = serde_json::from_value(value)
        .map_err(|e| ApproxError::file(&path, format!("unreadable model: {e}")))?;
    let adapter = options.adapter(&file.adapter, &path)?;
    Ok((adapter, file))
}

/// The most parameter elements the weights file of the folder `dir` can hold (its bytes over
/// the four of the smallest element type), so that a spec asking for more fails before its
/// networks are allocated; `None` when the file is missing (loading then names it).
pub fn weight_elements_at_most(dir: impl AsRef<Path>) -> Result<Option<usize>> {
    match std::fs::metadata(dir.as_ref().join(WEIGHTS)) {
        Ok(meta) => Ok(Some(usize::try_from(meta.len() / 4).unwrap_or(usize::MAX))),
        Err(_) => Ok(None),
    }
}

/// Loads the weights and buffers of the folder `dir` into `store`: every entry must be
/// present with its shape, and no other; the file must have the hash `model.json` names (when
/// it names one) and every value must be finite.
pub fn load_weights<B: Backend, S>(
    dir: impl AsRef<Path>,
    file: &ModelFile<S>,
    store: &ParamStore<B>,
) -> Result<()> {
    let path = dir.as_ref().join(WEIGHTS);
    if let Some(expected) = file.files.get(WEIGHTS) {
        let found = file_hash(&path)?;
        if &found != expected {
            return Err(ApproxError::file(
                &path,
                format!(
                    "its SHA-256 is {found}, but {MODEL_JSON} was saved with weights of \
                     SHA-256 {expected}: these weights belong to another save"
                ),
            ));
        }
    }
    store.load(&path)?;
    for (name, tensor) in store.tensors() {
        let values = tensor.to_f64_vec()?;
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(ApproxError::file(
                &path,
                format!(
                    "tensor `{name}` holds the non-finite value {} at flat index {i}",
                    values[i]
                ),
            ));
        }
    }
    Ok(())
}
