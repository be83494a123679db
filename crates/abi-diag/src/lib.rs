#![doc = include_str!("../README.md")]

mod c2st;
mod error;

pub use c2st::{c2st, c2st_with, C2stConfig};
pub use error::{DiagError, Result};
