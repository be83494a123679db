//! abi's one checkpoint format: parameters, optimiser state, optional extra tensors and an
//! optional JSON state of the caller (e.g. a training loop's epoch and history), in a single
//! safetensors file with abi's versioned header, written atomically.

use super::{Optimizer, OptimizerState};
use crate::backend::Backend;
use crate::error::{Result, TensorError};
use crate::io;
use crate::param::ParamStore;
use crate::tensor::Tensor;
use std::collections::BTreeMap;
use std::path::Path;

const PARAM_PREFIX: &str = "param/";
const OPTIM_PREFIX: &str = "optimizer/";
const EXTRA_PREFIX: &str = "extra/";
const KIND_KEY: &str = "optimizer.kind";
const STEP_KEY: &str = "optimizer.step";
const STATE_KEY: &str = "checkpoint.state";

/// The contents of a checkpoint file, read but not yet applied.
#[derive(Debug, Clone)]
pub struct Checkpoint<B: Backend> {
    /// Parameter values by name.
    pub params: BTreeMap<String, Tensor<B>>,
    /// The optimiser's state.
    pub optimizer: OptimizerState<B>,
    /// Further tensors the writer stored (e.g. the best weights so far).
    pub extra: BTreeMap<String, Tensor<B>>,
    /// The writer's own state as JSON, when it stored one.
    pub state: Option<String>,
}

impl<B: Backend> Checkpoint<B> {
    /// Sets the store's parameters (every one must be present with its shape) and the
    /// optimiser's state (its kind must match).
    pub fn restore(self, store: &ParamStore<B>, optimizer: &mut dyn Optimizer<B>) -> Result<()> {
        store.assign(&self.params, true)?;
        optimizer.load_state(self.optimizer)
    }
}

/// Writes parameters and optimiser state to one safetensors file (atomically), so that
/// training resumes bit-exactly with [`load_checkpoint`].
pub fn save_checkpoint<B: Backend>(
    path: impl AsRef<Path>,
    store: &ParamStore<B>,
    optimizer: &dyn Optimizer<B>,
) -> Result<()> {
    write_checkpoint(path, store, optimizer, &BTreeMap::new(), None)
}

/// [`save_checkpoint`] with extra tensors and a JSON state of the caller.
pub fn write_checkpoint<B: Backend>(
    path: impl AsRef<Path>,
    store: &ParamStore<B>,
    optimizer: &dyn Optimizer<B>,
    extra: &BTreeMap<String, Tensor<B>>,
    state: Option<&str>,
) -> Result<()> {
    let opt = optimizer.state();
    let mut tensors = BTreeMap::new();
    for (name, t) in store.tensors() {
        tensors.insert(format!("{PARAM_PREFIX}{name}"), t);
    }
    for (name, t) in opt.buffers {
        tensors.insert(format!("{OPTIM_PREFIX}{name}"), t);
    }
    for (name, t) in extra {
        tensors.insert(format!("{EXTRA_PREFIX}{name}"), t.clone());
    }
    let mut meta = BTreeMap::new();
    meta.insert(KIND_KEY.to_string(), opt.kind);
    meta.insert(STEP_KEY.to_string(), opt.step.to_string());
    if let Some(state) = state {
        meta.insert(STATE_KEY.to_string(), state.to_string());
    }
    io::save_tensors(path, &tensors, &meta)
}

/// Reads a checkpoint written by [`save_checkpoint`] or [`write_checkpoint`] without applying
/// it; errors name the file.
pub fn read_checkpoint<B: Backend>(
    path: impl AsRef<Path>,
    device: &B::Device,
) -> Result<Checkpoint<B>> {
    let path = path.as_ref();
    let bad = |reason: String| TensorError::File {
        path: path.display().to_string(),
        reason,
    };
    let file = io::load_tensors::<B>(path, device)?;
    let (mut params, mut buffers, mut extra) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for (name, t) in file.tensors {
        if let Some(p) = name.strip_prefix(PARAM_PREFIX) {
            params.insert(p.to_string(), t);
        } else if let Some(o) = name.strip_prefix(OPTIM_PREFIX) {
            buffers.insert(o.to_string(), t);
        } else if let Some(e) = name.strip_prefix(EXTRA_PREFIX) {
            extra.insert(e.to_string(), t);
        } else {
            return Err(bad(format!("unexpected tensor `{name}` in a checkpoint")));
        }
    }
    let kind = file
        .metadata
        .get(KIND_KEY)
        .cloned()
        .ok_or_else(|| bad(format!("no {KIND_KEY} in the header: not a checkpoint")))?;
    let step = file
        .metadata
        .get(STEP_KEY)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("no valid {STEP_KEY} in the header")))?;
    Ok(Checkpoint {
        params,
        optimizer: OptimizerState {
            kind,
            step,
            buffers,
        },
        extra,
        state: file.metadata.get(STATE_KEY).cloned(),
    })
}

/// Restores parameters and optimiser state written by [`save_checkpoint`].
pub fn load_checkpoint<B: Backend>(
    path: impl AsRef<Path>,
    store: &ParamStore<B>,
    optimizer: &mut dyn Optimizer<B>,
) -> Result<()> {
    let path = path.as_ref();
    read_checkpoint::<B>(path, store.device())?
        .restore(store, optimizer)
        .map_err(|e| TensorError::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        })
}
