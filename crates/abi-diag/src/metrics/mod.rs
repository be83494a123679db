//! Metrics on plain arrays: posterior draws `(data sets, draws, parameters)` against truths
//! `(data sets, parameters)`, two-sample discrepancies, and model-comparison scores.

mod binomial;
pub mod coverage;
pub mod ecdf;
pub mod mmd;
pub mod model_comparison;
pub mod moments;
pub mod ranks;
pub mod summary;
pub mod tarp;
