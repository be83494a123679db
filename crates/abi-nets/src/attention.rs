//! Multi-head attention, the block of set transformers and attention summary networks.

use crate::Dense;
use abi_tensor::{Backend, ParamPath, Result, Tensor, TensorError};
use rand::Rng;

/// Multi-head scaled dot-product attention (Vaswani et al., 2017): queries from `x`
/// `(batch, n_q, dim)`, keys and values from `y` `(batch, n_k, dim)`, `heads` heads of width
/// `key_dim`, and an output projection back to `dim`. An optional key mask `(batch, n_k)`
/// (1 = keep) excludes padded set members.
#[derive(Debug, Clone)]
pub struct MultiHeadAttention<B: Backend> {
    query: Dense<B>,
    key: Dense<B>,
    value: Dense<B>,
    output: Dense<B>,
    heads: usize,
    key_dim: usize,
    dim: usize,
}

impl<B: Backend> MultiHeadAttention<B> {
    /// Attention over `dim` features with `heads` heads of width `key_dim`.
    pub fn new(
        path: &ParamPath<B>,
        dim: usize,
        heads: usize,
        key_dim: usize,
        rng: &mut impl Rng,
    ) -> Result<Self> {
        if dim == 0 || heads == 0 || key_dim == 0 {
            return Err(TensorError::InvalidArgument {
                op: "MultiHeadAttention",
                reason: format!(
                    "sizes must be positive, got dim {dim}, heads {heads}, key_dim {key_dim}"
                ),
            });
        }
        let inner = heads * key_dim;
        Ok(Self {
            query: Dense::new(&path.sub("query"), dim, inner, rng)?,
            key: Dense::new(&path.sub("key"), dim, inner, rng)?,
            value: Dense::new(&path.sub("value"), dim, inner, rng)?,
            output: Dense::new(&path.sub("output"), inner, dim, rng)?,
            heads,
            key_dim,
            dim,
        })
    }

    /// `(batch, n, heads·key_dim)` → `(batch, heads, n, key_dim)`.
    fn split_heads(&self, h: &Tensor<B>) -> Result<Tensor<B>> {
        let s = h.shape();
        h.reshape(&[s[0], s[1], self.heads, self.key_dim])?
            .permute(&[0, 2, 1, 3])
    }

    /// Attends from `x` to `y` (self-attention when `y` is `x`).
    pub fn forward(
        &self,
        x: &Tensor<B>,
        y: &Tensor<B>,
        mask: Option<&Tensor<B>>,
    ) -> Result<Tensor<B>> {
        let (xs, ys) = (x.shape(), y.shape());
        if xs.len() != 3
            || ys.len() != 3
            || xs[0] != ys[0]
            || xs[2] != self.dim
            || ys[2] != self.dim
        {
            return Err(TensorError::ShapeMismatch {
                op: "MultiHeadAttention",
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
        if let Some(m) = mask {
            if m.shape() != [ys[0], ys[1]] {
                return Err(TensorError::ShapeMismatch {
                    op: "MultiHeadAttention (mask)",
                    lhs: m.shape(),
                    rhs: vec![ys[0], ys[1]],
                });
            }
            // masked keys get a large negative score before the softmax
            let penalty = m.neg()?.add_scalar(1.0)?.mul_scalar(-1e9)?;
            scores = scores.add(&penalty.reshape(&[ys[0], 1, 1, ys[1]])?)?;
        }
        let weights = scores.softmax(3)?;
        let out = weights.matmul(&v)?.permute(&[0, 2, 1, 3])?.reshape(&[
            xs[0],
            xs[1],
            self.heads * self.key_dim,
        ])?;
        self.output.forward(&out)
    }
}
