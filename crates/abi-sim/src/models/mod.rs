//! Models of the tutorials abi follows, with their exact posteriors where they have one.

mod gaussian_means;

pub use gaussian_means::{GaussianMeans, SetSize};
