//! [`DiagError`].

/// Errors of the diagnostics.
#[derive(Debug, thiserror::Error)]
pub enum DiagError {
    /// Inputs that cannot be compared.
    #[error("{what}: {reason}")]
    Input {
        /// the diagnostic
        what: &'static str,
        /// what is wrong
        reason: String,
    },
    /// A tensor operation failed.
    #[error(transparent)]
    Tensor(#[from] abi_tensor::TensorError),
}

/// Results of abi-diag.
pub type Result<T> = std::result::Result<T, DiagError>;
