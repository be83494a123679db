//! abi-diag behaviour tests: one integration-test binary, seeded, with thresholds that broken
//! implementations fail.
#![allow(clippy::unwrap_used)]

mod c2st;
mod calibration;
mod common;
mod mmd;
mod model_comparison;
mod plots;
mod recovery;
mod report;
