//! Pooling by multi-head attention (PMA).

use super::block::{AttentionBlock, BlockSettings};
use crate::summary::init::param_from_values;
use crate::summary::mask;
use crate::summary::residual_mlp::ResidualMlp;
use abi_tensor::{Backend, Init, Param, ParamPath, Result, Tensor};
use rand::{Rng, RngCore};

/// Pooling by multi-head attention (Lee et al., 2019): a residual MLP transforms each element,
/// then `num_seeds` learned seed vectors attend to the (real) elements:
/// `(batch, n, in_dim)` → `(batch, num_seeds · embed_dim)`. Permutation invariant; padded
/// elements (mask 0) receive zero attention.
#[derive(Debug, Clone)]
pub(crate) struct PoolingByAttention<B: Backend> {
    feedforward: ResidualMlp<B>,
    seeds: Param<B>,
    block: AttentionBlock<B>,
    num_seeds: usize,
    embed_dim: usize,
}

impl<B: Backend> PoolingByAttention<B> {
    /// `num_seeds` seeds of width `seed_dim` (`embed_dim` when `None`, Glorot-uniform).
    pub fn new(
        path: &ParamPath<B>,
        in_dim: usize,
        num_seeds: usize,
        seed_dim: Option<usize>,
        s: &BlockSettings,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Self> {
        let mut rng = rng;
        let seed_dim = seed_dim.unwrap_or(s.embed_dim);
        let widths = s.mlp_widths()?;
        let feedforward = ResidualMlp::new(
            &path.sub("feedforward"),
            in_dim,
            &widths,
            s.mlp_style(),
            &mut rng,
        )?;
        let shape = [num_seeds.max(1), seed_dim.max(1)];
        path.reserve("seeds", &shape)?;
        let values = Init::GlorotUniform.sample(&shape, &mut rng)?;
        let seeds = param_from_values(path, "seeds", &shape, &values)?;
        let block = AttentionBlock::new(
            &path.sub("attention"),
            seed_dim,
            feedforward.out_dim(),
            s,
            &mut rng,
        )?;
        Ok(Self {
            feedforward,
            seeds,
            block,
            num_seeds,
            embed_dim: s.embed_dim,
        })
    }

    /// Output width `num_seeds · embed_dim`.
    pub fn out_dim(&self) -> usize {
        self.num_seeds * self.embed_dim
    }

    /// `(batch, n, in_dim)` with mask `(batch, n)` → `(batch, num_seeds · embed_dim)`.
    pub fn forward(
        &self,
        x: &Tensor<B>,
        key_mask: Option<&Tensor<B>>,
        mut rng: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<Tensor<B>> {
        mask::check("PoolingByAttention", x, key_mask)?;
        let batch = x.dim(0)?;
        let h = self.feedforward.forward(x, rng.as_deref_mut())?;
        let seeds = self.seeds.value();
        let s = seeds.shape();
        let queries = seeds.unsqueeze(0)?.broadcast_to(&[batch, s[0], s[1]])?;
        let pooled = self.block.forward(&queries, &h, key_mask, rng)?;
        pooled.reshape(&[batch, self.out_dim()])
    }
}
