#![doc = include_str!("../README.md")]

mod gaussian;

pub use gaussian::{ConditionalGaussian, ConditionalGaussianConfig};
