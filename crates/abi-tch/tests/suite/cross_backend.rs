//! A posterior approximator trained on one backend loads and runs on the other.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use abi_adapter::Adapter;
use abi_approx::dataset::OfflineDataset;
use abi_approx::{ContinuousApproximator, ContinuousApproximatorBuilder, TrainConfig};
use abi_ndarray::{Cpu, NdArray};
use abi_nets::NetworkSpec;
use abi_nets::inference::spline::SplineConfig;
use abi_nets::inference::{CouplingFlowConfig, CouplingTransform};
use abi_sim::benchmarks::{BenchmarkTask, TwoMoons};
use abi_sim::{Batch, simulate};
use abi_tch::Tch;
use abi_tensor::Backend;
use rand::SeedableRng;

fn moons(n: usize, seed: u64) -> Batch {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    simulate(&TwoMoons::new().unwrap().simulator(), n, n, &mut rng, false).unwrap()
}

fn train<B: Backend>(data: &Batch, device: &B::Device) -> ContinuousApproximator<B> {
    let adapter = Adapter::new()
        .standardize(&["theta", "x"])
        .rename("theta", "inference_variables")
        .rename("x", "inference_conditions");
    let mut a = ContinuousApproximatorBuilder::new(adapter)
        .inference_network(
            NetworkSpec::from_config(&CouplingFlowConfig {
                depth: 2,
                subnet_widths: vec![16, 16],
                transform: CouplingTransform::Spline(SplineConfig::default()),
                ..CouplingFlowConfig::default()
            })
            .unwrap(),
        )
        .seed(3)
        .build::<B>(data, device)
        .unwrap();
    a.fit(
        &mut OfflineDataset::new(data.clone(), 64, 0).unwrap(),
        &TrainConfig::new(3).quiet(),
    )
    .unwrap();
    a
}

fn max_difference(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn draws<B: Backend>(a: &ContinuousApproximator<B>, obs: &Batch) -> Vec<f64> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(77);
    let s = a.sample(200, obs, &mut rng).unwrap();
    s.f64("theta").unwrap().iter().copied().collect()
}

#[test]
fn approximators_move_between_backends_through_their_files() {
    let data = moons(600, 1);
    let obs = data.slice(0, 5).unwrap();
    let dir = tempfile::tempdir().unwrap();

    // trained on ndarray, run on libtorch
    let nd = train::<NdArray>(&data, &Cpu);
    nd.save(dir.path().join("nd")).unwrap();
    let th = ContinuousApproximator::<Tch>::load(dir.path().join("nd"), &crate::cpu()).unwrap();
    let lp = max_difference(&nd.log_prob(&obs).unwrap(), &th.log_prob(&obs).unwrap());
    assert!(lp < 1e-3, "log_prob differs by {lp}");
    let d = max_difference(&draws(&nd, &obs), &draws(&th, &obs));
    assert!(d < 1e-3, "samples differ by {d}");

    // trained on libtorch, run on ndarray
    let th = train::<Tch>(&data, &crate::cpu());
    th.save(dir.path().join("th")).unwrap();
    let nd = ContinuousApproximator::<NdArray>::load(dir.path().join("th"), &Cpu).unwrap();
    let lp = max_difference(&nd.log_prob(&obs).unwrap(), &th.log_prob(&obs).unwrap());
    assert!(lp < 1e-3, "log_prob differs by {lp}");
    let d = max_difference(&draws(&nd, &obs), &draws(&th, &obs));
    assert!(d < 1e-3, "samples differ by {d}");
}
