//! [`TimeSeriesNetwork`]: LSTNet-style convolutional-recurrent summaries of time series.

use super::conv::{MaskedConv1d, Padding};
use super::deep_set::set_input_dim;
use super::init::{KernelInit, dense};
use super::mask;
use super::recurrent::{RecurrentLayer, RecurrentType, mask_steps, sequence_steps};
use super::residual_mlp::{check_dropout, dropout};
use crate::error::{NetError, NetResult};
use crate::{Activation, Dense};
use abi_tensor::{Backend, ParamPath, Result, Tensor};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

/// Settings of a [`TimeSeriesNetwork`]; the defaults are BayesFlow 2's. Registered as
/// `time_series_network`. `filters`, `kernel_sizes` and `strides` list one entry per
/// convolution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeSeriesNetworkConfig {
    /// Width of the summary (16).
    pub summary_dim: usize,
    /// Output channels of each convolution ((32)).
    pub filters: Vec<usize>,
    /// Kernel size of each convolution ((3)).
    pub kernel_sizes: Vec<usize>,
    /// Stride of each convolution ((1)).
    pub strides: Vec<usize>,
    /// Activation of the convolutions (`mish`).
    pub activation: Activation,
    /// Initialiser of the convolution kernels (`glorot_uniform`).
    pub kernel_initializer: KernelInit,
    /// `gru` (default) or `lstm`.
    pub recurrent_type: RecurrentType,
    /// Hidden units of the recurrent layers (128).
    pub recurrent_dim: usize,
    /// Whether the recurrent layers also run backward in time, summed (true).
    pub bidirectional: bool,
    /// Dropout of the recurrent summary in training (0.05).
    pub dropout: f64,
    /// Steps per block of the skip path: a convolution with kernel and stride
    /// `skip_steps` feeds a second recurrent layer (4).
    pub skip_steps: usize,
}

impl Default for TimeSeriesNetworkConfig {
    fn default() -> Self {
        Self {
            summary_dim: 16,
            filters: vec![32],
            kernel_sizes: vec![3],
            strides: vec![1],
            activation: Activation::Mish,
            kernel_initializer: KernelInit::GlorotUniform,
            recurrent_type: RecurrentType::Gru,
            recurrent_dim: 128,
            bidirectional: true,
            dropout: 0.05,
            skip_steps: 4,
        }
    }
}

impl TimeSeriesNetworkConfig {
    fn check(&self) -> NetResult<()> {
        let n = self.filters.len();
        let lists = [&self.filters, &self.kernel_sizes, &self.strides];
        if n == 0 || lists.iter().any(|l| l.len() != n || l.contains(&0)) {
            return Err(NetError::config(
                "TimeSeriesNetwork",
                format!(
                    "filters, kernel_sizes and strides need the same positive length and positive entries, got {:?}, {:?}, {:?}",
                    self.filters, self.kernel_sizes, self.strides
                ),
            ));
        }
        if self.summary_dim == 0 || self.recurrent_dim == 0 || self.skip_steps == 0 {
            return Err(NetError::config(
                "TimeSeriesNetwork",
                "summary_dim, recurrent_dim and skip_steps must be positive",
            ));
        }
        check_dropout("TimeSeriesNetwork", self.dropout)
    }

    /// Builds the network for series shaped `input_shape = (time, dim)` under `path`.
    pub fn build<B: Backend>(
        &self,
        path: &ParamPath<B>,
        input_shape: &[usize],
        rng: &mut (impl Rng + ?Sized),
    ) -> NetResult<TimeSeriesNetwork<B>> {
        self.check()?;
        let mut rng = rng;
        let mut c = set_input_dim("TimeSeriesNetwork", input_shape)?;
        let mut convs = Vec::with_capacity(self.filters.len());
        for (i, ((&f, &k), &s)) in self
            .filters
            .iter()
            .zip(&self.kernel_sizes)
            .zip(&self.strides)
            .enumerate()
        {
            convs.push(MaskedConv1d::new(
                &path.sub("conv").sub(i),
                c,
                f,
                k,
                s,
                Padding::Same,
                self.activation,
                self.kernel_initializer,
                &mut rng,
            )?);
            c = f;
        }
        let p = self.skip_steps;
        let orthogonal = KernelInit::Orthogonal;
        let skip_conv = MaskedConv1d::new(
            &path.sub("skip_conv"),
            c,
            c * p,
            p,
            p,
            Padding::Blocks,
            Activation::Identity,
            orthogonal,
            &mut rng,
        )?;
        let (kind, h, bi) = (self.recurrent_type, self.recurrent_dim, self.bidirectional);
        let recurrent =
            RecurrentLayer::new(&path.sub("recurrent"), kind, c, h, bi, orthogonal, &mut rng)?;
        let skip_recurrent = RecurrentLayer::new(
            &path.sub("skip_recurrent"),
            kind,
            c * p,
            h,
            bi,
            orthogonal,
            &mut rng,
        )?;
        let output_projector = dense(
            &path.sub("output_projector"),
            h,
            self.summary_dim,
            KernelInit::GlorotUniform,
            &mut rng,
        )?;
        Ok(TimeSeriesNetwork {
            convs,
            skip_conv,
            recurrent,
            skip_recurrent,
            dropout: self.dropout,
            output_projector,
            summary_dim: self.summary_dim,
        })
    }
}

summary_network!(TimeSeriesNetworkConfig => TimeSeriesNetwork, "time_series_network");

/// An LSTNet-style time-series network (Lai et al., 2018; BayesFlow 2's
/// `TimeSeriesNetwork`): convolutions over time extract local features; a (bidirectional)
/// GRU or LSTM summarises them, and a skip path — a convolution over blocks of
/// `skip_steps` steps feeding a second recurrent layer — adds long-range structure; the two
/// final states are summed, dropped out in training and projected:
/// `(batch, time, dim)` → `(batch, summary_dim)`.
///
/// With a mask `(batch, time)`, padding at the end of a series gives the summary of the
/// series without it: padded steps are zeroed before each convolution (as the zeros beyond
/// the end of an unpadded series), and the recurrent layers skip padded steps.
///
/// ```
/// use abi_ndarray::{Cpu, NdArray};
/// use abi_nets::summary::{SummaryNetwork, TimeSeriesNetworkConfig};
/// use abi_tensor::{ParamStore, Tensor};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let store = ParamStore::<NdArray>::new(Cpu);
/// let config = TimeSeriesNetworkConfig { recurrent_dim: 32, ..Default::default() };
/// let net = config.build(&store.root().sub("summary"), &[30, 2], &mut rng)?;
/// let x = Tensor::<NdArray>::randn(&[4, 30, 2], &mut rng, &Cpu)?;
/// assert_eq!(net.summarize(&x, None)?.shape(), [4, 16]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TimeSeriesNetwork<B: Backend> {
    convs: Vec<MaskedConv1d<B>>,
    skip_conv: MaskedConv1d<B>,
    recurrent: RecurrentLayer<B>,
    skip_recurrent: RecurrentLayer<B>,
    dropout: f64,
    output_projector: Dense<B>,
    summary_dim: usize,
}

impl<B: Backend> TimeSeriesNetwork<B> {
    fn forward(
        &self,
        x: &Tensor<B>,
        mask: Option<&Tensor<B>>,
        rng: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<Tensor<B>> {
        mask::check("TimeSeriesNetwork", x, mask)?;
        let mut h = x.permute(&[0, 2, 1])?; // (batch, channels, time)
        let mut m = mask.map(Tensor::detach);
        for conv in &self.convs {
            h = conv.forward(&h, m.as_ref())?;
            m = m.map(|m| conv.output_mask(&m)).transpose()?;
        }
        let skip = self.skip_conv.forward(&h, m.as_ref())?;
        let skip_mask = m
            .as_ref()
            .map(|m| self.skip_conv.output_mask(m))
            .transpose()?;
        let steps = sequence_steps(&h.permute(&[0, 2, 1])?)?;
        let masks = m.as_ref().map(mask_steps).transpose()?;
        let (_, direct) = self.recurrent.forward(&steps, masks.as_deref(), false)?;
        let skip_steps = sequence_steps(&skip.permute(&[0, 2, 1])?)?;
        let skip_masks = skip_mask.as_ref().map(mask_steps).transpose()?;
        let (_, skipped) =
            self.skip_recurrent
                .forward(&skip_steps, skip_masks.as_deref(), false)?;
        let summary = dropout(&direct.add(&skipped)?, self.dropout, rng)?;
        self.output_projector.forward(&summary)
    }
}
