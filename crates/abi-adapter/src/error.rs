//! Errors of the adapter.

use thiserror::Error;

/// What went wrong while building, fitting, applying or loading an [`Adapter`](crate::Adapter).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AdapterError {
    /// A transform needs an entry the data does not hold.
    #[error("{transform}: no entry `{key}`; the data hold {available:?}")]
    MissingKey {
        /// The transform.
        transform: String,
        /// The entry it needs.
        key: String,
        /// The entries present.
        available: Vec<String>,
    },
    /// Shapes do not fit together.
    #[error("{transform}: `{key}` has shape {got:?}, expected {expected:?}")]
    Shape {
        /// The transform.
        transform: String,
        /// The entry.
        key: String,
        /// The shape expected (or that of the other operand).
        expected: Vec<usize>,
        /// The shape found.
        got: Vec<usize>,
    },
    /// A value lies outside what a transform accepts (e.g. outside a constraint's bounds).
    #[error("{transform}: `{key}` holds {value}, outside {domain}")]
    Domain {
        /// The transform.
        transform: String,
        /// The entry.
        key: String,
        /// The offending value.
        value: f64,
        /// The accepted domain.
        domain: String,
    },
    /// A transform that must be fitted (standardize, concatenate) was used unfitted.
    #[error("{transform}: not fitted for `{key}`; call Adapter::fit on training data first")]
    NotFitted {
        /// The transform.
        transform: String,
        /// The entry.
        key: String,
    },
    /// A builder argument is invalid.
    #[error("{transform}: {reason}")]
    Invalid {
        /// The transform.
        transform: String,
        /// Why.
        reason: String,
    },
    /// A saved adapter has another format or version, or an unknown transform.
    #[error("adapter file: {0}")]
    Format(String),
    /// A custom transform is used that was not registered with the adapter.
    #[error(
        "custom transform `{0}` is not registered (custom functions are not serialised; register it again after loading)"
    )]
    UnregisteredCustom(String),
    /// A custom transform failed.
    #[error("custom transform `{name}`: {reason}")]
    Custom {
        /// Its name.
        name: String,
        /// Its message.
        reason: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = AdapterError> = std::result::Result<T, E>;
