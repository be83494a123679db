//! Summary networks: learned statistics of data sets, the input of inference networks.

mod flatten;

pub use flatten::{Flatten, FlattenConfig};

use abi_tensor::{Backend, Result, Tensor};

/// A network that maps raw data `(batch, ...)` (sets, time series, images) to a fixed-size
/// summary `(batch, summary_dim)` used as (part of) the conditions of an inference network.
/// `mask` marks valid elements of padded inputs, where a network supports it.
pub trait SummaryNetwork<B: Backend>: Send + Sync {
    /// Width of the summary.
    fn output_dim(&self) -> usize;
    /// Summaries of a batch of data sets.
    fn summarize(&self, x: &Tensor<B>, mask: Option<&Tensor<B>>) -> Result<Tensor<B>>;
}

