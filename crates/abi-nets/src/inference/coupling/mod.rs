//! Coupling flows: affine or spline coupling layers with ActNorm and permutations.

mod layer;
pub mod spline;

pub(crate) use layer::LN_E_MINUS_1;
pub use layer::{Coupling, CouplingTransform};

use super::chunked::map_draws;
use super::permutation::{OrthogonalMixing, StoredPermutation};
use super::{ActNorm, BaseDistribution, InferenceNetwork, Mode, Permutation};
use crate::Activation;
use crate::error::{NetError, NetResult};
use abi_tensor::{Backend, ParamPath, Result, Tensor, TensorError, no_grad};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

/// How features are shuffled between coupling layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermutationKind {
    /// A fixed random permutation per layer (BayesFlow's default).
    Random,
    /// Reverse the feature order.
    Swap,
    /// No permutation.
    None,
    /// A learnable orthogonal mixing per layer (Householder reflections).
    Orthogonal,
}

/// The mixing step of a layer: a fixed permutation or a learned orthogonal map.
enum Mixing<B: Backend> {
    Fixed(StoredPermutation<B>),
    Reverse(Permutation),
    Orthogonal(OrthogonalMixing<B>),
}

impl<B: Backend> Mixing<B> {
    fn forward(&self, x: &Tensor<B>) -> Result<Tensor<B>> {
        match self {
            Mixing::Fixed(p) => p.forward(x),
            Mixing::Reverse(p) => p.forward(x),
            Mixing::Orthogonal(q) => q.forward(x),
        }
    }

    fn inverse(&self, y: &Tensor<B>) -> Result<Tensor<B>> {
        match self {
            Mixing::Fixed(p) => p.inverse(y),
            Mixing::Reverse(p) => p.inverse(y),
            Mixing::Orthogonal(q) => q.inverse(y),
        }
    }
}

/// Settings of a [`CouplingFlow`]; the defaults are BayesFlow 2's. Registered as
/// `coupling_flow` (affine) and `spline_coupling_flow` (spline transform).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CouplingFlowConfig {
    /// Number of coupling layers (each transforms both halves once).
    pub depth: usize,
    /// Hidden widths of each coupling subnet.
    pub subnet_widths: Vec<usize>,
    /// Subnet activation.
    pub activation: Activation,
    /// Subnet dropout rate in training.
    pub dropout: f64,
    /// Permutation between layers.
    pub permutation: PermutationKind,
    /// Whether each layer starts with ActNorm.
    pub actnorm: bool,
    /// Affine (default) or spline couplings.
    pub transform: CouplingTransform,
    /// The latent distribution.
    pub base: BaseDistribution,
}

impl Default for CouplingFlowConfig {
    fn default() -> Self {
        Self {
            depth: 6,
            subnet_widths: vec![128, 128],
            activation: Activation::HardSilu,
            dropout: 0.05,
            permutation: PermutationKind::Random,
            actnorm: true,
            transform: CouplingTransform::Affine,
            base: BaseDistribution::Normal,
        }
    }
}

struct Layer<B: Backend> {
    actnorm: Option<ActNorm<B>>,
    permutation: Option<Mixing<B>>,
    first: Coupling<B>,
    rotate: Permutation,
    second: Coupling<B>,
}

/// A normalising flow of coupling layers (affine or spline) with ActNorm and permutations, mapping
/// inference variables to a standard-normal latent (Dinh et al., 2017; Kingma & Dhariwal,
/// 2018; as configured by BayesFlow, Radev et al., 2020).
///
/// `log q(v | c) = log N(z; 0, I) + log |det ∂z/∂v|`, trained by maximum likelihood; sampling
/// inverts the layers from standard-normal draws.
pub struct CouplingFlow<B: Backend> {
    layers: Vec<Layer<B>>,
    dim: usize,
    cond_dim: usize,
    config: CouplingFlowConfig,
}

impl<B: Backend> std::fmt::Debug for CouplingFlow<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CouplingFlow")
            .field("dim", &self.dim)
            .field("cond_dim", &self.cond_dim)
            .field("config", &self.config)
            .finish()
    }
}

impl CouplingFlowConfig {
    /// Builds a flow over `dim` inference variables with `cond_dim` condition features.
    pub fn build<B: Backend>(
        &self,
        path: &ParamPath<B>,
        dim: usize,
        cond_dim: usize,
        rng: &mut impl Rng,
    ) -> NetResult<CouplingFlow<B>> {
        self.base.check()?;
        if dim < 2 || self.depth == 0 || !(0.0..1.0).contains(&self.dropout) {
            return Err(NetError::config(
                "CouplingFlow",
                format!(
                    "need dim >= 2, depth >= 1 and dropout in [0, 1), got dim {dim}, depth {}, dropout {}",
                    self.depth, self.dropout
                ),
            ));
        }
        if self.subnet_widths.contains(&0) {
            return Err(NetError::config(
                "CouplingFlow",
                format!(
                    "subnet widths must be positive, got {:?}",
                    self.subnet_widths
                ),
            ));
        }
        let split = dim / 2;
        let rotation: Vec<usize> = (split..dim).chain(0..split).collect();
        let mut layers = Vec::with_capacity(self.depth.min(64));
        for i in 0..self.depth {
            let p = path.sub(i);
            let coupling = |name: &str, split: usize, mut rng: &mut dyn RngCore| {
                Coupling::new(
                    &p.sub(name),
                    dim,
                    split,
                    cond_dim,
                    &self.subnet_widths,
                    self.activation,
                    self.dropout,
                    self.transform,
                    &mut rng,
                )
            };
            layers.push(Layer {
                actnorm: if self.actnorm {
                    Some(ActNorm::new(&p.sub("actnorm"), dim, rng)?)
                } else {
                    None
                },
                permutation: match self.permutation {
                    PermutationKind::Random => Some(Mixing::Fixed(StoredPermutation::new(
                        &p.sub("permutation"),
                        Permutation::random(dim, rng),
                    )?)),
                    PermutationKind::Swap => Some(Mixing::Reverse(Permutation::reverse(dim))),
                    PermutationKind::None => None,
                    PermutationKind::Orthogonal => Some(Mixing::Orthogonal(OrthogonalMixing::new(
                        &p.sub("mixing"),
                        dim,
                        rng,
                    )?)),
                },
                first: coupling("coupling_a", split, rng)?,
                rotate: Permutation::new(rotation.clone())?,
                second: coupling("coupling_b", dim - split, rng)?,
            });
        }
        Ok(CouplingFlow {
            layers,
            dim,
            cond_dim,
            config: self.clone(),
        })
    }
}

crate::registry::inference_config!(CouplingFlowConfig, "coupling_flow");

impl<B: Backend> CouplingFlow<B> {
    /// The settings it was built with.
    pub fn config(&self) -> &CouplingFlowConfig {
        &self.config
    }

    fn check(&self, v: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<()> {
        let vs = v.shape();
        let ok_v = vs.last() == Some(&self.dim);
        let ok_c = match c {
            Some(c) => {
                c.shape().last() == Some(&self.cond_dim)
                    && c.shape()[..c.rank() - 1] == vs[..vs.len() - 1]
            }
            None => self.cond_dim == 0,
        };
        if ok_v && ok_c {
            Ok(())
        } else {
            Err(TensorError::ShapeMismatch {
                op: "CouplingFlow",
                lhs: vs,
                rhs: c.map(|c| c.shape()).unwrap_or_default(),
            })
        }
    }

    /// `v → z` and `log |det ∂z/∂v|` per row.
    pub fn forward(
        &self,
        v: &Tensor<B>,
        c: Option<&Tensor<B>>,
        mut train: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<(Tensor<B>, Tensor<B>)> {
        self.check(v, c)?;
        let mut x = v.clone();
        let lead: Vec<usize> = v.shape()[..v.rank() - 1].to_vec();
        let mut log_det = Tensor::zeros(&lead, &v.device())?;
        for layer in &self.layers {
            if let Some(a) = &layer.actnorm {
                let (y, ld) = a.forward(&x)?;
                x = y;
                log_det = log_det.add(&ld)?;
            }
            if let Some(p) = &layer.permutation {
                x = p.forward(&x)?;
            }
            let (y, ld) = layer.first.forward(&x, c, train.as_deref_mut())?;
            log_det = log_det.add(&ld)?;
            x = layer.rotate.forward(&y)?;
            let (y, ld) = layer.second.forward(&x, c, train.as_deref_mut())?;
            log_det = log_det.add(&ld)?;
            x = y;
        }
        Ok((x, log_det))
    }

    /// `z → v`.
    pub fn inverse(&self, z: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        self.check(z, c)?;
        let mut x = z.clone();
        for layer in self.layers.iter().rev() {
            x = layer.second.inverse(&x, c)?;
            x = layer.rotate.inverse(&x)?;
            x = layer.first.inverse(&x, c)?;
            if let Some(p) = &layer.permutation {
                x = p.inverse(&x)?;
            }
            if let Some(a) = &layer.actnorm {
                x = a.inverse(&x)?;
            }
        }
        Ok(x)
    }
}

impl<B: Backend> InferenceNetwork<B> for CouplingFlow<B> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn loss(
        &self,
        v: &Tensor<B>,
        c: Option<&Tensor<B>>,
        mode: Mode,
        rng: &mut dyn RngCore,
    ) -> Result<Tensor<B>> {
        let train = match mode {
            Mode::Train => Some(rng),
            Mode::Eval => None,
        };
        let (z, log_det) = self.forward(v, c, train)?;
        self.config
            .base
            .log_prob(&z)?
            .add(&log_det)?
            .mean_all()?
            .neg()
    }

    fn latent(&self, v: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        Ok(self.forward(v, c, None)?.0)
    }

    fn log_prob(&self, v: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        let (z, log_det) = self.forward(v, c, None)?;
        self.config.base.log_prob(&z)?.add(&log_det)
    }

    fn sample(&self, n: usize, c: Option<&Tensor<B>>, rng: &mut dyn RngCore) -> Result<Tensor<B>> {
        no_grad::<B, _>(|| {
            let batch = c.map(|c| c.dim(0)).transpose()?.unwrap_or(1);
            let device = c.map(|c| c.device()).unwrap_or_default();
            let z = self
                .config
                .base
                .sample::<B>(&[batch, n, self.dim], rng, &device)?;
            map_draws(&z, c, |z, c| self.inverse(z, c))
        })
    }
}
