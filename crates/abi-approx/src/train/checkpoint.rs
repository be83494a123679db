//! The training loop's checkpoints, in abi's one checkpoint format
//! ([`abi_tensor::optim::write_checkpoint`]): parameters, optimiser state, the best weights
//! so far as extra tensors, and the loop's state as JSON.

use crate::error::{ApproxError, Result};
use crate::history::History;
use crate::train::TrainConfig;
use abi_sim::Batch;
use abi_tensor::optim::{Optimizer, read_checkpoint, write_checkpoint};
use abi_tensor::{Backend, ParamStore, Tensor};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

pub(crate) const CHECKPOINT_FILE: &str = "checkpoint.safetensors";
const FORMAT: &str = "abi-training-state";
const VERSION: u32 = 3;

/// Everything besides tensors that a resumed run needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoopState {
    format: String,
    version: u32,
    next_epoch: usize,
    epochs: usize,
    batches_per_epoch: usize,
    history: History,
    best: Option<f64>,
    best_epoch: Option<usize>,
    wait: usize,
    finished: bool,
    /// [`fingerprint`] of the run that wrote it.
    run: String,
}

/// What identifies a run for its checkpoints: the SHA-256 of the training settings (without
/// the progress bar and the checkpoint folder), the names and shapes of the parameters, and
/// the values of the first batch of the first epoch. A checkpoint of another run (other
/// settings, another model, other data) is never resumed.
pub(crate) fn fingerprint<B: Backend>(
    cfg: &TrainConfig,
    store: &ParamStore<B>,
    first_batch: &Batch,
) -> Result<String> {
    let mut settings = cfg.clone();
    settings.progress = false;
    settings.checkpoint_dir = None;
    settings.checkpoint_every = 1;
    let mut hash = Sha256::new();
    hash.update(serde_json::to_vec(&settings).map_err(|e| ApproxError::Config(e.to_string()))?);
    for (name, tensor) in store.tensors() {
        hash.update(name.as_bytes());
        for d in tensor.shape() {
            hash.update((d as u64).to_le_bytes());
        }
    }
    for (name, array) in first_batch.iter() {
        hash.update(name.as_bytes());
        for v in array.to_f64().iter() {
            hash.update(v.to_le_bytes());
        }
    }
    Ok(hash.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// What a checkpoint must match to be resumed.
pub(crate) struct RunIdentity {
    pub epochs: usize,
    pub batches_per_epoch: usize,
    pub fingerprint: String,
}

/// Where training stands between epochs.
pub(crate) struct Progress<B: Backend> {
    pub next_epoch: usize,
    pub best: Option<f64>,
    pub best_epoch: Option<usize>,
    pub best_weights: Option<BTreeMap<String, Tensor<B>>>,
    pub wait: usize,
    pub finished: bool,
}

impl<B: Backend> Default for Progress<B> {
    fn default() -> Self {
        Self {
            next_epoch: 0,
            best: None,
            best_epoch: None,
            best_weights: None,
            wait: 0,
            finished: false,
        }
    }
}

/// Writes the checkpoint of a run of `epochs` × `batches_per_epoch` into `dir`.
pub(crate) fn save<B: Backend>(
    dir: &Path,
    store: &ParamStore<B>,
    optimizer: &dyn Optimizer<B>,
    progress: &Progress<B>,
    history: &History,
    run: &RunIdentity,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| ApproxError::file(dir, e))?;
    let state = LoopState {
        format: FORMAT.into(),
        version: VERSION,
        next_epoch: progress.next_epoch,
        epochs: run.epochs,
        batches_per_epoch: run.batches_per_epoch,
        history: history.clone(),
        best: progress.best,
        best_epoch: progress.best_epoch,
        wait: progress.wait,
        finished: progress.finished,
        run: run.fingerprint.clone(),
    };
    let json = serde_json::to_string(&state).map_err(|e| ApproxError::Config(e.to_string()))?;
    let empty = BTreeMap::new();
    let best = progress.best_weights.as_ref().unwrap_or(&empty);
    write_checkpoint(
        dir.join(CHECKPOINT_FILE),
        store,
        optimizer,
        best,
        Some(&json),
    )?;
    Ok(())
}

/// Restores a checkpoint of a run of the same schedule into the store and optimiser;
/// `None` when `dir` holds none. The state is checked before anything is changed.
pub(crate) fn load<B: Backend>(
    dir: &Path,
    store: &ParamStore<B>,
    optimizer: &mut dyn Optimizer<B>,
    run: &RunIdentity,
) -> Result<Option<(Progress<B>, History)>> {
    let (epochs, batches_per_epoch) = (run.epochs, run.batches_per_epoch);
    let path = dir.join(CHECKPOINT_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let checkpoint = read_checkpoint::<B>(&path, store.device())?;
    let json = checkpoint.state.as_deref().ok_or_else(|| {
        ApproxError::file(
            &path,
            "not a training checkpoint (no loop state in the header)",
        )
    })?;
    let state: LoopState = serde_json::from_str(json)
        .map_err(|e| ApproxError::file(&path, format!("unreadable training state: {e}")))?;
    if state.format != FORMAT || state.version != VERSION {
        return Err(ApproxError::file(
            &path,
            format!(
                "training state {} v{}, this build reads {FORMAT} v{VERSION}",
                state.format, state.version
            ),
        ));
    }
    if state.epochs != epochs || state.batches_per_epoch != batches_per_epoch {
        return Err(ApproxError::file(
            &path,
            format!(
                "written for {} epochs of {} batches, but this run has {epochs} epochs of {batches_per_epoch}; \
                 use another checkpoint folder for another schedule",
                state.epochs, state.batches_per_epoch
            ),
        ));
    }
    if state.run != run.fingerprint {
        return Err(ApproxError::file(
            &path,
            "written by another run (other training settings, another model or other data); \
             use another checkpoint folder for this run, or clear this one",
        ));
    }
    let best = checkpoint.extra.clone();
    checkpoint
        .restore(store, optimizer)
        .map_err(|e| ApproxError::file(&path, e))?;
    let progress = Progress {
        next_epoch: state.next_epoch,
        best: state.best,
        best_epoch: state.best_epoch,
        best_weights: (!best.is_empty()).then_some(best),
        wait: state.wait,
        finished: state.finished,
    };
    Ok(Some((progress, state.history)))
}
