//! [`WorkflowError`]: what went wrong in a workflow, with the file, key or setting involved.

use std::path::PathBuf;

/// Errors of the workflow and the `abi` command.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// Building, training or sampling an approximator failed.
    #[error(transparent)]
    Approx(#[from] abi_approx::ApproxError),
    /// Simulating or reading simulations failed.
    #[error(transparent)]
    Sim(#[from] abi_sim::SimError),
    /// A diagnostic or plot failed.
    #[error(transparent)]
    Diag(#[from] abi_diag::DiagError),
    /// A network name or setting is wrong.
    #[error(transparent)]
    Net(#[from] abi_nets::NetError),
    /// The workflow was asked for something its settings cannot give.
    #[error("{0}")]
    Config(String),
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    File {
        /// the file
        path: PathBuf,
        /// what went wrong
        reason: String,
    },
}

impl WorkflowError {
    /// A [`WorkflowError::File`] for `path`.
    pub fn file(path: impl Into<PathBuf>, reason: impl ToString) -> Self {
        Self::File {
            path: path.into(),
            reason: reason.to_string(),
        }
    }
}

/// The workflow's result type.
pub type Result<T> = std::result::Result<T, WorkflowError>;
