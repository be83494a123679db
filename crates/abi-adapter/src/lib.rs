#![doc = include_str!("../README.md")]

mod adapter;
mod builder;
mod data;
pub mod elementwise;
mod error;
mod file;
mod float;
mod log_det;
pub mod transforms;

pub use adapter::Adapter;
pub use data::{Data, GROUP_SEPARATOR};
pub use elementwise::{ConstrainMethod, Elementwise};
pub use error::{AdapterError, Result};
pub use file::{FORMAT_NAME, FORMAT_VERSION};
pub use transforms::{
    CustomTransform, DType, RunningStats, SimplexMethod, Transform, nan_mask_key,
};
