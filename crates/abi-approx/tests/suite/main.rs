//! The abi-approx integration tests, one binary: each module is one former test file.

mod checkpoints;
mod crash;
mod datasets;
mod faults;
mod fixture;
mod fusion;
mod gaussian_linear;
mod gaussian_means;
mod importance;
mod joint;
mod likelihood;
mod model_comparison;
mod model_files;
mod point;
mod ratio;
mod rejection;
mod sequential;
mod shards;
mod time_series;
mod tiny;
mod training;
mod two_moons;
