#![doc = include_str!("../README.md")]
mod chains;
mod density;
pub mod diagnostics;
mod error;
mod importance;
mod init;
mod nuts;
mod progress;
mod slice;

pub use chains::Chains;
pub use density::{LogDensity, Pointwise};
pub use error::{McmcError, Result};
pub use importance::{Resampled, importance_resample};
pub use init::sir_inits;
pub use nuts::{GradientDensity, NutsOptions, nuts_sample};
pub use slice::{SliceOptions, chain_rng, slice_sample, slice_sample_with};
