//! Inference networks: generative networks that learn `q(v | c)`.

mod actnorm;
mod base;
mod chunked;
mod consistency;
mod coupling;
mod coupling_flow;
mod flow_matching;
mod maf;
pub mod ode;
pub mod ot;
mod permutation;
mod point;
mod registry;
pub mod spline;
mod time_mlp;

pub use actnorm::ActNorm;
pub use base::BaseDistribution;
pub use consistency::{ConsistencyModel, ConsistencyModelConfig};
pub use coupling::{Coupling, CouplingTransform};
pub use coupling_flow::{CouplingFlow, CouplingFlowConfig, PermutationKind};
pub use flow_matching::{Divergence, FlowMatching, FlowMatchingConfig};
pub use maf::{Maf, MafConfig};
pub use permutation::{OrthogonalMixing, Permutation};
pub use point::{Estimate, PointEstimator, PointEstimatorConfig, Score};
pub use registry::InferenceNetworkConfig;

use abi_tensor::{Backend, Result, Tensor};
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
}
