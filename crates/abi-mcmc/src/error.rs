//! The crate's error type.

use thiserror::Error;

/// What went wrong in a sampler.
#[derive(Debug, Error)]
pub enum McmcError {
    /// Settings or arguments that cannot work, with the reason.
    #[error("{what}: {reason}")]
    Invalid {
        /// The function or setting.
        what: String,
        /// Why it was refused.
        reason: String,
    },
    /// The log-density callback failed.
    #[error("evaluating the log density failed: {0}")]
    Density(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl McmcError {
    pub(crate) fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        McmcError::Invalid {
            what: what.into(),
            reason: reason.into(),
        }
    }

    /// Wraps an error of a log-density callback.
    pub fn density(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        McmcError::Density(Box::new(e))
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, McmcError>;
