//! The training loop shared by every approximator: optimiser and schedule, validation, early
//! stopping, NaN guard, progress, callbacks, checkpoints and resume. Anything that implements
//! [`Trainable`] (parameters and a batch loss) trains through it.

mod checkpoint;
mod config;
mod faults;
mod shards;

pub use config::{OptimizerChoice, ScheduleChoice, TrainConfig};
pub use faults::{FaultPolicy, WARM_UP, WINDOW};

use crate::dataset::{Dataset, stream_rng};
use crate::error::{ApproxError, Result};
use crate::history::{EpochRecord, History};
use abi_nets::Mode;
use abi_sim::Batch;
use abi_tensor::optim::{Optimizer, clip_grad_norm};
use abi_tensor::{Backend, ParamStore, Tensor, no_grad};
use checkpoint::{Progress, RunIdentity};
use faults::FaultGuard;
use rand::RngCore;
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::time::Instant;

/// The optimiser a training run ends with (kept by approximators to save its state).
pub type BoxedOptimizer<B> = Box<dyn Optimizer<B> + Send + Sync>;

/// Something the training loop can train: parameters and a loss of a batch of simulations.
/// `Sync`, so that data-parallel shards ([`TrainConfig::shards`]) can share it.
pub trait Trainable<B: Backend>: Sync {
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
/// `cfg.checkpoint_dir` when there is one). Bad steps follow `cfg.faults` ([`FaultPolicy`]).
pub fn train<B: Backend>(
    model: &impl Trainable<B>,
    data: &mut dyn Dataset,
    cfg: &TrainConfig,
    validation: Option<&Batch>,
    callback: &mut dyn Callback,
) -> Result<(History, BoxedOptimizer<B>)> {
    let mut history = History::default();
    let optimizer = train_into(model, data, cfg, validation, callback, &mut history)?;
    Ok((history, optimizer))
}

/// [`train`] writing the history into `history` as epochs finish, so that it survives an
/// error: after a failed run it holds every epoch finished before the failure.
pub fn train_into<B: Backend>(
    model: &impl Trainable<B>,
    data: &mut dyn Dataset,
    cfg: &TrainConfig,
    validation: Option<&Batch>,
    callback: &mut dyn Callback,
    history: &mut History,
) -> Result<BoxedOptimizer<B>> {
    cfg.check()?;
    *history = History::default();
    let store = model.parameters();
    let bpe = data.batches_per_epoch();
    if bpe == 0 {
        return Err(ApproxError::Config("the dataset yields no batches".into()));
    }
    let total = cfg.epochs.saturating_mul(bpe) as u64;
    let mut optimizer = cfg.build_optimizer::<B>(data.kind(), total)?;

    let mut state = Progress::<B>::default();
    let run = match &cfg.checkpoint_dir {
        Some(_) => {
            data.start_epoch(0)?;
            let first = data.next_batch()?;
            checkpoint::fingerprint(cfg, store, &first)?
        }
        None => String::new(),
    };
    let run = RunIdentity {
        epochs: cfg.epochs,
        batches_per_epoch: bpe,
        fingerprint: run,
    };
    if let Some(dir) = &cfg.checkpoint_dir {
        if let Some((s, h)) = checkpoint::load(dir, store, optimizer.as_mut(), &run)? {
            state = s;
            *history = h;
        }
    }
    if state.finished {
        return Ok(optimizer);
    }

    let remaining = (cfg.epochs - state.next_epoch.min(cfg.epochs)).saturating_mul(bpe) as u64;
    let bar = abi_sim::progress_bar(remaining, "training", cfg.progress);
    let params = store.trainable_params();
    let mut interrupted = false;
    let mut guard = FaultGuard::new(cfg.faults);
    for epoch in state.next_epoch..cfg.epochs {
        let started = Instant::now();
        data.start_epoch(epoch)?;
        let mut rng = stream_rng(cfg.seed, 6, epoch as u64);
        let (mut sum, mut good_steps, mut skipped) = (0.0, 0usize, 0usize);
        for batch_index in 0..bpe {
            let batch = data.next_batch()?;
            let (value, mut grads) = shards::loss_and_gradients(
                model, &batch, cfg.shards, &params, &mut rng,
            )
            .map_err(|e| {
                let rows = data.last_batch_rows();
                e.at_rows(|row| rows.as_ref().and_then(|r| r.get(row).copied()))
            })?;
            // the norm before clipping (an infinite bound only measures it)
            let norm = clip_grad_norm(&mut grads, &params, f64::INFINITY)?;
            if let Some(reason) = guard.judge(value, norm) {
                skipped += 1;
                bar.inc(1);
                if guard.bad() {
                    bar.finish_and_clear();
                    return Err(ApproxError::TrainingFault {
                        epoch,
                        batch: batch_index,
                        steps: guard.in_row(),
                        reason,
                        rows: data.last_batch_rows().map(describe_rows),
                        epochs_finished: history.len(),
                    });
                }
                continue;
            }
            guard.good(value, norm);
            if let Some(max) = cfg.clip_norm {
                clip_grad_norm(&mut grads, &params, max)?;
            }
            optimizer.step(&params, &grads)?;
            sum += value;
            good_steps += 1;
            bar.inc(1);
            if batch_index % 8 == 0 {
                bar.set_message(format!(
                    "epoch {}/{} loss {:.4} lr {:.1e}",
                    epoch + 1,
                    cfg.epochs,
                    sum / good_steps.max(1) as f64,
                    optimizer.learning_rate()
                ));
            }
        }
        let val_loss = validation
            .map(|v| validation_loss(model, v, cfg))
            .transpose()?;
        let record = EpochRecord {
            epoch,
            loss: if good_steps == 0 {
                f64::NAN
            } else {
                sum / good_steps as f64
            },
            val_loss,
            learning_rate: optimizer.learning_rate(),
            seconds: started.elapsed().as_secs_f64(),
            skipped_steps: skipped,
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
        if (epoch + 1) % cfg.checkpoint_every == 0 && !last {
            checkpoint_to(cfg, store, optimizer.as_ref(), &state, history, &run)?;
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
            checkpoint_to(cfg, store, optimizer.as_ref(), &state, history, &run)?;
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
        checkpoint_to(cfg, store, optimizer.as_ref(), &state, history, &run)?;
    }
    Ok(optimizer)
}

/// The rows of a batch for an error message: the first few and how many.
fn describe_rows(rows: Vec<usize>) -> String {
    const SHOWN: usize = 8;
    let head: Vec<String> = rows.iter().take(SHOWN).map(usize::to_string).collect();
    if rows.len() > SHOWN {
        format!("{}, … ({} rows)", head.join(", "), rows.len())
    } else {
        head.join(", ")
    }
}

/// Writes a checkpoint when `cfg` names a folder for them.
fn checkpoint_to<B: Backend>(
    cfg: &TrainConfig,
    store: &ParamStore<B>,
    optimizer: &dyn Optimizer<B>,
    state: &Progress<B>,
    history: &History,
    run: &RunIdentity,
) -> Result<()> {
    match &cfg.checkpoint_dir {
        Some(dir) => checkpoint::save(dir, store, optimizer, state, history, run),
        None => Ok(()),
    }
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
