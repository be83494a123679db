//! [`DeepSet`]: a permutation-invariant summary of exchangeable data.

mod layers;

use super::init::{KernelInit, dense};
use super::mask;
use super::pooling::Pooling;
use super::residual_mlp::{MlpStyle, check_dropout};
use crate::error::{NetError, NetResult};
use crate::{Activation, Dense};
use abi_tensor::{Backend, ParamPath, Result, Tensor};
use layers::{EquivariantLayer, EquivariantWidths, InvariantLayer};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

/// Settings of a [`DeepSet`]; the defaults are BayesFlow 2's. Registered as `deep_set`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeepSetConfig {
    /// Width of the summary (16).
    pub summary_dim: usize,
    /// Number of equivariant layers (2).
    pub depth: usize,
    /// Pooling inside the equivariant layers (`mean`).
    pub inner_pooling: Pooling,
    /// Pooling of the final invariant layer (`mean`; `pma` for attention, `max`).
    pub output_pooling: Pooling,
    /// Residual MLP widths applied to each element in the equivariant layers ((64, 64)).
    pub mlp_widths_equivariant: Vec<usize>,
    /// Widths before pooling in the equivariant layers' invariant summaries ((64, 64)).
    pub mlp_widths_invariant_inner: Vec<usize>,
    /// Widths after pooling in the equivariant layers' invariant summaries ((64, 4)).
    pub mlp_widths_invariant_outer: Vec<usize>,
    /// Widths before and after pooling in the final invariant layer ((64, 64)).
    pub mlp_widths_invariant_last: Vec<usize>,
    /// Activation of every MLP (`silu`).
    pub activation: Activation,
    /// Kernel initialiser of the MLPs and projections (`he_normal`).
    pub kernel_initializer: KernelInit,
    /// Dropout rate of the MLPs in training (0.05).
    pub dropout: f64,
}

impl Default for DeepSetConfig {
    fn default() -> Self {
        Self {
            summary_dim: 16,
            depth: 2,
            inner_pooling: Pooling::Mean,
            output_pooling: Pooling::Mean,
            mlp_widths_equivariant: vec![64, 64],
            mlp_widths_invariant_inner: vec![64, 64],
            mlp_widths_invariant_outer: vec![64, 4],
            mlp_widths_invariant_last: vec![64, 64],
            activation: Activation::Silu,
            kernel_initializer: KernelInit::HeNormal,
            dropout: 0.05,
        }
    }
}

impl DeepSetConfig {
    fn check(&self, input_shape: &[usize]) -> NetResult<()> {
        let widths = [
            &self.mlp_widths_equivariant,
            &self.mlp_widths_invariant_inner,
            &self.mlp_widths_invariant_outer,
            &self.mlp_widths_invariant_last,
        ];
        if self.summary_dim == 0 || widths.iter().any(|w| w.is_empty() || w.contains(&0)) {
            return Err(NetError::config(
                "DeepSet",
                format!(
                    "summary_dim and every MLP width must be positive and each width list non-empty, got {self:?}"
                ),
            ));
        }
        check_dropout("DeepSet", self.dropout)?;
        set_input_dim("DeepSet", input_shape).map(|_| ())
    }

    /// Builds the network for sets shaped `input_shape = (set, dim)` under `path`.
    pub fn build<B: Backend>(
        &self,
        path: &ParamPath<B>,
        input_shape: &[usize],
        rng: &mut (impl Rng + ?Sized),
    ) -> NetResult<DeepSet<B>> {
        self.check(input_shape)?;
        let mut rng = rng;
        let style = MlpStyle {
            activation: self.activation,
            init: self.kernel_initializer,
            dropout: self.dropout,
            residual: true,
        };
        let widths = EquivariantWidths {
            equivariant: &self.mlp_widths_equivariant,
            invariant_inner: &self.mlp_widths_invariant_inner,
            invariant_outer: &self.mlp_widths_invariant_outer,
        };
        let mut d = set_input_dim("DeepSet", input_shape)?;
        let mut equivariant = Vec::with_capacity(self.depth.min(64));
        for i in 0..self.depth {
            let layer = EquivariantLayer::new(
                &path.sub("equivariant").sub(i),
                d,
                widths,
                self.inner_pooling,
                style,
                &mut rng,
            )?;
            d = layer.out_dim();
            equivariant.push(layer);
        }
        let last = &self.mlp_widths_invariant_last;
        let invariant = InvariantLayer::new(
            &path.sub("invariant"),
            d,
            last,
            last,
            self.output_pooling,
            style,
            &mut rng,
        )?;
        let g = KernelInit::GlorotUniform;
        let output_projector = dense(
            &path.sub("output_projector"),
            invariant.out_dim(),
            self.summary_dim,
            g,
            &mut rng,
        )?;
        Ok(DeepSet {
            equivariant,
            invariant,
            output_projector,
            summary_dim: self.summary_dim,
        })
    }
}

/// The feature width of `(set, dim)` inputs.
pub(crate) fn set_input_dim(network: &'static str, input_shape: &[usize]) -> NetResult<usize> {
    match input_shape {
        [_, d] if *d > 0 => Ok(*d),
        _ => Err(NetError::config(
            network,
            format!("expects data sets shaped (set or time, dim), got {input_shape:?}"),
        )),
    }
}

summary_network!(DeepSetConfig => DeepSet, "deep_set");

/// A deep set (Zaheer et al., 2017) as in BayesFlow 2: `depth` equivariant layers, each
/// injecting a pooled invariant summary of the set into every element, then an invariant
/// layer (inner MLP, pooling by mean, max or multi-head attention, outer MLP) and a linear
/// projection: `(batch, set, dim)` → `(batch, summary_dim)`.
///
/// Permutation invariant; padded elements (mask 0) never change the summary, and any set
/// size is accepted.
///
/// ```
/// use abi_ndarray::{Cpu, NdArray};
/// use abi_nets::summary::{DeepSetConfig, SummaryNetwork};
/// use abi_tensor::{ParamStore, Tensor};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let store = ParamStore::<NdArray>::new(Cpu);
/// let net = DeepSetConfig::default().build(&store.root().sub("summary"), &[50, 3], &mut rng)?;
/// let x = Tensor::<NdArray>::randn(&[8, 50, 3], &mut rng, &Cpu)?;
/// assert_eq!(net.summarize(&x, None)?.shape(), [8, 16]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct DeepSet<B: Backend> {
    equivariant: Vec<EquivariantLayer<B>>,
    invariant: InvariantLayer<B>,
    output_projector: Dense<B>,
    summary_dim: usize,
}

impl<B: Backend> DeepSet<B> {
    fn forward(
        &self,
        x: &Tensor<B>,
        mask: Option<&Tensor<B>>,
        mut rng: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<Tensor<B>> {
        mask::check("DeepSet", x, mask)?;
        let mut h = x.clone();
        for layer in &self.equivariant {
            h = layer.forward(&h, mask, rng.as_deref_mut())?;
        }
        let pooled = self.invariant.forward(&h, mask, rng)?;
        self.output_projector.forward(&pooled)
    }
}
