//! Masked multi-head attention between two sets of different widths.

use crate::Dense;
use crate::summary::mask;
use crate::summary::residual_mlp::dropout;
use abi_tensor::{Backend, Init, ParamPath, Result, Tensor, TensorError};
use rand::{Rng, RngCore};

/// Multi-head scaled dot-product attention (Vaswani et al., 2017) as Keras'
/// `MultiHeadAttention`: queries from `x` `(batch, n_q, q_dim)`, keys and values from `y`
/// `(batch, n_k, kv_dim)`, `heads` heads of width `key_dim`, output `(batch, n_q, out_dim)`.
///
/// A key mask `(batch, n_k)` (1 = real) gives padded keys a weight of exactly zero; a row
/// whose keys are all padding gets finite (uniform) weights rather than NaN. Dropout of the
/// attention weights is active in training.
#[derive(Debug, Clone)]
pub(crate) struct MaskedAttention<B: Backend> {
    query: Dense<B>,
    key: Dense<B>,
    value: Dense<B>,
    output: Dense<B>,
    heads: usize,
    key_dim: usize,
    dropout: f64,
}

/// Sizes of a [`MaskedAttention`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttentionShape {
    pub q_dim: usize,
    pub kv_dim: usize,
    pub heads: usize,
    pub key_dim: usize,
    pub out_dim: usize,
}

impl<B: Backend> MaskedAttention<B> {
    /// Projections `query`, `key`, `value`, `output` under `path` (Glorot-uniform kernels).
    pub fn new(
        path: &ParamPath<B>,
        s: AttentionShape,
        use_bias: bool,
        dropout: f64,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Self> {
        if [s.q_dim, s.kv_dim, s.heads, s.key_dim, s.out_dim].contains(&0) {
            return Err(TensorError::InvalidArgument {
                op: "MaskedAttention",
                reason: format!("sizes must be positive, got {s:?}"),
            });
        }
        let mut rng = rng;
        let inner = s.heads * s.key_dim;
        let g = Init::GlorotUniform;
        Ok(Self {
            query: Dense::with_init(&path.sub("query"), s.q_dim, inner, g, use_bias, &mut rng)?,
            key: Dense::with_init(&path.sub("key"), s.kv_dim, inner, g, use_bias, &mut rng)?,
            value: Dense::with_init(&path.sub("value"), s.kv_dim, inner, g, use_bias, &mut rng)?,
            output: Dense::with_init(&path.sub("output"), inner, s.out_dim, g, use_bias, &mut rng)?,
            heads: s.heads,
            key_dim: s.key_dim,
            dropout,
        })
    }

    /// `(batch, n, heads·key_dim)` → `(batch, heads, n, key_dim)`.
    fn split_heads(&self, h: &Tensor<B>) -> Result<Tensor<B>> {
        let s = h.shape();
        h.reshape(&[s[0], s[1], self.heads, self.key_dim])?
            .permute(&[0, 2, 1, 3])
    }

    /// Attends from `x` to `y` (self-attention when `y` is `x`), skipping masked keys.
    pub fn forward(
        &self,
        x: &Tensor<B>,
        y: &Tensor<B>,
        key_mask: Option<&Tensor<B>>,
        rng: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<Tensor<B>> {
        mask::check("MaskedAttention (keys)", y, key_mask)?;
        let (xs, ys) = (x.shape(), y.shape());
        if xs.len() != 3 || xs[0] != ys[0] {
            return Err(TensorError::ShapeMismatch {
                op: "MaskedAttention",
                lhs: xs,
                rhs: ys,
            });
        }
        let q = self.split_heads(&self.query.forward(x)?)?;
        let k = self.split_heads(&self.key.forward(y)?)?;
        let v = self.split_heads(&self.value.forward(y)?)?;
        let mut scores = q
            .matmul(&k.permute(&[0, 1, 3, 2])?)?
            .mul_scalar(1.0 / (self.key_dim as f64).sqrt())?; // (b, h, n_q, n_k)
        if let Some(m) = key_mask {
            scores = scores.add(&mask::key_penalty(m)?)?;
        }
        let weights = dropout(&scores.softmax(3)?, self.dropout, rng)?;
        let out = weights.matmul(&v)?.permute(&[0, 2, 1, 3])?.reshape(&[
            xs[0],
            xs[1],
            self.heads * self.key_dim,
        ])?;
        self.output.forward(&out)
    }
}
