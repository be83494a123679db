//! Summary networks: learned statistics of data sets, the input of inference networks.
//!
//! Every network here maps `(batch, n, dim)` to `(batch, summary_dim)` and takes an optional
//! padding mask `(batch, n)` (1 = real, 0 = padding) that it honours exactly; each has a serde
//! configuration with BayesFlow 2's defaults, registered under BayesFlow's name:
//!
//! | network | registry name | for |
//! |---|---|---|
//! | [`DeepSet`] | `deep_set` | exchangeable sets (equivariant layers, mean / max / attention pooling) |
//! | [`SetTransformer`] | `set_transformer` | exchangeable sets (self-attention, optional inducing points, PMA) |
//! | [`RecurrentNetwork`] | `recurrent_network` | time series (stacked bidirectional GRU / LSTM, Time2Vec) |
//! | [`TimeSeriesNetwork`] | `time_series_network` | time series (LSTNet: convolutions, GRU, skip path) |
//! | [`TimeSeriesTransformer`] | `time_series_transformer` | time series (Time2Vec, self-attention, mean) |
//! | [`FusionNetwork`] | `fusion_network` | several sources at once (one backbone per source, outputs joined, optional head) |
//! | [`Flatten`] | `flatten` | fixed-size data (the identity) |
//!
//! Set networks accept padding anywhere; sequence networks expect it at the end of each series.

/// Implements [`SummaryConfig`](crate::SummaryConfig) for a settings type whose inherent
/// `build(&self, path, input_shape, rng)` builds the network, and [`SummaryNetwork`] for that
/// network, whose inherent `forward(&self, x, mask, rng)` runs it (in training mode when
/// `rng` is given) and whose field `summary_dim` is its width.
macro_rules! summary_network {
    ($config:ty => $network:ident, $name:literal) => {
        impl $crate::registry::SummaryConfig for $config {
            const NAME: &'static str = $name;

            fn build_network<B: abi_tensor::Backend>(
                &self,
                path: &abi_tensor::ParamPath<B>,
                input_shape: &[usize],
                rng: &mut dyn rand::RngCore,
            ) -> $crate::error::NetResult<Box<dyn $crate::summary::SummaryNetwork<B>>> {
                Ok(Box::new(self.build(path, input_shape, rng)?))
            }
        }

        impl<B: abi_tensor::Backend> $crate::summary::SummaryNetwork<B> for $network<B> {
            fn output_dim(&self) -> usize {
                self.summary_dim
            }

            fn summarize(
                &self,
                x: &abi_tensor::Tensor<B>,
                mask: Option<&abi_tensor::Tensor<B>>,
            ) -> abi_tensor::Result<abi_tensor::Tensor<B>> {
                self.forward(x, mask, None)
            }

            fn summarize_train(
                &self,
                x: &abi_tensor::Tensor<B>,
                mask: Option<&abi_tensor::Tensor<B>>,
                rng: &mut dyn rand::RngCore,
            ) -> abi_tensor::Result<abi_tensor::Tensor<B>> {
                self.forward(x, mask, Some(rng))
            }
        }
    };
}

mod attention;
mod conv;
mod deep_set;
mod flatten;
mod fusion;
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
pub use fusion::{FusionNetwork, FusionNetworkConfig};
pub use init::KernelInit;
pub use pooling::Pooling;
pub use recurrent::RecurrentType;
pub use recurrent_network::{RecurrentNetwork, RecurrentNetworkConfig};
pub use set_transformer::{SetTransformer, SetTransformerConfig};
pub use time_series_network::{TimeSeriesNetwork, TimeSeriesNetworkConfig};
pub use time_series_transformer::{TimeSeriesTransformer, TimeSeriesTransformerConfig};
pub use time2vec::Time2Vec;

use abi_tensor::{Backend, Result, Tensor, TensorError};
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

    /// Summaries of multi-source data sets: one input per named source (the adapter's group
    /// `summary_variables/<name>`, masks `summary_mask/<name>`), in training mode when `rng`
    /// is given. Single-input networks (the default) take exactly one source, whatever its
    /// name; a [`FusionNetwork`] takes one per backbone.
    fn summarize_sources(
        &self,
        sources: &[SummarySource<'_, B>],
        rng: Option<&mut dyn RngCore>,
    ) -> Result<Tensor<B>> {
        match (sources, rng) {
            ([one], Some(r)) => self.summarize_train(one.x, one.mask, r),
            ([one], None) => self.summarize(one.x, one.mask),
            _ => Err(TensorError::InvalidArgument {
                op: "summarize_sources",
                reason: format!(
                    "this summary network takes one input, got {} sources (a fusion network \
                     takes several)",
                    sources.len()
                ),
            }),
        }
    }
}

/// One named input of a multi-source data set, `(batch, ...)`, with its optional padding
/// mask.
#[derive(Debug, Clone, Copy)]
pub struct SummarySource<'a, B: Backend> {
    /// The source's name (the member of the adapter's group `summary_variables`).
    pub name: &'a str,
    /// Its data, `(batch, set or time, dim)` or whatever its backbone reads.
    pub x: &'a Tensor<B>,
    /// Its mask `(batch, set or time)`, 1 for real elements, for padded data.
    pub mask: Option<&'a Tensor<B>>,
}
