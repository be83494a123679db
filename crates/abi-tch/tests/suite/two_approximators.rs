//! Two approximators with different network families, trained at the same time in one
//! process on libtorch, end with exactly the weights each reaches when trained alone: no
//! gradient bookkeeping is shared between models.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use abi_adapter::Adapter;
use abi_approx::dataset::OfflineDataset;
use abi_approx::{ContinuousApproximator, ContinuousApproximatorBuilder, TrainConfig};
use abi_nets::NetworkSpec;
use abi_sim::benchmarks::{BenchmarkTask, TwoMoons};
use abi_sim::{Batch, simulate};
use abi_tch::Tch;
use rand::SeedableRng;
use std::collections::BTreeMap;

fn moons(n: usize, seed: u64) -> Batch {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    simulate(&TwoMoons::new().unwrap().simulator(), n, n, &mut rng, false).unwrap()
}

fn network(name: &str) -> NetworkSpec {
    match name {
        "maf" => NetworkSpec::new("maf").set("hidden=16").unwrap(),
        _ => NetworkSpec::new(name)
            .set("depth=2")
            .unwrap()
            .set("subnet_widths=[16]")
            .unwrap(),
    }
}

fn train(name: &str, data: &Batch) -> BTreeMap<String, Vec<f64>> {
    let adapter = Adapter::new()
        .standardize(&["theta", "x"])
        .rename("theta", "inference_variables")
        .rename("x", "inference_conditions");
    let mut a: ContinuousApproximator<Tch> = ContinuousApproximatorBuilder::new(adapter)
        .inference_network(network(name))
        .seed(5)
        .build::<Tch>(data, &crate::cpu())
        .unwrap();
    a.fit(
        &mut OfflineDataset::new(data.clone(), 64, 0).unwrap(),
        &TrainConfig::new(3).patience(None).quiet(),
    )
    .unwrap();
    a.parameters()
        .tensors()
        .into_iter()
        .map(|(k, t)| (k, t.to_f64_vec().unwrap()))
        .collect()
}

#[test]
fn two_approximators_train_independently_in_one_process() {
    let data = moons(512, 4);
    let families = ["maf", "spline_coupling_flow"];
    let alone: Vec<_> = families.iter().map(|f| train(f, &data)).collect();
    let together: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = families
            .iter()
            .map(|f| {
                let data = &data;
                s.spawn(move || train(f, data))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for ((family, a), b) in families.iter().zip(&alone).zip(&together) {
        assert_eq!(
            a, b,
            "{family}: weights differ when trained beside another model"
        );
    }
}
