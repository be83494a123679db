//! Optimisers, learning-rate schedules and gradient clipping.
//!
//! An optimiser updates a list of [`Param`]s from a [`Gradients`] set, outside autodiff, and can
//! export and import its state so that training resumes exactly where it stopped
//! (see [`save_checkpoint`] / [`load_checkpoint`]).

mod adam;
mod clip;
mod schedule;
mod sgd;

pub use adam::{Adam, AdamConfig};
pub use clip::clip_grad_norm;
pub use schedule::LrSchedule;
pub use sgd::{Sgd, SgdConfig};

use crate::backend::Backend;
use crate::error::{Result, TensorError};
use crate::grad::Gradients;
use crate::io;
use crate::param::{Param, ParamStore};
use crate::tensor::Tensor;
use std::collections::BTreeMap;
use std::path::Path;

/// The resumable state of an optimiser: its step count and its per-parameter buffers.
#[derive(Debug, Clone)]
pub struct OptimizerState<B: Backend> {
    /// Which optimiser wrote the state (`"adam"`, `"sgd"`).
    pub kind: String,
    /// Number of updates taken.
    pub step: u64,
    /// Buffers by `<parameter name>/<buffer>`, e.g. `dense.weight/m`.
    pub buffers: BTreeMap<String, Tensor<B>>,
}

/// Something that updates parameters from their gradients.
pub trait Optimizer<B: Backend> {
    /// One update of every trainable parameter in `params` that has a gradient in `grads`.
    fn step(&mut self, params: &[Param<B>], grads: &Gradients<B>) -> Result<()>;
    /// The learning rate the next step will use.
    fn learning_rate(&self) -> f64;
    /// Number of steps taken.
    fn steps_taken(&self) -> u64;
    /// The state to save for resuming.
    fn state(&self) -> OptimizerState<B>;
    /// Restores a saved state (the kind must match).
    fn load_state(&mut self, state: OptimizerState<B>) -> Result<()>;
}

const PARAM_PREFIX: &str = "param/";
const OPTIM_PREFIX: &str = "optimizer/";

/// Writes parameters and optimiser state to one safetensors file (atomically), so that
/// training resumes bit-exactly with [`load_checkpoint`].
pub fn save_checkpoint<B: Backend>(
    path: impl AsRef<Path>,
    store: &ParamStore<B>,
    optimizer: &dyn Optimizer<B>,
) -> Result<()> {
    let state = optimizer.state();
    let mut tensors = BTreeMap::new();
    for (name, t) in store.tensors() {
        tensors.insert(format!("{PARAM_PREFIX}{name}"), t);
    }
    for (name, t) in state.buffers {
        tensors.insert(format!("{OPTIM_PREFIX}{name}"), t);
    }
    let mut meta = BTreeMap::new();
    meta.insert("optimizer.kind".to_string(), state.kind);
    meta.insert("optimizer.step".to_string(), state.step.to_string());
    io::save_tensors(path, &tensors, &meta)
}

/// Restores parameters and optimiser state written by [`save_checkpoint`].
pub fn load_checkpoint<B: Backend>(
    path: impl AsRef<Path>,
    store: &ParamStore<B>,
    optimizer: &mut dyn Optimizer<B>,
) -> Result<()> {
    let path = path.as_ref();
    let bad = |reason: String| TensorError::File {
        path: path.display().to_string(),
        reason,
    };
    let file = io::load_tensors::<B>(path, store.device())?;
    let mut params = BTreeMap::new();
    let mut buffers = BTreeMap::new();
    for (name, t) in file.tensors {
        if let Some(p) = name.strip_prefix(PARAM_PREFIX) {
            params.insert(p.to_string(), t);
        } else if let Some(o) = name.strip_prefix(OPTIM_PREFIX) {
            buffers.insert(o.to_string(), t);
        } else {
            return Err(bad(format!("unexpected tensor `{name}` in a checkpoint")));
        }
    }
    let kind = file
        .metadata
        .get("optimizer.kind")
        .cloned()
        .ok_or_else(|| bad("no optimizer.kind in the header".into()))?;
    let step = file
        .metadata
        .get("optimizer.step")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no valid optimizer.step in the header".into()))?;
    store
        .assign(&params, true)
        .map_err(|e| bad(e.to_string()))?;
    optimizer
        .load_state(OptimizerState {
            kind,
            step,
            buffers,
        })
        .map_err(|e| bad(e.to_string()))
}
