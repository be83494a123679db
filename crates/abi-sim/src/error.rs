//! Errors of simulation, batches and simulation files.

use thiserror::Error;

/// What went wrong while simulating or handling a [`Batch`](crate::Batch).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SimError {
    /// A name was asked for that the batch or draw does not hold.
    #[error("no entry `{name}`; available: {available:?}")]
    MissingKey {
        /// The name asked for.
        name: String,
        /// The names present.
        available: Vec<String>,
    },
    /// An entry's first axis does not match the batch size.
    #[error("entry `{name}` has {got} rows, the batch has {expected}")]
    BatchSize {
        /// The entry.
        name: String,
        /// Rows of the batch.
        expected: usize,
        /// Rows of the entry.
        got: usize,
    },
    /// Two draws of one batch gave an entry of different shapes, or shapes otherwise disagree.
    #[error("entry `{name}`: shape {got:?} differs from {expected:?} ({context})")]
    Shape {
        /// The entry.
        name: String,
        /// The shape expected.
        expected: Vec<usize>,
        /// The shape found.
        got: Vec<usize>,
        /// Where it happened (e.g. `draw 17`).
        context: String,
    },
    /// A name is used twice.
    #[error("entry `{0}` already exists")]
    Duplicate(String),
    /// A simulation produced NaN or infinity.
    #[error("entry `{name}` row {row} holds the non-finite value {value}")]
    NonFinite {
        /// The entry.
        name: String,
        /// The row (draw) within the batch.
        row: usize,
        /// The offending value.
        value: f64,
    },
    /// An entry has another element type than the one asked for.
    #[error("entry `{name}` holds {found}, not {wanted}")]
    DType {
        /// The entry.
        name: String,
        /// The element type asked for.
        wanted: &'static str,
        /// The element type held.
        found: &'static str,
    },
    /// An argument or a parameter of a distribution is invalid.
    #[error("{what}: {reason}")]
    Invalid {
        /// What was being built or called.
        what: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A user simulation function failed.
    #[error("simulation function `{function}` failed at draw {draw}: {reason}")]
    Function {
        /// The function's name.
        function: String,
        /// The draw within the batch.
        draw: usize,
        /// The function's message.
        reason: String,
    },
    /// Reading or writing a simulation file failed.
    #[error("simulation file {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

impl SimError {
    pub(crate) fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        SimError::Invalid {
            what: what.into(),
            reason: reason.into(),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = SimError> = std::result::Result<T, E>;
