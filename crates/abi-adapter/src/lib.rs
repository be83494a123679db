#![doc = include_str!("../README.md")]

mod adapter;
mod data;
mod elementwise;
mod error;
mod transform;

pub use adapter::{Adapter, FORMAT_NAME, FORMAT_VERSION};
pub use data::Data;
pub use elementwise::Elementwise;
pub use error::{AdapterError, Result};
pub use transform::{CustomTransform, DType, RunningStats, Transform};
