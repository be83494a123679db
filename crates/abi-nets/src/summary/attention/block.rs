//! The multi-head attention block (MAB) of set transformers.

use super::mha::{AttentionShape, MaskedAttention};
use crate::summary::init::{KernelInit, dense};
use crate::summary::residual_mlp::{MlpStyle, ResidualMlp};
use crate::{Activation, Dense, LayerNorm};
use abi_tensor::{Backend, ParamPath, Result, Tensor};
use rand::{Rng, RngCore};

/// The settings of one attention block, as in BayesFlow's `MultiHeadAttentionBlock`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockSettings {
    /// width of the block's output, and of each attention head (Keras' `key_dim`)
    pub embed_dim: usize,
    pub heads: usize,
    pub mlp_depth: usize,
    pub mlp_width: usize,
    pub activation: Activation,
    pub init: KernelInit,
    pub dropout: f64,
    pub use_bias: bool,
    pub layer_norm: bool,
}

impl BlockSettings {
    /// The residual MLP style of the block's feed-forward part.
    pub fn mlp_style(&self) -> MlpStyle {
        MlpStyle {
            activation: self.activation,
            init: self.init,
            dropout: self.dropout,
            residual: true,
        }
    }

    /// The hidden widths of the feed-forward part (`mlp_depth` layers of `mlp_width`, at
    /// least one), refusing a depth past the store's tensor cap before allocating them.
    pub fn mlp_widths(&self) -> Result<Vec<usize>> {
        let cap = abi_tensor::limits::MAX_PARAMETER_TENSORS;
        if self.mlp_depth > cap {
            return Err(abi_tensor::TensorError::InvalidArgument {
                op: "attention block",
                reason: format!(
                    "an MLP depth of {} exceeds the cap of {cap} parameter tensors",
                    self.mlp_depth
                ),
            });
        }
        Ok(vec![self.mlp_width; self.mlp_depth.max(1)])
    }
}

/// Multi-head attention block (Lee et al., 2019) in BayesFlow's post-norm form:
/// `h = LN(proj(x) + attention(x, y))`, `out = LN(h + proj(MLP(h)))`, mapping queries
/// `(batch, n_q, q_dim)` and keys `(batch, n_k, kv_dim)` to `(batch, n_q, embed_dim)`.
/// A key mask `(batch, n_k)` excludes padded keys; every step after the attention acts on
/// each query alone.
#[derive(Debug, Clone)]
pub(crate) struct AttentionBlock<B: Backend> {
    input_projector: Dense<B>,
    attention: MaskedAttention<B>,
    ln_pre: Option<LayerNorm<B>>,
    mlp: ResidualMlp<B>,
    output_projector: Dense<B>,
    ln_post: Option<LayerNorm<B>>,
}

impl<B: Backend> AttentionBlock<B> {
    /// A block for queries of width `q_dim` attending to keys of width `kv_dim`.
    pub fn new(
        path: &ParamPath<B>,
        q_dim: usize,
        kv_dim: usize,
        s: &BlockSettings,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Self> {
        let mut rng = rng;
        let e = s.embed_dim;
        let shape = AttentionShape {
            q_dim,
            kv_dim,
            heads: s.heads,
            key_dim: e,
            out_dim: e,
        };
        let widths = s.mlp_widths()?;
        let g = KernelInit::GlorotUniform;
        let norm = |name: &str, mut rng: &mut dyn RngCore| {
            s.layer_norm
                .then(|| LayerNorm::new(&path.sub(name), e, &mut rng))
                .transpose()
        };
        Ok(Self {
            input_projector: dense(&path.sub("input_projector"), q_dim, e, g, &mut rng)?,
            attention: MaskedAttention::new(
                &path.sub("attention"),
                shape,
                s.use_bias,
                s.dropout,
                &mut rng,
            )?,
            ln_pre: norm("ln_pre", &mut rng)?,
            mlp: ResidualMlp::new(&path.sub("mlp"), e, &widths, s.mlp_style(), &mut rng)?,
            output_projector: dense(&path.sub("output_projector"), s.mlp_width, e, g, &mut rng)?,
            ln_post: norm("ln_post", &mut rng)?,
        })
    }

    /// `(batch, n_q, q_dim)`, `(batch, n_k, kv_dim)` → `(batch, n_q, embed_dim)`.
    pub fn forward(
        &self,
        x: &Tensor<B>,
        y: &Tensor<B>,
        key_mask: Option<&Tensor<B>>,
        mut rng: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<Tensor<B>> {
        let attended = self.attention.forward(x, y, key_mask, rng.as_deref_mut())?;
        let mut h = self.input_projector.forward(x)?.add(&attended)?;
        if let Some(ln) = &self.ln_pre {
            h = ln.forward(&h)?;
        }
        let ff = self.output_projector.forward(&self.mlp.forward(&h, rng)?)?;
        let mut out = h.add(&ff)?;
        if let Some(ln) = &self.ln_post {
            out = ln.forward(&out)?;
        }
        Ok(out)
    }
}
