//! [`TimeSeriesTransformer`]: self-attention over time with a Time2Vec embedding.

use super::attention::{AttentionBlock, BlockSettings};
use super::deep_set::set_input_dim;
use super::init::{KernelInit, dense};
use super::mask;
use super::recurrent_network::{embed_time, time_embedding};
use super::residual_mlp::check_dropout;
use super::time2vec::Time2Vec;
use crate::error::{NetError, NetResult};
use crate::{Activation, Dense};
use abi_tensor::{Backend, ParamPath, Result, Tensor};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

/// Settings of a [`TimeSeriesTransformer`]; the defaults are BayesFlow 2's. Registered as
/// `time_series_transformer`. The number of attention blocks is the length of `embed_dims`
/// (and of `num_heads`, `mlp_depths`, `mlp_widths`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeSeriesTransformerConfig {
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
    /// Features of the Time2Vec embedding appended to each step (8; 0 for none).
    pub time_embed_dim: usize,
    /// The feature holding explicit times, removed from the features and fed to the time
    /// embedding (none: steps `0, 1, 2, ...`).
    pub time_axis: Option<usize>,
}

impl Default for TimeSeriesTransformerConfig {
    fn default() -> Self {
        Self {
            summary_dim: 16,
            embed_dims: vec![64, 64],
            num_heads: vec![4, 4],
            mlp_depths: vec![2, 2],
            mlp_widths: vec![128, 128],
            dropout: 0.05,
            mlp_activation: Activation::Gelu,
            kernel_initializer: KernelInit::LecunNormal,
            use_bias: true,
            layer_norm: true,
            time_embed_dim: 8,
            time_axis: None,
        }
    }
}

impl TimeSeriesTransformerConfig {
    fn check(&self) -> NetResult<()> {
        let n = self.embed_dims.len();
        let lists = [
            &self.embed_dims,
            &self.num_heads,
            &self.mlp_depths,
            &self.mlp_widths,
        ];
        if n == 0 || lists.iter().any(|l| l.len() != n || l.contains(&0)) || self.summary_dim == 0 {
            return Err(NetError::config(
                "TimeSeriesTransformer",
                format!(
                    "summary_dim must be positive; embed_dims, num_heads, mlp_depths and mlp_widths need the same positive length and positive entries, got {:?}, {:?}, {:?}, {:?}",
                    self.embed_dims, self.num_heads, self.mlp_depths, self.mlp_widths
                ),
            ));
        }
        check_dropout("TimeSeriesTransformer", self.dropout)
    }

    /// Builds the network for series shaped `input_shape = (time, dim)` under `path`.
    pub fn build<B: Backend>(
        &self,
        path: &ParamPath<B>,
        input_shape: &[usize],
        rng: &mut (impl Rng + ?Sized),
    ) -> NetResult<TimeSeriesTransformer<B>> {
        self.check()?;
        let mut rng = rng;
        let dim = set_input_dim("TimeSeriesTransformer", input_shape)?;
        let (time, mut d) = time_embedding(
            "TimeSeriesTransformer",
            &path.sub("time2vec"),
            dim,
            self.time_embed_dim,
            self.time_axis,
            &mut rng,
        )?;
        let mut blocks = Vec::with_capacity(self.embed_dims.len());
        for i in 0..self.embed_dims.len() {
            let s = BlockSettings {
                embed_dim: self.embed_dims[i],
                heads: self.num_heads[i],
                mlp_depth: self.mlp_depths[i],
                mlp_width: self.mlp_widths[i],
                activation: self.mlp_activation,
                init: self.kernel_initializer,
                dropout: self.dropout,
                use_bias: self.use_bias,
                layer_norm: self.layer_norm,
            };
            blocks.push(AttentionBlock::new(
                &path.sub("blocks").sub(i),
                d,
                d,
                &s,
                &mut rng,
            )?);
            d = s.embed_dim;
        }
        let output_projector = dense(
            &path.sub("output_projector"),
            d,
            self.summary_dim,
            KernelInit::GlorotUniform,
            &mut rng,
        )?;
        Ok(TimeSeriesTransformer {
            time,
            time_axis: self.time_axis,
            blocks,
            output_projector,
            summary_dim: self.summary_dim,
        })
    }
}

summary_network!(TimeSeriesTransformerConfig => TimeSeriesTransformer, "time_series_transformer");

/// A time-series transformer as in BayesFlow 2: a Time2Vec embedding of the step times,
/// self-attention blocks over all (real) steps, the mean over the real steps and a linear
/// projection: `(batch, time, dim)` → `(batch, summary_dim)`.
///
/// The time embedding makes it order-sensitive; with a mask `(batch, time)`, padded steps
/// are never attended to nor averaged, so padding at the end of a series gives the summary
/// of the series without it.
///
/// ```
/// use abi_ndarray::{Cpu, NdArray};
/// use abi_nets::summary::{SummaryNetwork, TimeSeriesTransformerConfig};
/// use abi_tensor::{ParamStore, Tensor};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let store = ParamStore::<NdArray>::new(Cpu);
/// let net = TimeSeriesTransformerConfig::default()
///     .build(&store.root().sub("summary"), &[25, 2], &mut rng)?;
/// let x = Tensor::<NdArray>::randn(&[4, 25, 2], &mut rng, &Cpu)?;
/// assert_eq!(net.summarize(&x, None)?.shape(), [4, 16]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TimeSeriesTransformer<B: Backend> {
    time: Option<Time2Vec<B>>,
    time_axis: Option<usize>,
    blocks: Vec<AttentionBlock<B>>,
    output_projector: Dense<B>,
    summary_dim: usize,
}

impl<B: Backend> TimeSeriesTransformer<B> {
    fn forward(
        &self,
        x: &Tensor<B>,
        mask: Option<&Tensor<B>>,
        mut rng: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<Tensor<B>> {
        mask::check("TimeSeriesTransformer", x, mask)?;
        let mut h = embed_time(self.time.as_ref(), self.time_axis, x)?;
        for block in &self.blocks {
            h = block.forward(&h, &h, mask, rng.as_deref_mut())?;
        }
        self.output_projector.forward(&mask::mean(&h, mask)?)
    }
}
