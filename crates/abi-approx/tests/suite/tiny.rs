//! What the robustness tests share: two-moons simulations, a tiny NPE model and a folder's
//! entry names.
#![allow(clippy::unwrap_used)]

use abi_adapter::Adapter;
use abi_approx::{ContinuousApproximator, ContinuousApproximatorBuilder};
use abi_ndarray::{Cpu, NdArray};
use abi_nets::NetworkSpec;
use abi_nets::inference::CouplingFlowConfig;
use abi_sim::benchmarks::{BenchmarkTask, TwoMoons};
use abi_sim::{Batch, simulate};
use rand::SeedableRng;
use std::path::Path;

/// `n` two-moons simulations (`theta`, `x`) from `seed`.
pub fn moons(n: usize, seed: u64) -> Batch {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    simulate(&TwoMoons::new().unwrap().simulator(), n, n, &mut rng, false).unwrap()
}

/// An affine coupling flow of `depth` layers with subnets of one hidden layer of `width`,
/// initialised from `seed`, for `theta` given `x` (standardised when `standardize`).
pub fn model(
    seed: u64,
    depth: usize,
    width: usize,
    standardize: bool,
) -> ContinuousApproximator<NdArray> {
    let adapter = if standardize {
        Adapter::new().standardize(&["theta", "x"])
    } else {
        Adapter::new()
    }
    .rename("theta", "inference_variables")
    .rename("x", "inference_conditions");
    let spec = NetworkSpec::from_config(&CouplingFlowConfig {
        depth,
        subnet_widths: vec![width],
        ..CouplingFlowConfig::default()
    })
    .unwrap();
    ContinuousApproximatorBuilder::new(adapter)
        .inference_network(spec)
        .seed(seed)
        .build::<NdArray>(&moons(64, seed), &Cpu)
        .unwrap()
}

/// The values of all of a model's parameters and buffers, in name order.
pub fn weights(m: &ContinuousApproximator<NdArray>) -> Vec<f32> {
    m.parameters()
        .tensors()
        .values()
        .flat_map(|t| t.to_vec().unwrap())
        .collect()
}

/// The names of the entries of `dir`.
pub fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}
