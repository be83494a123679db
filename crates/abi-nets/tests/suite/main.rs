//! The abi-nets integration tests, one binary: each module is one former test file.

mod absurd_sizes;
mod bimodal;
mod consistency;
mod coupling_flow;
mod flow_matching;
mod fusion;
mod gaussian_fit;
mod helpers;
mod layers;
mod maf;
mod mlp;
mod ot;
mod point;
mod spline;
mod summary;
mod summary_kit;
