//! Inference networks: generative networks that learn `q(v | c)`.

//!
//! Families, one folder each: [`coupling`] (affine and spline coupling flows),
//! [`flow_matching`] (with its ODE solvers and optimal-transport pairing), [`maf`],
//! [`consistency`] and [`point`] estimators. Parts several families share sit beside them:
//! the latent distribution, permutations, ActNorm, the time-conditioned MLP and chunked
//! sampling. Every network family is registered by name in [`crate::Registry`].

mod actnorm;
mod base;
mod chunked;
pub mod consistency;
pub mod coupling;
pub mod flow_matching;
pub mod maf;
mod permutation;
pub mod point;
mod time_mlp;

pub use coupling::spline;
pub use flow_matching::{ode, ot};

pub use actnorm::ActNorm;
pub use base::BaseDistribution;
pub use consistency::{ConsistencyModel, ConsistencyModelConfig};
pub use coupling::{
    Coupling, CouplingFlow, CouplingFlowConfig, CouplingTransform, PermutationKind,
};
pub use flow_matching::{Divergence, FlowMatching, FlowMatchingConfig};
pub use maf::{Maf, MafConfig};
pub use permutation::{OrthogonalMixing, Permutation, StoredPermutation};
pub use point::{Estimate, PointEstimator, PointEstimatorConfig, Score};

use abi_tensor::{Backend, Result, Tensor, TensorError};
use rand::RngCore;
pub(crate) use time_mlp::time_column;

/// Whether a network runs for training (dropout on) or inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Training: stochastic layers are active.
    Train,
    /// Inference: deterministic.
    #[default]
    Eval,
}

/// A network that learns a conditional density `q(v | c)` of inference variables `v` given
/// conditions `c`, can be trained on samples, sampled, and evaluated.
///
/// Shapes: `v` is `(batch, dim)`, `c` is `(batch, cond)`; samples are `(batch, n, dim)`.
pub trait InferenceNetwork<B: Backend>: Send + Sync {
    /// Dimension of the inference variables.
    fn dim(&self) -> usize;

    /// The training loss of a batch (a scalar), e.g. the mean negative log-density.
    fn loss(
        &self,
        v: &Tensor<B>,
        c: Option<&Tensor<B>>,
        mode: Mode,
        rng: &mut dyn RngCore,
    ) -> Result<Tensor<B>>;

    /// `log q(v | c)` per row: `(batch, dim)` → `(batch,)`.
    fn log_prob(&self, v: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<Tensor<B>>;

    /// `n` draws per row of `c` (or `n` unconditional draws, as a batch of one):
    /// `(batch, cond)` → `(batch, n, dim)`.
    fn sample(&self, n: usize, c: Option<&Tensor<B>>, rng: &mut dyn RngCore) -> Result<Tensor<B>>;

    /// The network as `Any`, for an approximator that needs its concrete type (e.g. the point
    /// approximator's estimates); `None` (the default) for networks that need no downcast.
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }

    /// The latent code of each row, `v → z`: `(batch, dim)` → `(batch, dim)`, for networks
    /// that have one (normalising flows; under a well-trained flow the codes of simulated
    /// parameters are standard normal, the latent-space diagnostic). The default is an error.
    fn latent(&self, v: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        let _ = (v, c);
        Err(TensorError::InvalidArgument {
            op: "InferenceNetwork::latent",
            reason: "this network has no latent map".into(),
        })
    }
}
