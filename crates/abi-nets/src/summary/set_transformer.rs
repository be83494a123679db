//! [`SetTransformer`]: attention-based permutation-invariant summaries.

use super::attention::{AttentionBlock, BlockSettings, PoolingByAttention};
use super::deep_set::set_input_dim;
use super::init::{KernelInit, dense, param_from_values};
use super::mask;
use super::residual_mlp::check_dropout;
use crate::error::{NetError, NetResult};
use crate::{Activation, Dense};
use abi_tensor::{Backend, Init, Param, ParamPath, Result, Tensor};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

/// Settings of a [`SetTransformer`]; the defaults are BayesFlow 2's. Registered as
/// `set_transformer`. The number of attention blocks is the length of `embed_dims` (and of
/// `num_heads`, `mlp_depths`, `mlp_widths`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SetTransformerConfig {
    /// Width of the summary (16).
    pub summary_dim: usize,
    /// Output width of each attention block, also the width of each head ((64, 64)).
    pub embed_dims: Vec<usize>,
    /// Heads of each block ((4, 4)).
    pub num_heads: Vec<usize>,
    /// Hidden layers of each block's residual MLP ((2, 2)).
    pub mlp_depths: Vec<usize>,
    /// Width of each block's MLP layers ((128, 128)).
    pub mlp_widths: Vec<usize>,
    /// Seed vectors of the pooling by multi-head attention (1).
    pub num_seeds: usize,
    /// Dropout of attention weights and MLPs in training (0.05).
    pub dropout: f64,
    /// Activation of the MLPs (`gelu`).
    pub mlp_activation: Activation,
    /// Kernel initialiser of the MLPs (`lecun_normal`).
    pub kernel_initializer: KernelInit,
    /// Biases in the attention projections (true).
    pub use_bias: bool,
    /// Layer norm after attention and after the MLP (true).
    pub layer_norm: bool,
    /// With a value, induced set attention blocks (ISAB) with this many learned inducing
    /// points replace the full self-attention blocks (SAB), for large sets (none).
    pub num_inducing_points: Option<usize>,
    /// Width of the seed vectors (`embed_dims.last()` when none).
    pub seed_dim: Option<usize>,
}

impl Default for SetTransformerConfig {
    fn default() -> Self {
        Self {
            summary_dim: 16,
            embed_dims: vec![64, 64],
            num_heads: vec![4, 4],
            mlp_depths: vec![2, 2],
            mlp_widths: vec![128, 128],
            num_seeds: 1,
            dropout: 0.05,
            mlp_activation: Activation::Gelu,
            kernel_initializer: KernelInit::LecunNormal,
            use_bias: true,
            layer_norm: true,
            num_inducing_points: None,
            seed_dim: None,
        }
    }
}

impl SetTransformerConfig {
    /// The settings of attention block `i`.
    fn block(&self, i: usize) -> BlockSettings {
        BlockSettings {
            embed_dim: self.embed_dims[i],
            heads: self.num_heads[i],
            mlp_depth: self.mlp_depths[i],
            mlp_width: self.mlp_widths[i],
            activation: self.mlp_activation,
            init: self.kernel_initializer,
            dropout: self.dropout,
            use_bias: self.use_bias,
            layer_norm: self.layer_norm,
        }
    }

    fn check(&self) -> NetResult<()> {
        let n = self.embed_dims.len();
        let lists = [
            &self.embed_dims,
            &self.num_heads,
            &self.mlp_depths,
            &self.mlp_widths,
        ];
        if n == 0 || lists.iter().any(|l| l.len() != n || l.contains(&0)) {
            return Err(NetError::config(
                "SetTransformer",
                format!(
                    "embed_dims, num_heads, mlp_depths and mlp_widths need the same positive length and positive entries, got {:?}, {:?}, {:?}, {:?}",
                    self.embed_dims, self.num_heads, self.mlp_depths, self.mlp_widths
                ),
            ));
        }
        if self.summary_dim == 0
            || self.num_seeds == 0
            || self.num_inducing_points == Some(0)
            || self.seed_dim == Some(0)
        {
            return Err(NetError::config(
                "SetTransformer",
                "summary_dim, num_seeds, num_inducing_points and seed_dim must be positive",
            ));
        }
        check_dropout("SetTransformer", self.dropout)
    }

    /// Builds the network for sets shaped `input_shape = (set, dim)` under `path`.
    pub fn build<B: Backend>(
        &self,
        path: &ParamPath<B>,
        input_shape: &[usize],
        rng: &mut (impl Rng + ?Sized),
    ) -> NetResult<SetTransformer<B>> {
        self.check()?;
        let mut rng = rng;
        let mut d = set_input_dim("SetTransformer", input_shape)?;
        let mut blocks = Vec::with_capacity(self.embed_dims.len());
        for i in 0..self.embed_dims.len() {
            let s = self.block(i);
            let p = path.sub("blocks").sub(i);
            let block = match self.num_inducing_points {
                None => SetBlock::Full(Box::new(AttentionBlock::new(&p, d, d, &s, &mut rng)?)),
                Some(m) => {
                    let e = s.embed_dim;
                    p.reserve("inducing_points", &[m, e])?;
                    let values = Init::GlorotUniform.sample(&[m, e], &mut rng)?;
                    SetBlock::Induced(Box::new(InducedBlock {
                        inducing_points: param_from_values(
                            &p,
                            "inducing_points",
                            &[m, e],
                            &values,
                        )?,
                        to_points: AttentionBlock::new(&p.sub("mab0"), e, d, &s, &mut rng)?,
                        from_points: AttentionBlock::new(&p.sub("mab1"), d, e, &s, &mut rng)?,
                    }))
                }
            };
            blocks.push(block);
            d = s.embed_dim;
        }
        let last = self.block(self.embed_dims.len() - 1);
        let pooling = PoolingByAttention::new(
            &path.sub("pooling"),
            d,
            self.num_seeds,
            self.seed_dim,
            &last,
            &mut rng,
        )?;
        let output_projector = dense(
            &path.sub("output_projector"),
            pooling.out_dim(),
            self.summary_dim,
            KernelInit::GlorotUniform,
            &mut rng,
        )?;
        Ok(SetTransformer {
            blocks,
            pooling,
            output_projector,
            summary_dim: self.summary_dim,
        })
    }
}

summary_network!(SetTransformerConfig => SetTransformer, "set_transformer");

/// A self-attention block over the set: full (SAB) or through inducing points (ISAB).
#[derive(Debug, Clone)]
enum SetBlock<B: Backend> {
    /// `MAB(x, x)`: every element attends to every real element, `O(n²)`.
    Full(Box<AttentionBlock<B>>),
    /// `MAB(x, MAB(I, x))`: `m` learned points attend to the real elements, then the
    /// elements attend to the points, `O(n·m)`.
    Induced(Box<InducedBlock<B>>),
}

/// The parts of an induced set attention block (ISAB).
#[derive(Debug, Clone)]
struct InducedBlock<B: Backend> {
    inducing_points: Param<B>,
    to_points: AttentionBlock<B>,
    from_points: AttentionBlock<B>,
}

impl<B: Backend> SetBlock<B> {
    fn forward(
        &self,
        x: &Tensor<B>,
        mask: Option<&Tensor<B>>,
        mut rng: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<Tensor<B>> {
        match self {
            SetBlock::Full(block) => block.forward(x, x, mask, rng),
            SetBlock::Induced(isab) => {
                let points = isab.inducing_points.value();
                let s = points.shape();
                let queries = points
                    .unsqueeze(0)?
                    .broadcast_to(&[x.dim(0)?, s[0], s[1]])?;
                let h = isab
                    .to_points
                    .forward(&queries, x, mask, rng.as_deref_mut())?;
                isab.from_points.forward(x, &h, None, rng)
            }
        }
    }
}

/// A set transformer (Lee et al., 2019) as in BayesFlow 2: self-attention blocks (SAB, or
/// ISAB with inducing points for large sets), pooling by multi-head attention (PMA) with
/// learned seeds, and a linear projection: `(batch, set, dim)` → `(batch, summary_dim)`.
///
/// Permutation invariant; padded elements (mask 0) are never attended to, so they never
/// change the summary, and any set size is accepted.
///
/// ```
/// use abi_ndarray::{Cpu, NdArray};
/// use abi_nets::summary::{SetTransformerConfig, SummaryNetwork};
/// use abi_tensor::{ParamStore, Tensor};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let store = ParamStore::<NdArray>::new(Cpu);
/// let config = SetTransformerConfig { num_inducing_points: Some(8), ..Default::default() };
/// let net = config.build(&store.root().sub("summary"), &[40, 2], &mut rng)?;
/// let x = Tensor::<NdArray>::randn(&[4, 40, 2], &mut rng, &Cpu)?;
/// assert_eq!(net.summarize(&x, None)?.shape(), [4, 16]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SetTransformer<B: Backend> {
    blocks: Vec<SetBlock<B>>,
    pooling: PoolingByAttention<B>,
    output_projector: Dense<B>,
    summary_dim: usize,
}

impl<B: Backend> SetTransformer<B> {
    fn forward(
        &self,
        x: &Tensor<B>,
        mask: Option<&Tensor<B>>,
        mut rng: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<Tensor<B>> {
        mask::check("SetTransformer", x, mask)?;
        let mut h = x.clone();
        for block in &self.blocks {
            h = block.forward(&h, mask, rng.as_deref_mut())?;
        }
        let pooled = self.pooling.forward(&h, mask, rng)?;
        self.output_projector.forward(&pooled)
    }
}
