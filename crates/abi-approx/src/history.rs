//! The loss history of training.

use serde::{Deserialize, Serialize};

/// One epoch's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// The epoch (from 0).
    pub epoch: usize,
    /// Mean training loss over the epoch's batches.
    pub loss: f64,
    /// Validation loss at the end of the epoch, when a validation set is given.
    pub val_loss: Option<f64>,
    /// Learning rate at the end of the epoch.
    pub learning_rate: f64,
    /// Wall-clock seconds the epoch took (training and validation).
    pub seconds: f64,
    /// Steps skipped as bad by the [`FaultPolicy`](crate::train::FaultPolicy) (their batches
    /// are not in `loss`).
    #[serde(default)]
    pub skipped_steps: usize,
}

/// Every epoch trained so far, in order, across resumed runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// The epochs.
    pub epochs: Vec<EpochRecord>,
    /// The epoch whose weights the model holds after early stopping restored the best ones.
    #[serde(default)]
    pub best_epoch: Option<usize>,
    /// Whether training ended by early stopping.
    #[serde(default)]
    pub stopped_early: bool,
}

impl History {
    /// Training losses by epoch.
    pub fn losses(&self) -> Vec<f64> {
        self.epochs.iter().map(|e| e.loss).collect()
    }

    /// Validation losses by epoch (epochs without one are skipped).
    pub fn val_losses(&self) -> Vec<f64> {
        self.epochs.iter().filter_map(|e| e.val_loss).collect()
    }

    /// Number of epochs.
    pub fn len(&self) -> usize {
        self.epochs.len()
    }

    /// Whether no epoch was trained.
    pub fn is_empty(&self) -> bool {
        self.epochs.is_empty()
    }

    /// Total training seconds.
    pub fn seconds(&self) -> f64 {
        self.epochs.iter().map(|e| e.seconds).sum()
    }

    /// The lowest validation loss and its epoch, when any epoch was validated.
    pub fn best_validation(&self) -> Option<(usize, f64)> {
        self.epochs
            .iter()
            .filter_map(|e| e.val_loss.map(|v| (e.epoch, v)))
            .fold(None, |best, (epoch, v)| match best {
                Some((_, b)) if b <= v => best,
                _ => Some((epoch, v)),
            })
    }
}

/// One line: epochs, how training ended, seconds and the best validation loss.
///
/// ```
/// use abi_approx::{EpochRecord, History};
/// let record = |epoch, val| EpochRecord {
///     epoch,
///     loss: 1.0,
///     val_loss: Some(val),
///     learning_rate: 1e-3,
///     seconds: 0.5,
///     skipped_steps: 0,
/// };
/// let history = History { epochs: vec![record(0, 2.0), record(1, 1.5)], ..History::default() };
/// assert_eq!(
///     history.to_string(),
///     "2 epochs (all epochs) in 1.00 s; best validation loss 1.5000 at epoch 1"
/// );
/// ```
impl std::fmt::Display for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ending = if self.stopped_early {
            "early stopping"
        } else {
            "all epochs"
        };
        write!(
            f,
            "{} epochs ({ending}) in {:.2} s",
            self.len(),
            self.seconds()
        )?;
        match self.best_validation() {
            Some((epoch, loss)) => write!(f, "; best validation loss {loss:.4} at epoch {epoch}"),
            None => write!(f, "; no validation"),
        }
    }
}
