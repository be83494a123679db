//! The abi-sim integration tests, one binary: each module is one former test file.

mod benchmarks;
mod npz_io;
mod priors;
mod reference;
mod simulators;
