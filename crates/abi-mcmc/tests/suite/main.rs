//! abi-mcmc's integration tests.
#![allow(clippy::unwrap_used)] // tests panic on failure by design

mod diagnostics;
mod nuts;
mod slice;
