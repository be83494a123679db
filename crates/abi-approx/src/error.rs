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
    /// Data for a role holds NaN or infinity.
    #[error("`{role}` holds {value} in row {row}; clean the simulations or use a NonFinitePolicy")]
    NonFiniteData {
        /// the role
        role: String,
        /// the row
        row: usize,
        /// the value
        value: f64,
    },
    /// The loss became NaN or infinite; the best weights so far were kept.
    #[error(
        "the training loss became {value} in epoch {epoch}, batch {batch}; the best weights so far were restored"
    )]
    NonFiniteLoss {
        /// epoch (from 0)
        epoch: usize,
        /// batch within the epoch (from 0)
        batch: usize,
        /// the loss
        value: f64,
    },
    /// Too many draws fell outside the support within the allowed rounds.
    #[error(
        "only {accepted} of {requested} draws for data set {dataset} fell inside the support after {rounds} rounds (acceptance rate {rate:.2e}); the posterior leaks out of the prior's support"
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
        /// observed acceptance rate
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
    pub(crate) fn file(path: &std::path::Path, reason: impl std::fmt::Display) -> Self {
        ApproxError::File {
            path: path.display().to_string(),
            reason: reason.to_string(),
        }
    }
}
