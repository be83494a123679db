#![doc = include_str!("../README.md")]

mod activation;
mod attention;
mod builtin;
mod conditioning;
mod dense;
mod error;
pub mod inference;
mod mlp;
mod norm;
pub mod registry;
pub mod summary;

pub use activation::Activation;
pub use attention::MultiHeadAttention;
pub use conditioning::{Film, FourierEmbedding};
pub use dense::Dense;
pub use error::{NetError, NetResult};
pub use inference::{
    ConsistencyModel, ConsistencyModelConfig, CouplingFlow, CouplingFlowConfig, CouplingTransform,
    FlowMatching, FlowMatchingConfig, InferenceNetwork, Maf, MafConfig, Mode,
};
pub use mlp::{Mlp, MlpConfig};
pub use norm::{LayerNorm, RmsNorm};
pub use registry::{InferenceConfig, NetworkSpec, Registry, SummaryConfig};
