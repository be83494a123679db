//! [`DiagError`]: what went wrong, in which diagnostic.

use std::path::PathBuf;

/// Errors of the diagnostics.
#[derive(Debug, thiserror::Error)]
pub enum DiagError {
    /// Inputs that cannot be used: wrong shapes, too few rows, non-finite values, bad settings.
    #[error("{what}: {reason}")]
    Input {
        /// the diagnostic (function) that refused its input
        what: &'static str,
        /// what is wrong
        reason: String,
    },
    /// A tensor operation failed (C2ST's classifier).
    #[error(transparent)]
    Tensor(#[from] abi_tensor::TensorError),
    /// A plot could not be drawn or written.
    #[error("plot `{plot}` to {path:?}: {reason}")]
    Plot {
        /// the plot
        plot: &'static str,
        /// the file it was written to
        path: PathBuf,
        /// what failed
        reason: String,
    },
    /// A file of the report could not be written.
    #[error("writing {path:?}: {source}")]
    Io {
        /// the file or folder
        path: PathBuf,
        /// the underlying error
        source: std::io::Error,
    },
}

/// Results of abi-diag.
pub type Result<T> = std::result::Result<T, DiagError>;

/// Shorthand for an [`DiagError::Input`] error.
pub(crate) fn input(what: &'static str, reason: impl Into<String>) -> DiagError {
    DiagError::Input {
        what,
        reason: reason.into(),
    }
}
