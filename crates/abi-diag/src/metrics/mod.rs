//! Metrics on plain arrays: posterior draws `(data sets, draws, parameters)` against truths
//! `(data sets, parameters)`, two-sample discrepancies, and model-comparison scores.

mod binomial;

/// The most bins a calibration curve or a TARP coverage curve takes (10⁶): a count read from
/// a setting is checked against it before the bins are allocated.
pub const MAX_BINS: usize = 1_000_000;
pub mod coverage;
pub mod ecdf;
pub mod mmd;
pub mod model_comparison;
pub mod moments;
pub mod ranks;
pub mod summary;
pub mod tarp;
