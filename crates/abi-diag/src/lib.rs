#![doc = include_str!("../README.md")]

mod c2st;
mod error;

pub use c2st::{C2stConfig, c2st, c2st_with};
pub use error::{DiagError, Result};
