//! The training loop shared by every approximator: optimiser and schedule, validation, early
//! stopping, NaN guard, progress, callbacks, checkpoints and resume.

use crate::dataset::{Dataset, stream_rng};
use crate::error::{ApproxError, Result};
use crate::history::{EpochRecord, History};
use abi_nets::Mode;
use abi_sim::Batch;
use abi_tensor::optim::{Adam, AdamConfig, LrSchedule, Optimizer, OptimizerState, clip_grad_norm};
use abi_tensor::{Backend, ParamStore, Tensor, no_grad};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Something the training loop can train: parameters and a loss of a batch of simulations.
pub trait Trainable<B: Backend> {
    /// The parameters to optimise.
    fn parameters(&self) -> &ParamStore<B>;
    /// The loss (a scalar tensor) of a batch, in training or evaluation mode.
    fn batch_loss(&self, batch: &Batch, mode: Mode, rng: &mut dyn RngCore) -> Result<Tensor<B>>;
}

/// Called after every epoch; [`ControlFlow::Break`] ends training there (the weights stay as
/// they are and the last checkpoint allows resuming).
pub trait Callback {
    /// Sees the epoch's record.
    fn on_epoch_end(&mut self, record: &EpochRecord) -> ControlFlow<()>;
}

impl<F: FnMut(&EpochRecord) -> ControlFlow<()>> Callback for F {
    fn on_epoch_end(&mut self, record: &EpochRecord) -> ControlFlow<()> {
        self(record)
    }
}

/// Training settings; the defaults are BayesFlow 2's (learning rate 5e-4, 5 % linear warm-up
/// then cosine decay, global-norm clipping at 1.5, AdamW with weight decay 5e-3 on fixed data
/// sets and Adam online) with sbi's early stopping (20 epochs without improvement, best
/// weights restored).
///
/// ```
/// use abi_approx::TrainConfig;
/// let cfg = TrainConfig::new(50).patience(Some(10)).quiet();
/// assert_eq!(cfg.learning_rate, 5e-4);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Number of epochs.
    pub epochs: usize,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// Fraction of all steps spent in linear warm-up.
    pub warmup_fraction: f64,
    /// Decoupled weight decay (AdamW); `None` picks 5e-3 for offline and disk data and 0
    /// (Adam) for online and replay data.
    pub weight_decay: Option<f64>,
    /// Global gradient-norm clipping threshold.
    pub clip_norm: Option<f64>,
    /// Early stopping: epochs without improvement of the validation loss (the training loss
    /// when there is no validation set) before training stops; the best weights are restored
    /// at the end. `None` trains all epochs and keeps the last weights.
    pub patience: Option<usize>,
    /// Improvement smaller than this does not count.
    pub min_delta: f64,
    /// Folder for checkpoints; when it holds one, training resumes from it.
    pub checkpoint_dir: Option<PathBuf>,
    /// Write a checkpoint every this many epochs (and at the end).
    pub checkpoint_every: usize,
    /// Show a progress bar (only on a terminal).
    pub progress: bool,
    /// Seed of the training noise (dropout, flow-matching times, ...).
    pub seed: u64,
    /// Rows per batch when evaluating the validation set.
    pub validation_batch_size: usize,
}

impl TrainConfig {
    /// Defaults with `epochs` epochs.
    pub fn new(epochs: usize) -> Self {
        Self {
            epochs,
            learning_rate: 5e-4,
            warmup_fraction: 0.05,
            weight_decay: None,
            clip_norm: Some(1.5),
            patience: Some(20),
            min_delta: 0.0,
            checkpoint_dir: None,
            checkpoint_every: 1,
            progress: true,
            seed: 0,
            validation_batch_size: 1024,
        }
    }

    /// Sets the peak learning rate.
    pub fn learning_rate(mut self, lr: f64) -> Self {
        self.learning_rate = lr;
        self
    }

    /// Sets early stopping.
    pub fn patience(mut self, patience: Option<usize>) -> Self {
        self.patience = patience;
        self
    }

    /// Writes checkpoints to `dir` and resumes from one found there.
    pub fn checkpoints(mut self, dir: impl Into<PathBuf>, every: usize) -> Self {
        self.checkpoint_dir = Some(dir.into());
        self.checkpoint_every = every;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// No progress bar.
    pub fn quiet(mut self) -> Self {
        self.progress = false;
        self
    }

    fn check(&self) -> Result<()> {
        let bad = |m: String| Err(ApproxError::Config(m));
        if self.epochs == 0 {
            return bad("epochs must be positive".into());
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return bad(format!(
                "learning rate must be positive, got {}",
                self.learning_rate
            ));
        }
        if !(0.0..1.0).contains(&self.warmup_fraction) {
            return bad(format!(
                "warm-up fraction must be in [0, 1), got {}",
                self.warmup_fraction
            ));
        }
        if self.checkpoint_every == 0 || self.validation_batch_size == 0 {
            return bad("checkpoint_every and validation_batch_size must be positive".into());
        }
        Ok(())
    }
}

const CHECKPOINT_FILE: &str = "checkpoint.safetensors";
const CHECKPOINT_KEY: &str = "abi.checkpoint";
const CHECKPOINT_FORMAT: &str = "abi-checkpoint";
const CHECKPOINT_VERSION: u32 = 1;

/// Everything besides tensors that a resumed run needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CheckpointState {
    format: String,
    version: u32,
    next_epoch: usize,
    epochs: usize,
    batches_per_epoch: usize,
    optimizer_kind: String,
    optimizer_step: u64,
    history: History,
    best: Option<f64>,
    best_epoch: Option<usize>,
    wait: usize,
    finished: bool,
}

/// Where training stands between epochs.
struct Progress<B: Backend> {
    next_epoch: usize,
    best: Option<f64>,
    best_epoch: Option<usize>,
    best_weights: Option<BTreeMap<String, Tensor<B>>>,
    wait: usize,
    finished: bool,
}

fn deep_copy<B: Backend>(
    tensors: BTreeMap<String, Tensor<B>>,
) -> Result<BTreeMap<String, Tensor<B>>> {
    tensors
        .into_iter()
        .map(|(k, t)| {
            let copy = Tensor::from_vec(t.to_vec()?, &t.shape(), &t.device())?;
            Ok((k, copy))
        })
        .collect()
}

fn save_checkpoint<B: Backend>(
    dir: &Path,
    store: &ParamStore<B>,
    optimizer: &Adam<B>,
    state: &CheckpointState,
    best_weights: Option<&BTreeMap<String, Tensor<B>>>,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| ApproxError::file(dir, e))?;
    let mut tensors = BTreeMap::new();
    for (k, t) in store.tensors() {
        tensors.insert(format!("param/{k}"), t);
    }
    for (k, t) in optimizer.state().buffers {
        tensors.insert(format!("optimizer/{k}"), t);
    }
    if let Some(best) = best_weights {
        for (k, t) in best {
            tensors.insert(format!("best/{k}"), t.clone());
        }
    }
    let json = serde_json::to_string(state).map_err(|e| ApproxError::Config(e.to_string()))?;
    let meta = BTreeMap::from([(CHECKPOINT_KEY.to_string(), json)]);
    abi_tensor::io::save_tensors(dir.join(CHECKPOINT_FILE), &tensors, &meta)?;
    Ok(())
}

/// Restores a checkpoint into the store and optimiser; `None` when there is none.
fn load_checkpoint<B: Backend>(
    dir: &Path,
    store: &ParamStore<B>,
    optimizer: &mut Adam<B>,
    epochs: usize,
    batches_per_epoch: usize,
) -> Result<Option<(Progress<B>, History)>> {
    let path = dir.join(CHECKPOINT_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let file = abi_tensor::io::load_tensors::<B>(&path, store.device())?;
    let json = file.metadata.get(CHECKPOINT_KEY).ok_or_else(|| {
        ApproxError::file(
            &path,
            "not an abi training checkpoint (no state in the header)",
        )
    })?;
    let state: CheckpointState = serde_json::from_str(json)
        .map_err(|e| ApproxError::file(&path, format!("unreadable checkpoint state: {e}")))?;
    if state.format != CHECKPOINT_FORMAT || state.version != CHECKPOINT_VERSION {
        return Err(ApproxError::file(
            &path,
            format!(
                "checkpoint format {} v{}, this build reads {CHECKPOINT_FORMAT} v{CHECKPOINT_VERSION}",
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
    let (mut params, mut buffers, mut best) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for (name, t) in file.tensors {
        if let Some(k) = name.strip_prefix("param/") {
            params.insert(k.to_string(), t);
        } else if let Some(k) = name.strip_prefix("optimizer/") {
            buffers.insert(k.to_string(), t);
        } else if let Some(k) = name.strip_prefix("best/") {
            best.insert(k.to_string(), t);
        } else {
            return Err(ApproxError::file(
                &path,
                format!("unexpected tensor `{name}`"),
            ));
        }
    }
    store
        .assign(&params, true)
        .map_err(|e| ApproxError::file(&path, e))?;
    optimizer.load_state(OptimizerState {
        kind: state.optimizer_kind.clone(),
        step: state.optimizer_step,
        buffers,
    })?;
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

/// Mean loss over a validation set, in evaluation mode, without a graph, with fixed noise.
fn validation_loss<B: Backend>(
    model: &impl Trainable<B>,
    data: &Batch,
    cfg: &TrainConfig,
) -> Result<f64> {
    let rows = data.batch_size().unwrap_or(0);
    if rows == 0 {
        return Err(ApproxError::Config("the validation set has no rows".into()));
    }
    let mut rng = stream_rng(cfg.seed, 7, 0);
    no_grad::<B, _>(|| {
        let mut total = 0.0;
        let mut start = 0;
        while start < rows {
            let end = (start + cfg.validation_batch_size).min(rows);
            let part = data.slice(start, end)?;
            let loss = model.batch_loss(&part, Mode::Eval, &mut rng)?.to_scalar()?;
            total += loss * (end - start) as f64;
            start = end;
        }
        Ok(total / rows as f64)
    })
}

/// Trains `model` on `data` and returns its history (continued from a checkpoint in
/// `cfg.checkpoint_dir` when there is one).
pub fn train<B: Backend>(
    model: &impl Trainable<B>,
    data: &mut dyn Dataset,
    cfg: &TrainConfig,
    validation: Option<&Batch>,
    callback: &mut dyn Callback,
) -> Result<(History, Adam<B>)> {
    cfg.check()?;
    let store = model.parameters();
    let bpe = data.batches_per_epoch();
    if bpe == 0 {
        return Err(ApproxError::Config("the dataset yields no batches".into()));
    }
    let total = (cfg.epochs * bpe) as u64;
    let warmup = (total as f64 * cfg.warmup_fraction).round() as u64;
    let schedule = LrSchedule::cosine_with_warmup(cfg.learning_rate, warmup, total);
    let decay = cfg.weight_decay.unwrap_or(match data.kind() {
        "offline" | "disk" => 5e-3,
        _ => 0.0,
    });
    let adam = if decay > 0.0 {
        AdamConfig::adamw(cfg.learning_rate, decay)
    } else {
        AdamConfig::new(cfg.learning_rate)
    };
    let mut optimizer = adam.with_schedule(schedule).build::<B>()?;

    let mut history = History::default();
    let mut state = Progress::<B> {
        next_epoch: 0,
        best: None,
        best_epoch: None,
        best_weights: None,
        wait: 0,
        finished: false,
    };
    if let Some(dir) = &cfg.checkpoint_dir {
        if let Some((s, h)) = load_checkpoint(dir, store, &mut optimizer, cfg.epochs, bpe)? {
            state = s;
            history = h;
        }
    }
    if state.finished {
        return Ok((history, optimizer));
    }

    let remaining = ((cfg.epochs - state.next_epoch.min(cfg.epochs)) * bpe) as u64;
    let bar = abi_sim::progress_bar(remaining, "training", cfg.progress);
    let params = store.trainable_params();
    let mut interrupted = false;
    for epoch in state.next_epoch..cfg.epochs {
        let started = Instant::now();
        data.start_epoch(epoch)?;
        let mut rng = stream_rng(cfg.seed, 6, epoch as u64);
        let mut sum = 0.0;
        for batch_index in 0..bpe {
            let batch = data.next_batch()?;
            let loss = model.batch_loss(&batch, Mode::Train, &mut rng)?;
            let value = loss.to_scalar()?;
            if !value.is_finite() {
                bar.finish_and_clear();
                if let Some(best) = &state.best_weights {
                    store.assign(best, true)?;
                }
                return Err(ApproxError::NonFiniteLoss {
                    epoch,
                    batch: batch_index,
                    value,
                });
            }
            let mut grads = loss.backward()?;
            if let Some(max) = cfg.clip_norm {
                clip_grad_norm(&mut grads, &params, max)?;
            }
            optimizer.step(&params, &grads)?;
            sum += value;
            bar.inc(1);
            if batch_index % 8 == 0 {
                bar.set_message(format!(
                    "epoch {}/{} loss {:.4} lr {:.1e}",
                    epoch + 1,
                    cfg.epochs,
                    sum / (batch_index + 1) as f64,
                    optimizer.learning_rate()
                ));
            }
        }
        let val_loss = validation
            .map(|v| validation_loss(model, v, cfg))
            .transpose()?;
        let record = EpochRecord {
            epoch,
            loss: sum / bpe as f64,
            val_loss,
            learning_rate: optimizer.learning_rate(),
            seconds: started.elapsed().as_secs_f64(),
        };
        history.epochs.push(record.clone());

        let monitored = val_loss.unwrap_or(record.loss);
        let improved = state.best.is_none_or(|b| monitored < b - cfg.min_delta);
        if improved {
            state.best = Some(monitored);
            state.best_epoch = Some(epoch);
            state.wait = 0;
            if cfg.patience.is_some() {
                state.best_weights = Some(deep_copy(store.tensors())?);
            }
        } else {
            state.wait += 1;
        }
        state.next_epoch = epoch + 1;
        let stop = cfg.patience.is_some_and(|p| state.wait >= p);
        let last = stop || epoch + 1 == cfg.epochs;
        if let Some(dir) = &cfg.checkpoint_dir {
            if (epoch + 1) % cfg.checkpoint_every == 0 && !last {
                write_state(dir, store, &optimizer, &state, &history, cfg, bpe)?;
            }
        }
        bar.set_message(format!(
            "epoch {}/{} loss {:.4}{} lr {:.1e}",
            epoch + 1,
            cfg.epochs,
            record.loss,
            val_loss.map(|v| format!(" val {v:.4}")).unwrap_or_default(),
            record.learning_rate
        ));
        if stop {
            history.stopped_early = true;
            break;
        }
        if callback.on_epoch_end(&record).is_break() {
            interrupted = true;
            if let Some(dir) = &cfg.checkpoint_dir {
                write_state(dir, store, &optimizer, &state, &history, cfg, bpe)?;
            }
            break;
        }
    }
    bar.finish_and_clear();
    if !interrupted {
        if cfg.patience.is_some() {
            if let Some(best) = &state.best_weights {
                store.assign(best, true)?;
            }
            history.best_epoch = state.best_epoch;
        }
        state.finished = true;
        if let Some(dir) = &cfg.checkpoint_dir {
            write_state(dir, store, &optimizer, &state, &history, cfg, bpe)?;
        }
    }
    Ok((history, optimizer))
}

fn write_state<B: Backend>(
    dir: &Path,
    store: &ParamStore<B>,
    optimizer: &Adam<B>,
    state: &Progress<B>,
    history: &History,
    cfg: &TrainConfig,
    bpe: usize,
) -> Result<()> {
    let opt = optimizer.state();
    let s = CheckpointState {
        format: CHECKPOINT_FORMAT.into(),
        version: CHECKPOINT_VERSION,
        next_epoch: state.next_epoch,
        epochs: cfg.epochs,
        batches_per_epoch: bpe,
        optimizer_kind: opt.kind,
        optimizer_step: opt.step,
        history: history.clone(),
        best: state.best,
        best_epoch: state.best_epoch,
        wait: state.wait,
        finished: state.finished,
    };
    save_checkpoint(dir, store, optimizer, &s, state.best_weights.as_ref())
}
