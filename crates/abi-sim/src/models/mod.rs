//! Models of the tutorials abi follows, with their exact posteriors where they have one.

mod gaussian_means;
pub mod predator_prey;

pub use gaussian_means::{GaussianMeans, SetSize};
pub use predator_prey::PredatorPrey;
