//! Multi-source data through the approximator: the adapter groups two sources under
//! `summary_variables` (a set of trials and a series), a fusion network summarises them, the
//! model trains, samples, and saves and loads to the same draws; a single-input summary
//! network is refused for grouped sources with a hint.
#![allow(clippy::unwrap_used)]

use abi_adapter::Adapter;
use abi_approx::dataset::OfflineDataset;
use abi_approx::{ContinuousApproximator, ContinuousApproximatorBuilder, TrainConfig};
use abi_ndarray::{Cpu, NdArray};
use abi_nets::NetworkSpec;
use abi_sim::Batch;
use ndarray::{Array2, Array3};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use std::ops::ControlFlow;

/// θ = (a, b): trials `a + ε` (a set of 8), a series `b · t + ε` at t = 0..5.
fn data(n: usize, seed: u64) -> Batch {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
    let theta = Array2::from_shape_fn((n, 2), |_| normal());
    let trials = Array3::from_shape_fn((n, 8, 1), |(i, _, _)| theta[[i, 0]] + 0.5 * normal());
    let series = Array3::from_shape_fn((n, 6, 1), |(i, t, _)| {
        theta[[i, 1]] * t as f64 / 5.0 + 0.3 * normal()
    });
    let mut batch = Batch::new();
    batch.insert("theta", theta.into_dyn()).unwrap();
    batch.insert("trials", trials.into_dyn()).unwrap();
    batch.insert("series", series.into_dyn()).unwrap();
    batch
}

fn adapter() -> Adapter {
    Adapter::new().rename("theta", "inference_variables").group(
        &["trials", "series"],
        "summary_variables",
        "",
    )
}

fn fusion() -> NetworkSpec {
    NetworkSpec::new("fusion_network")
        .set(r#"backbones.trials={"name": "deep_set", "settings": {"summary_dim": 4, "mlp_widths_equivariant": [16, 16]}}"#)
        .unwrap()
        .set(r#"backbones.series={"name": "recurrent_network", "settings": {"summary_dim": 4, "hidden_dim": [16]}}"#)
        .unwrap()
        .set("head_widths=[16]")
        .unwrap()
}

fn flow() -> NetworkSpec {
    NetworkSpec::new("coupling_flow")
        .set("depth=2")
        .unwrap()
        .set("subnet_widths=[32, 32]")
        .unwrap()
}

#[test]
fn a_fusion_of_two_sources_trains_samples_and_round_trips() {
    let train = data(256, 1);
    let mut approx: ContinuousApproximator<NdArray> = ContinuousApproximatorBuilder::new(adapter())
        .summary_network(fusion())
        .inference_network(flow())
        .seed(2)
        .build::<NdArray>(&train, &Cpu)
        .unwrap();
    let mut dataset = OfflineDataset::new(train, 64, 3).unwrap();
    let history = approx
        .fit_with(
            &mut dataset,
            &TrainConfig::new(4).patience(None).quiet(),
            None,
            &mut |_: &abi_approx::EpochRecord| ControlFlow::Continue(()),
        )
        .unwrap();
    let losses: Vec<f64> = history.epochs.iter().map(|r| r.loss).collect();
    assert!(losses[3] < losses[0], "the loss did not fall: {losses:?}");

    let observed = data(3, 4);
    let summaries = approx.summarize(&observed).unwrap();
    assert_eq!(summaries.shape(), [3, 16]);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let draws = approx.sample(50, &observed, &mut rng).unwrap();
    assert_eq!(draws.f64("theta").unwrap().shape(), [3, 50, 2]);

    let dir = tempfile::tempdir().unwrap();
    approx.save(dir.path()).unwrap();
    let loaded = ContinuousApproximator::<NdArray>::load(dir.path(), &Cpu).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let again = loaded.sample(50, &observed, &mut rng).unwrap();
    assert_eq!(draws.f64("theta").unwrap(), again.f64("theta").unwrap());
}

#[test]
fn grouped_sources_need_a_network_that_takes_them() {
    let err = ContinuousApproximatorBuilder::new(adapter())
        .summary_network(NetworkSpec::new("deep_set"))
        .inference_network(flow())
        .build::<NdArray>(&data(16, 1), &Cpu)
        .map(|_| ())
        .unwrap_err();
    assert!(err.to_string().contains("fusion_network"), "{err}");
}
