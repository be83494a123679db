#![doc = include_str!("../README.md")]

mod activation;
mod dense;
mod mlp;

pub use activation::Activation;
pub use dense::Dense;
pub use mlp::{Mlp, MlpConfig};
