//! Summary networks: learned statistics of data sets, the input of inference networks.

mod attention;
mod conv;
mod deep_set;
mod flatten;
mod init;
mod mask;
mod pooling;
mod recurrent;
mod recurrent_network;
mod residual_mlp;
mod set_transformer;
mod time2vec;
mod time_series_network;
mod time_series_transformer;

pub use deep_set::{DeepSet, DeepSetConfig};
pub use flatten::{Flatten, FlattenConfig};
pub use init::KernelInit;
pub use pooling::Pooling;
pub use recurrent::RecurrentType;
pub use recurrent_network::{RecurrentNetwork, RecurrentNetworkConfig};
pub use set_transformer::{SetTransformer, SetTransformerConfig};
pub use time_series_network::{TimeSeriesNetwork, TimeSeriesNetworkConfig};
pub use time_series_transformer::{TimeSeriesTransformer, TimeSeriesTransformerConfig};
pub use time2vec::Time2Vec;

use abi_tensor::{Backend, Result, Tensor};
use rand::RngCore;

/// A network that maps raw data `(batch, ...)` (sets `(batch, set, dim)`, time series
/// `(batch, time, dim)`, ...) to a fixed-size summary `(batch, summary_dim)` used as (part of)
/// the conditions of an inference network.
///
/// `mask`, for padded inputs, is `(batch, set)` (or `(batch, time)`): 1 for a real element,
/// 0 for padding. A set or sequence network must give a padded data set the summary of the
/// same data set without its padding.
pub trait SummaryNetwork<B: Backend>: Send + Sync {
    /// Width of the summary.
    fn output_dim(&self) -> usize;

    /// Summaries of a batch of data sets, in evaluation mode.
    fn summarize(&self, x: &Tensor<B>, mask: Option<&Tensor<B>>) -> Result<Tensor<B>>;

    /// Summaries in training mode (dropout and other stochastic layers active, drawing from
    /// `rng`); the default is [`summarize`](Self::summarize).
    fn summarize_train(
        &self,
        x: &Tensor<B>,
        mask: Option<&Tensor<B>>,
        rng: &mut dyn RngCore,
    ) -> Result<Tensor<B>> {
        let _ = rng;
        self.summarize(x, mask)
    }
}
