//! Data-parallel training steps: a batch split into shards gives the gradients of the whole
//! batch (so, with a deterministic loss and a linear optimiser, the same weights), shards
//! with noise stay deterministic, and a shard count of zero is refused.
#![allow(clippy::unwrap_used)]

use abi_adapter::Adapter;
use abi_approx::dataset::OfflineDataset;
use abi_approx::{
    ApproxError, ContinuousApproximator, ContinuousApproximatorBuilder, OptimizerChoice,
    ScheduleChoice, TrainConfig,
};
use abi_ndarray::{Cpu, NdArray};
use abi_nets::NetworkSpec;
use abi_sim::benchmarks::{BenchmarkTask, TwoMoons};
use abi_sim::{Batch, simulate};
use rand::SeedableRng;
use std::ops::ControlFlow;

fn moons(n: usize) -> Batch {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    simulate(&TwoMoons::new().unwrap().simulator(), n, n, &mut rng, false).unwrap()
}

fn approximator(data: &Batch, dropout: f64) -> ContinuousApproximator<NdArray> {
    let adapter = Adapter::new()
        .standardize(&["theta", "x"])
        .rename("theta", "inference_variables")
        .rename("x", "inference_conditions");
    let flow = NetworkSpec::new("coupling_flow")
        .set("depth=2")
        .unwrap()
        .set("subnet_widths=[16, 16]")
        .unwrap()
        .set(&format!("dropout={dropout}"))
        .unwrap();
    ContinuousApproximatorBuilder::new(adapter)
        .inference_network(flow)
        .seed(1)
        .build::<NdArray>(data, &Cpu)
        .unwrap()
}

/// The weights after `epochs` epochs of one 33-row batch each, with `shards` shards.
fn trained(shards: usize, dropout: f64, optimizer: OptimizerChoice) -> Vec<f32> {
    let data = moons(33);
    let mut approx = approximator(&data, dropout);
    let mut dataset = OfflineDataset::new(data, 33, 0).unwrap();
    let cfg = TrainConfig::new(3)
        .learning_rate(0.05)
        .optimizer(optimizer)
        .schedule(ScheduleChoice::Constant)
        .patience(None)
        .shards(shards)
        .quiet();
    approx
        .fit_with(
            &mut dataset,
            &cfg,
            None,
            &mut |_: &abi_approx::EpochRecord| ControlFlow::Continue(()),
        )
        .unwrap();
    approx
        .parameters()
        .tensors()
        .into_values()
        .flat_map(|t| t.to_vec().unwrap())
        .collect()
}

#[test]
fn shards_give_the_gradients_of_the_whole_batch() {
    let sgd = OptimizerChoice::Sgd { momentum: 0.0 };
    let whole = trained(1, 0.0, sgd);
    // 33 rows: shards of 16 + 17 and of 11 × 3, weighted by their rows
    for shards in [2, 3] {
        let split = trained(shards, 0.0, sgd);
        let worst = whole
            .iter()
            .zip(&split)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst < 1e-5,
            "{shards} shards moved a weight by {worst} more"
        );
    }
    let untrained = {
        let data = moons(33);
        approximator(&data, 0.0)
            .parameters()
            .tensors()
            .into_values()
            .flat_map(|t| t.to_vec().unwrap())
            .collect::<Vec<f32>>()
    };
    let moved = whole
        .iter()
        .zip(&untrained)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(moved > 1e-3, "training moved no weight ({moved})");
}

#[test]
fn sharded_training_with_noise_is_deterministic() {
    let a = trained(2, 0.1, OptimizerChoice::Adam);
    let b = trained(2, 0.1, OptimizerChoice::Adam);
    assert_eq!(a, b);
    // each shard draws its own noise, so the run is not the unsharded one
    assert_ne!(a, trained(1, 0.1, OptimizerChoice::Adam));
}

#[test]
fn zero_shards_are_refused() {
    let data = moons(33);
    let mut approx = approximator(&data, 0.0);
    let mut dataset = OfflineDataset::new(data, 33, 0).unwrap();
    let cfg = TrainConfig::new(1).shards(0).quiet();
    let err = approx
        .fit_with(
            &mut dataset,
            &cfg,
            None,
            &mut |_: &abi_approx::EpochRecord| ControlFlow::Continue(()),
        )
        .unwrap_err();
    assert!(
        matches!(&err, ApproxError::Config(m) if m.contains("shards")),
        "{err}"
    );
}
