//! [`ApproxError`]: what can go wrong building, training, saving and querying approximators.

use abi_adapter::AdapterError;
use abi_sim::SimError;
use abi_tensor::TensorError;

/// Errors of approximators, training and datasets.
#[derive(Debug, thiserror::Error)]
pub enum ApproxError {
    /// A tensor operation or network failed.
    #[error(transparent)]
    Tensor(#[from] TensorError),
    /// A network could not be configured or built.
    #[error(transparent)]
    Net(#[from] abi_nets::NetError),
    /// The adapter failed.
    #[error(transparent)]
    Adapter(#[from] AdapterError),
    /// The simulator or a data file failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// An MCMC posterior failed.
    #[error(transparent)]
    Mcmc(#[from] abi_mcmc::McmcError),
    /// A network role the approximator needs is missing after the adapter.
    #[error("the adapter produced no `{role}` (it produced {available:?}); {hint}")]
    MissingRole {
        /// the role, e.g. `inference_variables`
        role: String,
        /// entries the adapter produced
        available: Vec<String>,
        /// what to do about it
        hint: String,
    },
    /// A role's shape does not fit the networks built for it.
    #[error("`{role}` has shape {got:?}, but the approximator was built for {expected}")]
    RoleShape {
        /// the role
        role: String,
        /// the shape received
        got: Vec<usize>,
        /// what was expected
        expected: String,
    },
    /// Data for a role holds NaN or infinity. During training `row` is the row of the data
    /// set when the dataset knows it (offline and disk data), elsewhere the row of the batch.
    #[error("`{role}` holds {value} in row {row}; clean the simulations or use a NonFinitePolicy")]
    NonFiniteData {
        /// the role
        role: String,
        /// the row
        row: usize,
        /// the value
        value: f64,
    },
    /// Training met as many bad steps in a row as its [`FaultPolicy`](crate::train::FaultPolicy)
    /// allows (non-finite or exploding loss or gradient). The bad steps were skipped, so the
    /// weights are those of the last good step; the approximator keeps the history of the
    /// epochs finished.
    #[error(
        "training stopped in epoch {epoch}, batch {batch} after {steps} bad steps in a row (last: {reason}){}; the weights are those before the first of them, and the history keeps the {epochs_finished} epochs finished",
        rows.as_ref().map(|r| format!("; data set rows of the last bad batch: {r}")).unwrap_or_default()
    )]
    TrainingFault {
        /// epoch (from 0)
        epoch: usize,
        /// batch within the epoch (from 0)
        batch: usize,
        /// bad steps in a row
        steps: usize,
        /// what was wrong with the last one
        reason: String,
        /// the data set rows of the last bad batch, when the dataset knows them
        rows: Option<String>,
        /// epochs finished before it
        epochs_finished: usize,
    },
    /// Too many draws fell outside the support within the allowed rounds.
    #[error(
        "only {accepted} of {requested} draws for data set {dataset} fell inside the support after {rounds} rounds (its acceptance rate {rate:.2e}); the posterior leaks out of the prior's support"
    )]
    Leakage {
        /// data set (row of the conditions)
        dataset: usize,
        /// draws accepted
        accepted: usize,
        /// draws requested
        requested: usize,
        /// rounds of proposals
        rounds: usize,
        /// the data set's observed acceptance rate
        rate: f64,
    },
    /// A setting is invalid.
    #[error("invalid setting: {0}")]
    Config(String),
    /// A saved model or checkpoint is unreadable, of another format or version, or
    /// inconsistent.
    #[error("{path}: {reason}")]
    File {
        /// the file
        path: String,
        /// what is wrong
        reason: String,
    },
    /// A dataset's producer thread stopped.
    #[error("the {0} dataset's background simulation stopped unexpectedly")]
    ProducerGone(&'static str),
}

/// Results of abi-approx.
pub type Result<T> = std::result::Result<T, ApproxError>;

impl ApproxError {
    /// The error with a batch row replaced by `rows[row]` (the batch's rows in a larger
    /// set, or the offset of a shard within its batch).
    pub(crate) fn at_rows(self, rows: impl Fn(usize) -> Option<usize>) -> Self {
        match self {
            ApproxError::NonFiniteData { role, row, value } => ApproxError::NonFiniteData {
                role,
                row: rows(row).unwrap_or(row),
                value,
            },
            other => other,
        }
    }

    pub(crate) fn file(path: &std::path::Path, reason: impl std::fmt::Display) -> Self {
        ApproxError::File {
            path: path.display().to_string(),
            reason: reason.to_string(),
        }
    }
}
