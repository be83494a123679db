//! [`RecurrentNetwork`]: stacked (bidirectional) GRUs or LSTMs over a time series.

use super::deep_set::set_input_dim;
use super::init::{KernelInit, dense};
use super::mask;
use super::recurrent::{RecurrentLayer, RecurrentType, mask_steps, sequence_steps};
use super::residual_mlp::{check_dropout, dropout};
use super::time2vec::{Time2Vec, split_time_axis};
use crate::Dense;
use crate::error::{NetError, NetResult};
use abi_tensor::{Backend, ParamPath, Result, Tensor};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

/// Settings of a [`RecurrentNetwork`]; the defaults are BayesFlow 2's. Registered as
/// `recurrent_network`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecurrentNetworkConfig {
    /// Width of the summary (16).
    pub summary_dim: usize,
    /// Hidden units of each stacked recurrent layer ((128, 128)).
    pub hidden_dim: Vec<usize>,
    /// `gru` (default) or `lstm`.
    pub recurrent_type: RecurrentType,
    /// Whether each layer also runs backward in time, the directions summed (true).
    pub bidirectional: bool,
    /// Features of the Time2Vec embedding appended to each step (16; 0 for none).
    pub time_embed_dim: usize,
    /// The feature holding explicit times, removed from the features and fed to the time
    /// embedding (none: steps `0, 1, 2, ...`).
    pub time_axis: Option<usize>,
    /// Dropout of the final state in training (0.05).
    pub dropout: f64,
    /// Initialiser of the input kernels and the output projection (`orthogonal`).
    pub kernel_initializer: KernelInit,
}

impl Default for RecurrentNetworkConfig {
    fn default() -> Self {
        Self {
            summary_dim: 16,
            hidden_dim: vec![128, 128],
            recurrent_type: RecurrentType::Gru,
            bidirectional: true,
            time_embed_dim: 16,
            time_axis: None,
            dropout: 0.05,
            kernel_initializer: KernelInit::Orthogonal,
        }
    }
}

/// The time embedding of sequences with `dim` features: Time2Vec of `embed_dim` features
/// (none when 0), after removing an explicit time feature. Returns the embedding and the
/// width of the embedded steps.
pub(crate) fn time_embedding<B: Backend>(
    network: &'static str,
    path: &ParamPath<B>,
    dim: usize,
    embed_dim: usize,
    time_axis: Option<usize>,
    rng: &mut (impl Rng + ?Sized),
) -> NetResult<(Option<Time2Vec<B>>, usize)> {
    let d = match time_axis {
        Some(a) if a >= dim || dim < 2 => {
            return Err(NetError::config(
                network,
                format!("time_axis {a} needs another feature beside it among {dim}"),
            ));
        }
        Some(_) => dim - 1,
        None => dim,
    };
    match embed_dim {
        0 => Ok((None, d)),
        1 => Err(NetError::config(
            network,
            "time_embed_dim must be 0 (none) or at least 2 (one trend and one periodic feature)",
        )),
        e => Ok((Some(Time2Vec::new(path, e - 1, rng)?), d + e)),
    }
}

/// Applies [`time_embedding`]'s parts to `(batch, time, dim)`.
pub(crate) fn embed_time<B: Backend>(
    embedding: Option<&Time2Vec<B>>,
    time_axis: Option<usize>,
    x: &Tensor<B>,
) -> Result<Tensor<B>> {
    let (x, times) = split_time_axis(x, time_axis)?;
    match embedding {
        Some(e) => e.forward(&x, times.as_ref()),
        None => Ok(x),
    }
}

impl RecurrentNetworkConfig {
    /// Builds the network for series shaped `input_shape = (time, dim)` under `path`.
    pub fn build<B: Backend>(
        &self,
        path: &ParamPath<B>,
        input_shape: &[usize],
        rng: &mut (impl Rng + ?Sized),
    ) -> NetResult<RecurrentNetwork<B>> {
        if self.summary_dim == 0 || self.hidden_dim.is_empty() || self.hidden_dim.contains(&0) {
            return Err(NetError::config(
                "RecurrentNetwork",
                format!(
                    "summary_dim and hidden_dim must be positive (at least one layer), got {} and {:?}",
                    self.summary_dim, self.hidden_dim
                ),
            ));
        }
        check_dropout("RecurrentNetwork", self.dropout)?;
        let mut rng = rng;
        let dim = set_input_dim("RecurrentNetwork", input_shape)?;
        let (time, mut d) = time_embedding(
            "RecurrentNetwork",
            &path.sub("time2vec"),
            dim,
            self.time_embed_dim,
            self.time_axis,
            &mut rng,
        )?;
        let mut layers = Vec::with_capacity(self.hidden_dim.len());
        for (i, &h) in self.hidden_dim.iter().enumerate() {
            layers.push(RecurrentLayer::new(
                &path.sub("recurrent").sub(i),
                self.recurrent_type,
                d,
                h,
                self.bidirectional,
                self.kernel_initializer,
                &mut rng,
            )?);
            d = h;
        }
        let output_projector = dense(
            &path.sub("output_projector"),
            d,
            self.summary_dim,
            self.kernel_initializer,
            &mut rng,
        )?;
        Ok(RecurrentNetwork {
            time,
            time_axis: self.time_axis,
            layers,
            dropout: self.dropout,
            output_projector,
            summary_dim: self.summary_dim,
        })
    }
}

summary_network!(RecurrentNetworkConfig => RecurrentNetwork, "recurrent_network");

/// A recurrent summary network as in BayesFlow 2: a Time2Vec embedding of the step times,
/// stacked (bidirectional, summed) GRU or LSTM layers, dropout of the last layer's final
/// state and a linear projection: `(batch, time, dim)` → `(batch, summary_dim)`.
///
/// With a mask `(batch, time)`, padded steps leave the state unchanged: padding at the end
/// of a series gives the summary of the series without it. Per step, each cell takes one
/// matrix product with its input kernel, one with its recurrent kernel and a few
/// elementwise operations on whole gate blocks.
///
/// ```
/// use abi_ndarray::{Cpu, NdArray};
/// use abi_nets::summary::{RecurrentNetworkConfig, SummaryNetwork};
/// use abi_tensor::{ParamStore, Tensor};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let store = ParamStore::<NdArray>::new(Cpu);
/// let config = RecurrentNetworkConfig { hidden_dim: vec![32], ..Default::default() };
/// let net = config.build(&store.root().sub("summary"), &[20, 2], &mut rng)?;
/// let x = Tensor::<NdArray>::randn(&[4, 20, 2], &mut rng, &Cpu)?;
/// assert_eq!(net.summarize(&x, None)?.shape(), [4, 16]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RecurrentNetwork<B: Backend> {
    time: Option<Time2Vec<B>>,
    time_axis: Option<usize>,
    layers: Vec<RecurrentLayer<B>>,
    dropout: f64,
    output_projector: Dense<B>,
    summary_dim: usize,
}

impl<B: Backend> RecurrentNetwork<B> {
    fn forward(
        &self,
        x: &Tensor<B>,
        mask: Option<&Tensor<B>>,
        rng: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<Tensor<B>> {
        mask::check("RecurrentNetwork", x, mask)?;
        let masks = mask.map(mask_steps).transpose()?;
        let mut steps = sequence_steps(&embed_time(self.time.as_ref(), self.time_axis, x)?)?;
        let mut last = None;
        for (i, layer) in self.layers.iter().enumerate() {
            let more = i + 1 < self.layers.len();
            let (outputs, fin) = layer.forward(&steps, masks.as_deref(), more)?;
            steps = outputs;
            last = Some(fin);
        }
        let Some(last) = last else {
            return Err(abi_tensor::TensorError::InvalidArgument {
                op: "RecurrentNetwork",
                reason: "no recurrent layer".into(),
            });
        };
        let last = dropout(&last, self.dropout, rng)?;
        self.output_projector.forward(&last)
    }
}
