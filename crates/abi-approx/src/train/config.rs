//! [`TrainConfig`]: the settings of the training loop, with its optimiser and schedule.

use super::FaultPolicy;
use crate::dataset::DatasetKind;
use crate::error::{ApproxError, Result};
use abi_tensor::Backend;
use abi_tensor::optim::{AdamConfig, LrSchedule, Optimizer, SgdConfig};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Which optimiser trains the networks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OptimizerChoice {
    /// BayesFlow's choice by data: AdamW with weight decay 5e-3 on fixed data sets (offline,
    /// disk), Adam on fresh simulations (online, replay).
    #[default]
    Auto,
    /// Adam (Kingma & Ba, 2015).
    Adam,
    /// AdamW with decoupled weight decay (Loshchilov & Hutter, 2019).
    AdamW {
        /// decoupled weight decay
        weight_decay: f64,
    },
    /// Stochastic gradient descent with momentum.
    Sgd {
        /// momentum factor in [0, 1)
        momentum: f64,
    },
}

/// How the learning rate moves over training; every schedule peaks at
/// [`TrainConfig::learning_rate`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScheduleChoice {
    /// The same rate throughout.
    Constant,
    /// Linear warm-up from 0 over `warmup_fraction` of all steps, then cosine decay to 0
    /// (BayesFlow's default, with 5 % warm-up).
    WarmupCosine {
        /// fraction of all steps spent warming up, in [0, 1)
        warmup_fraction: f64,
    },
    /// The one-cycle policy: up from a 25th of the peak over `pct_start` of the steps, then
    /// down to 10⁻⁴ of the start.
    OneCycle {
        /// fraction of all steps spent rising, in (0, 1)
        pct_start: f64,
    },
}

impl Default for ScheduleChoice {
    fn default() -> Self {
        ScheduleChoice::WarmupCosine {
            warmup_fraction: 0.05,
        }
    }
}

impl ScheduleChoice {
    /// The schedule over `total` steps peaking at `peak`.
    pub fn schedule(&self, peak: f64, total: u64) -> LrSchedule {
        match *self {
            ScheduleChoice::Constant => LrSchedule::constant(peak),
            ScheduleChoice::WarmupCosine { warmup_fraction } => {
                let warmup = (total as f64 * warmup_fraction).round() as u64;
                LrSchedule::cosine_with_warmup(peak, warmup, total)
            }
            ScheduleChoice::OneCycle { pct_start } => LrSchedule::OneCycle {
                max_lr: peak,
                total_steps: total,
                pct_start,
                div_factor: 25.0,
                final_div_factor: 1e4,
            },
        }
    }

    fn check(&self) -> Result<()> {
        match *self {
            ScheduleChoice::WarmupCosine { warmup_fraction }
                if !(0.0..1.0).contains(&warmup_fraction) =>
            {
                Err(ApproxError::Config(format!(
                    "warm-up fraction must be in [0, 1), got {warmup_fraction}"
                )))
            }
            ScheduleChoice::OneCycle { pct_start } if !(pct_start > 0.0 && pct_start < 1.0) => {
                Err(ApproxError::Config(format!(
                    "one-cycle pct_start must be in (0, 1), got {pct_start}"
                )))
            }
            _ => Ok(()),
        }
    }
}

/// Training settings; the defaults are BayesFlow 2's (learning rate 5e-4, 5 % linear warm-up
/// then cosine decay, global-norm clipping at 1.5, AdamW with weight decay 5e-3 on fixed data
/// sets and Adam online) with sbi's early stopping (20 epochs without improvement, best
/// weights restored).
///
/// ```
/// use abi_approx::{ScheduleChoice, TrainConfig};
/// let cfg = TrainConfig::new(50)
///     .patience(Some(10))
///     .schedule(ScheduleChoice::OneCycle { pct_start: 0.3 })
///     .quiet();
/// assert_eq!(cfg.learning_rate, 5e-4);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Number of epochs.
    pub epochs: usize,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// The optimiser.
    pub optimizer: OptimizerChoice,
    /// The learning-rate schedule.
    pub schedule: ScheduleChoice,
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
    /// Data-parallel shards of every batch: each shard's loss and gradients are computed on
    /// its own thread and combined into the whole batch's (weighted by rows). `1` (the
    /// default) computes the batch in one piece; `2` on a 2-core machine nearly halves the
    /// time of networks whose cost grows with the rows (summary networks over sets and series).
    /// Results are deterministic for a given number of shards, but differ between numbers
    /// (each shard draws its own training noise).
    #[serde(default = "one")]
    pub shards: usize,
    /// Which steps are bad and how many in a row stop training.
    #[serde(default)]
    pub faults: FaultPolicy,
}

fn one() -> usize {
    1
}

impl TrainConfig {
    /// Defaults with `epochs` epochs.
    pub fn new(epochs: usize) -> Self {
        Self {
            epochs,
            learning_rate: 5e-4,
            optimizer: OptimizerChoice::Auto,
            schedule: ScheduleChoice::default(),
            clip_norm: Some(1.5),
            patience: Some(20),
            min_delta: 0.0,
            checkpoint_dir: None,
            checkpoint_every: 1,
            progress: true,
            seed: 0,
            validation_batch_size: 1024,
            shards: 1,
            faults: FaultPolicy::default(),
        }
    }

    /// Sets the peak learning rate.
    pub fn learning_rate(mut self, lr: f64) -> Self {
        self.learning_rate = lr;
        self
    }

    /// Sets the optimiser.
    pub fn optimizer(mut self, optimizer: OptimizerChoice) -> Self {
        self.optimizer = optimizer;
        self
    }

    /// Sets the learning-rate schedule.
    pub fn schedule(mut self, schedule: ScheduleChoice) -> Self {
        self.schedule = schedule;
        self
    }

    /// Sets early stopping.
    pub fn patience(mut self, patience: Option<usize>) -> Self {
        self.patience = patience;
        self
    }

    /// Sets the fault policy.
    pub fn faults(mut self, faults: FaultPolicy) -> Self {
        self.faults = faults;
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

    /// Splits every batch into `shards` data-parallel pieces (see [`TrainConfig::shards`]).
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = shards;
        self
    }

    /// No progress bar.
    pub fn quiet(mut self) -> Self {
        self.progress = false;
        self
    }

    pub(crate) fn check(&self) -> Result<()> {
        let bad = |m: String| Err(ApproxError::Config(m));
        if self.epochs == 0 {
            return bad("epochs must be positive".into());
        }
        if self.shards == 0 {
            return bad("shards must be at least 1".into());
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return bad(format!(
                "learning rate must be positive, got {}",
                self.learning_rate
            ));
        }
        if self.faults.max_bad_steps == 0 || !(self.faults.explosion_factor > 1.0) {
            return bad(format!(
                "faults: max_bad_steps must be at least 1 and explosion_factor above 1, got {} and {}",
                self.faults.max_bad_steps, self.faults.explosion_factor
            ));
        }
        if let Some(c) = self.clip_norm {
            if !(c > 0.0) {
                return bad(format!("clip_norm must be positive, got {c}"));
            }
        }
        self.schedule.check()?;
        if self.checkpoint_every == 0 || self.validation_batch_size == 0 {
            return bad("checkpoint_every and validation_batch_size must be positive".into());
        }
        Ok(())
    }

    /// The optimiser for `total` steps on data of `kind`.
    pub(crate) fn build_optimizer<B: Backend>(
        &self,
        kind: DatasetKind,
        total: u64,
    ) -> Result<Box<dyn Optimizer<B> + Send + Sync>> {
        let schedule = self.schedule.schedule(self.learning_rate, total);
        let lr = self.learning_rate;
        Ok(match self.optimizer {
            OptimizerChoice::Auto if kind.is_fixed() => Box::new(
                AdamConfig::adamw(lr, 5e-3)
                    .with_schedule(schedule)
                    .build::<B>()?,
            ),
            OptimizerChoice::Auto | OptimizerChoice::Adam => {
                Box::new(AdamConfig::new(lr).with_schedule(schedule).build::<B>()?)
            }
            OptimizerChoice::AdamW { weight_decay } => Box::new(
                AdamConfig::adamw(lr, weight_decay)
                    .with_schedule(schedule)
                    .build::<B>()?,
            ),
            OptimizerChoice::Sgd { momentum } => {
                let mut cfg = SgdConfig::new(lr, momentum);
                cfg.schedule = schedule;
                Box::new(cfg.build::<B>()?)
            }
        })
    }
}
