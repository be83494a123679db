#![doc = include_str!("../README.md")]

mod activation;
mod dense;
pub mod inference;
mod mlp;
pub mod summary;

pub use activation::Activation;
pub use dense::Dense;
pub use inference::{
    CouplingFlow, CouplingFlowConfig, CouplingTransform, FlowMatching, FlowMatchingConfig,
    InferenceNetwork, Maf, MafConfig, Mode,
};
pub use mlp::{Mlp, MlpConfig};
