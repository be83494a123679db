//! The abi-approx integration tests, one binary: each module is one former test file.

mod datasets;
mod fixture;
mod fusion;
mod gaussian_linear;
mod gaussian_means;
mod importance;
mod joint;
mod likelihood;
mod model_comparison;
mod nan_guard;
mod point;
mod ratio;
mod rejection;
mod sequential;
mod shards;
mod time_series;
mod training;
mod two_moons;
