//! The error type shared by every tensor operation.

use thiserror::Error;

/// Everything that can go wrong in a tensor operation, a parameter store or a saved file.
///
/// Messages name the operation and the offending shapes or values.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TensorError {
    /// Two operands have shapes that the operation cannot combine.
    #[error("{op}: shape mismatch, lhs {lhs:?}, rhs {rhs:?}")]
    ShapeMismatch {
        /// The operation.
        op: &'static str,
        /// Shape of the first operand.
        lhs: Vec<usize>,
        /// Shape of the second operand.
        rhs: Vec<usize>,
    },
    /// A tensor would hold more elements than a cap allows (see [`crate::limits`]).
    #[error("{op}: a tensor of shape {shape:?} exceeds the limit of {limit} elements")]
    TooLarge {
        /// The operation.
        op: &'static str,
        /// The requested shape.
        shape: Vec<usize>,
        /// The cap it exceeds.
        limit: usize,
    },
    /// A tensor has a shape the operation does not accept.
    #[error("{op}: invalid shape {shape:?}: {reason}")]
    InvalidShape {
        /// The operation.
        op: &'static str,
        /// The offending shape.
        shape: Vec<usize>,
        /// What was expected.
        reason: String,
    },
    /// An axis is out of range for the tensor's rank.
    #[error("{op}: axis {axis} out of range for a tensor of rank {rank}")]
    AxisOutOfRange {
        /// The operation.
        op: &'static str,
        /// The axis asked for.
        axis: usize,
        /// The tensor's rank.
        rank: usize,
    },
    /// An index (or a range) lies outside the axis it addresses.
    #[error("{op}: index {index} out of range for axis of length {len}")]
    IndexOutOfRange {
        /// The operation.
        op: &'static str,
        /// The offending index (end of a range for `narrow`).
        index: usize,
        /// The length of the axis.
        len: usize,
    },
    /// The data given does not fill the requested shape.
    #[error("{op}: {len} elements cannot fill shape {shape:?}")]
    DataLength {
        /// The operation.
        op: &'static str,
        /// Number of elements supplied.
        len: usize,
        /// The requested shape.
        shape: Vec<usize>,
    },
    /// An argument has a value the operation does not accept.
    #[error("{op}: invalid argument: {reason}")]
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// `backward` was asked of a tensor that does not depend on any tracked tensor.
    #[error("backward: the output does not depend on any tracked tensor")]
    NotTracked,
    /// A parameter name is missing, duplicated or malformed.
    #[error("parameter store: {0}")]
    Param(String),
    /// A saved file could not be read or does not match what was expected.
    #[error("model file {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What was wrong.
        reason: String,
    },
    /// An I/O error while reading or writing a file.
    #[error("io error on {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The backend itself failed (out of memory, device error, ...).
    #[error("backend {backend}: {reason}")]
    Backend {
        /// Backend name.
        backend: String,
        /// The backend's message.
        reason: String,
    },
}

/// Shorthand for results of tensor operations.
pub type Result<T, E = TensorError> = std::result::Result<T, E>;
