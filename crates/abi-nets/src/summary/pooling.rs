//! Set pooling by name: masked mean, masked maximum or pooling by multi-head attention.

use super::attention::{BlockSettings, PoolingByAttention};
use super::init::KernelInit;
use super::mask;
use crate::Activation;
use abi_tensor::{Backend, ParamPath, Result, Tensor};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

/// How a set `(batch, n, dim)` is reduced to one vector per data set; every choice ignores
/// padded elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// The mean of the real elements (BayesFlow's default).
    #[default]
    Mean,
    /// The elementwise maximum of the real elements.
    Max,
    /// Pooling by multi-head attention: one learned seed vector attends to the elements
    /// (BayesFlow's PMA defaults: 4 heads of width 64, a residual MLP of two 128-unit GELU
    /// layers, layer norm), giving 64 features.
    Pma,
}

/// A built [`Pooling`].
#[derive(Debug, Clone)]
pub(crate) enum PoolingLayer<B: Backend> {
    Mean(usize),
    Max(usize),
    Pma(Box<PoolingByAttention<B>>),
}

impl<B: Backend> PoolingLayer<B> {
    /// The pooling of `in_dim` features under `path` (PMA parameters live there).
    pub fn new(
        kind: Pooling,
        path: &ParamPath<B>,
        in_dim: usize,
        dropout: f64,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Self> {
        Ok(match kind {
            Pooling::Mean => PoolingLayer::Mean(in_dim),
            Pooling::Max => PoolingLayer::Max(in_dim),
            Pooling::Pma => {
                let settings = BlockSettings {
                    embed_dim: 64,
                    heads: 4,
                    mlp_depth: 2,
                    mlp_width: 128,
                    activation: Activation::Gelu,
                    init: KernelInit::LecunNormal,
                    dropout,
                    use_bias: true,
                    layer_norm: true,
                };
                let pma = PoolingByAttention::new(path, in_dim, 1, None, &settings, rng)?;
                PoolingLayer::Pma(Box::new(pma))
            }
        })
    }

    /// Width of the pooled vector.
    pub fn out_dim(&self) -> usize {
        match self {
            PoolingLayer::Mean(d) | PoolingLayer::Max(d) => *d,
            PoolingLayer::Pma(p) => p.out_dim(),
        }
    }

    /// `(batch, n, dim)` with mask `(batch, n)` → `(batch, out_dim)`.
    pub fn forward(
        &self,
        x: &Tensor<B>,
        mask: Option<&Tensor<B>>,
        rng: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<Tensor<B>> {
        match self {
            PoolingLayer::Mean(_) => mask::mean(x, mask),
            PoolingLayer::Max(_) => mask::max(x, mask),
            PoolingLayer::Pma(p) => p.forward(x, mask, rng),
        }
    }
}
