//! [`FusionNetwork`]: one summary network per data source, their outputs joined.

use super::init::{KernelInit, dense};
use super::residual_mlp::{MlpStyle, ResidualMlp, check_dropout};
use super::{SummaryNetwork, SummarySource};
use crate::error::{NetError, NetResult};
use crate::registry::{NetworkSpec, Registry, SummaryConfig};
use crate::{Activation, Dense};
use abi_tensor::{Backend, ParamPath, Result, Tensor, TensorError};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Settings of a [`FusionNetwork`] (BayesFlow's `FusionNetwork`), registered as
/// `fusion_network`: a backbone per source, by the source's name, and an optional head.
///
/// ```
/// use abi_nets::NetworkSpec;
/// let spec = NetworkSpec::new("fusion_network")
///     .set(r#"backbones.trials={"name": "deep_set", "settings": {"summary_dim": 8}}"#)?
///     .set(r#"backbones.series={"name": "time_series_network"}"#)?
///     .set("head_widths=[64]")?
///     .set("summary_dim=12")?;
/// assert_eq!(spec.settings["backbones"]["trials"]["name"], "deep_set");
/// # Ok::<(), abi_nets::NetError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FusionNetworkConfig {
    /// The summary network of each source (the member name of the adapter's group
    /// `summary_variables`), built through the registry; at least one.
    pub backbones: BTreeMap<String, NetworkSpec>,
    /// Widths of a residual MLP over the joined backbone outputs (none: no head, the
    /// summary is the joined outputs).
    pub head_widths: Vec<usize>,
    /// A final linear projection to this width (none: no projection).
    pub summary_dim: Option<usize>,
    /// Activation of the head (`mish`, BayesFlow's MLP default).
    pub activation: Activation,
    /// Dropout of the head in training (0.05).
    pub dropout: f64,
}

impl Default for FusionNetworkConfig {
    fn default() -> Self {
        Self {
            backbones: BTreeMap::new(),
            head_widths: Vec::new(),
            summary_dim: None,
            activation: Activation::Mish,
            dropout: 0.05,
        }
    }
}

impl FusionNetworkConfig {
    /// Pairs each backbone with its source: by name, or the only backbone with the only
    /// source whatever its name.
    fn pair<'a>(
        &'a self,
        sources: &'a [(String, Vec<usize>)],
    ) -> NetResult<Vec<(&'a str, &'a NetworkSpec, &'a [usize])>> {
        if self.backbones.is_empty() {
            return Err(NetError::config(
                "FusionNetwork",
                "needs at least one backbone (backbones.<source>={\"name\": ...})",
            ));
        }
        if let ([(_, shape)], 1) = (sources, self.backbones.len()) {
            return Ok(self
                .backbones
                .iter()
                .map(|(name, spec)| (name.as_str(), spec, shape.as_slice()))
                .collect());
        }
        if let Some((extra, _)) = sources
            .iter()
            .find(|(n, _)| !self.backbones.contains_key(n))
        {
            return Err(NetError::config(
                "FusionNetwork",
                format!(
                    "source `{extra}` has no backbone (backbones: {:?})",
                    self.backbones.keys().collect::<Vec<_>>()
                ),
            ));
        }
        self.backbones
            .iter()
            .map(|(name, spec)| {
                let shape = sources
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, s)| s.as_slice())
                    .ok_or_else(|| {
                        NetError::config(
                            "FusionNetwork",
                            format!(
                                "backbone `{name}` has no source (sources: {:?})",
                                sources.iter().map(|(n, _)| n).collect::<Vec<_>>()
                            ),
                        )
                    })?;
                Ok((name.as_str(), spec, shape))
            })
            .collect()
    }
}

impl SummaryConfig for FusionNetworkConfig {
    const NAME: &'static str = "fusion_network";

    /// A one-backbone fusion of a single input (the backbones are the built-in networks).
    fn build_network<B: Backend>(
        &self,
        path: &ParamPath<B>,
        input_shape: &[usize],
        rng: &mut dyn RngCore,
    ) -> NetResult<Box<dyn SummaryNetwork<B>>> {
        let sources = [(String::new(), input_shape.to_vec())];
        self.build_sources(path, &sources, &Registry::new(), rng)
    }

    fn build_sources<B: Backend>(
        &self,
        path: &ParamPath<B>,
        sources: &[(String, Vec<usize>)],
        registry: &Registry<B>,
        mut rng: &mut dyn RngCore,
    ) -> NetResult<Box<dyn SummaryNetwork<B>>> {
        check_dropout("FusionNetwork", self.dropout)?;
        if self.head_widths.contains(&0) || self.summary_dim == Some(0) {
            return Err(NetError::config(
                "FusionNetwork",
                format!(
                    "head widths and summary_dim must be positive, got {:?} and {:?}",
                    self.head_widths, self.summary_dim
                ),
            ));
        }
        let mut backbones = Vec::with_capacity(self.backbones.len());
        let mut width = 0;
        for (name, spec, shape) in self.pair(sources)? {
            let sub = path.sub("backbones").sub(name);
            let (net, _) = registry.build_summary(spec, &sub, shape, rng)?;
            width += net.output_dim();
            backbones.push((name.to_string(), net));
        }
        let head = if self.head_widths.is_empty() {
            None
        } else {
            let style = MlpStyle {
                activation: self.activation,
                init: KernelInit::HeNormal,
                dropout: self.dropout,
                residual: true,
            };
            let mlp =
                ResidualMlp::new(&path.sub("head"), width, &self.head_widths, style, &mut rng)?;
            width = mlp.out_dim();
            Some(mlp)
        };
        let projector = match self.summary_dim {
            Some(d) => {
                let p = dense(
                    &path.sub("projector"),
                    width,
                    d,
                    KernelInit::GlorotUniform,
                    &mut rng,
                )?;
                width = d;
                Some(p)
            }
            None => None,
        };
        Ok(Box::new(FusionNetwork {
            backbones,
            head,
            projector,
            output_dim: width,
        }))
    }
}

/// A fusion of data sources (BayesFlow's `FusionNetwork`): each source is summarised by its
/// own backbone (any summary network: a [`DeepSet`](super::DeepSet) for a set of trials, a
/// [`TimeSeriesNetwork`](super::TimeSeriesNetwork) for a series, ...), the summaries are
/// joined in the backbones' name order and optionally passed through a residual MLP head and
/// a linear projection: sources → `(batch, output_dim)`.
///
/// With one backbone it also takes a single input ([`SummaryNetwork::summarize`]); with
/// several it takes named sources ([`SummaryNetwork::summarize_sources`]), each with its own
/// mask.
pub struct FusionNetwork<B: Backend> {
    backbones: Vec<(String, Box<dyn SummaryNetwork<B>>)>,
    head: Option<ResidualMlp<B>>,
    projector: Option<Dense<B>>,
    output_dim: usize,
}

impl<B: Backend> std::fmt::Debug for FusionNetwork<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FusionNetwork")
            .field(
                "backbones",
                &self.backbones.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("head", &self.head.is_some())
            .field("output_dim", &self.output_dim)
            .finish()
    }
}

impl<B: Backend> FusionNetwork<B> {
    /// The backbones' output joined, then the head; `rng` for training mode.
    fn join(
        &self,
        mut parts: Vec<Tensor<B>>,
        rng: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<Tensor<B>> {
        let mut h = if parts.len() == 1 {
            parts.swap_remove(0)
        } else {
            Tensor::cat(&parts, 1)?
        };
        if let Some(head) = &self.head {
            h = head.forward(&h, rng)?;
        }
        match &self.projector {
            Some(p) => p.forward(&h),
            None => Ok(h),
        }
    }

    fn single(
        &self,
        x: &Tensor<B>,
        mask: Option<&Tensor<B>>,
        rng: Option<&mut dyn RngCore>,
    ) -> Result<Tensor<B>> {
        let source = SummarySource { name: "", x, mask };
        self.summarize_sources(&[source], rng)
    }
}

impl<B: Backend> SummaryNetwork<B> for FusionNetwork<B> {
    fn output_dim(&self) -> usize {
        self.output_dim
    }

    fn summarize(&self, x: &Tensor<B>, mask: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        self.single(x, mask, None)
    }

    fn summarize_train(
        &self,
        x: &Tensor<B>,
        mask: Option<&Tensor<B>>,
        rng: &mut dyn RngCore,
    ) -> Result<Tensor<B>> {
        self.single(x, mask, Some(rng))
    }

    fn summarize_sources(
        &self,
        sources: &[SummarySource<'_, B>],
        mut rng: Option<&mut dyn RngCore>,
    ) -> Result<Tensor<B>> {
        let names = || sources.iter().map(|s| s.name).collect::<Vec<_>>();
        let only = self.backbones.len() == 1 && sources.len() == 1;
        if !only {
            if let Some(extra) = sources
                .iter()
                .find(|s| !self.backbones.iter().any(|(n, _)| n == s.name))
            {
                return Err(TensorError::InvalidArgument {
                    op: "FusionNetwork",
                    reason: format!("source `{}` has no backbone", extra.name),
                });
            }
        }
        let mut parts = Vec::with_capacity(self.backbones.len());
        for (name, net) in &self.backbones {
            let source = if only {
                sources.first()
            } else {
                sources.iter().find(|s| s.name == name)
            };
            let source = source.ok_or_else(|| TensorError::InvalidArgument {
                op: "FusionNetwork",
                reason: format!("no source `{name}` among {:?}", names()),
            })?;
            parts.push(match rng.as_deref_mut() {
                Some(r) => net.summarize_train(source.x, source.mask, r)?,
                None => net.summarize(source.x, source.mask)?,
            });
        }
        self.join(parts, rng)
    }
}
