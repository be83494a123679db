//! abi's promise to downstream crates: a network defined outside abi-nets trains through the
//! approximator, saves, and loads by name in a fresh registry with identical draws.
#![allow(clippy::unwrap_used)]

use abi_adapter::Adapter;
use abi_approx::dataset::OfflineDataset;
use abi_approx::{ContinuousApproximator, ContinuousApproximatorBuilder, LoadOptions, TrainConfig};
use abi_extension_demo::ConditionalGaussianConfig;
use abi_ndarray::{Cpu, NdArray};
use abi_nets::{NetworkSpec, Registry};
use abi_sim::benchmarks::{BenchmarkTask, GaussianLinear};
use abi_sim::{Distribution, simulate};
use rand::SeedableRng;

fn registry() -> Registry<NdArray> {
    let mut r = Registry::<NdArray>::empty();
    r.register_inference::<ConditionalGaussianConfig>().unwrap();
    r
}

#[test]
fn a_downstream_network_trains_saves_and_loads_by_name() {
    let task = GaussianLinear::with_dim(3).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let sims = simulate(&task.clone().simulator(), 4_000, 1_000, &mut rng, false).unwrap();
    let adapter = Adapter::new()
        .standardize(&["theta", "x"])
        .rename("theta", "inference_variables")
        .rename("x", "inference_conditions");
    let mut approx = ContinuousApproximatorBuilder::new(adapter)
        .inference_network(
            NetworkSpec::new("conditional_gaussian")
                .set("widths=[32, 32]")
                .unwrap(),
        )
        .seed(2)
        .build_with_registry::<NdArray>(&sims, &Cpu, &registry())
        .unwrap();
    let cfg = TrainConfig::new(30)
        .learning_rate(2e-3)
        .patience(None)
        .quiet();
    approx
        .fit(&mut OfflineDataset::new(sims, 128, 3).unwrap(), &cfg)
        .unwrap();

    // it learned the analytic posterior N(x / 2, 0.05 I)
    let x = [0.3, -0.2, 0.1];
    let mut obs = abi_sim::Batch::new();
    obs.insert(
        "x",
        ndarray::ArrayD::from_shape_vec(vec![1, 3], x.to_vec()).unwrap(),
    )
    .unwrap();
    let draw = |a: &ContinuousApproximator<NdArray>| {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        a.sample(4_000, &obs, &mut rng)
            .unwrap()
            .f64("theta")
            .unwrap()
            .clone()
    };
    let theta = draw(&approx);
    let Distribution::MvNormal { mean, cov, .. } = task.posterior(&x).unwrap().unwrap() else {
        unreachable!("gaussian_linear has a Gaussian posterior")
    };
    for j in 0..3 {
        let column: Vec<f64> = (0..4_000).map(|i| theta[[0, i, j]]).collect();
        let m = column.iter().sum::<f64>() / 4_000.0;
        let var = column.iter().map(|v| (v - m).powi(2)).sum::<f64>() / 3_999.0;
        let sd = cov[j * 3 + j].sqrt();
        assert!(
            (m - mean[j]).abs() < 0.25 * sd,
            "mean {j}: {m} vs {}",
            mean[j]
        );
        assert!(
            (var / cov[j * 3 + j] - 1.0).abs() < 0.2,
            "variance {j}: {var}"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    approx.save(dir.path()).unwrap();
    let json = std::fs::read_to_string(dir.path().join("model.json")).unwrap();
    assert!(
        json.contains("\"conditional_gaussian\""),
        "the model file names the network"
    );

    // a registry without the network refuses the file, naming what it lacks
    let err = ContinuousApproximator::<NdArray>::load(dir.path(), &Cpu).unwrap_err();
    assert!(err.to_string().contains("conditional_gaussian"), "{err}");

    // a fresh registry that knows it rebuilds the same model
    let loaded = ContinuousApproximator::<NdArray>::load_with(
        dir.path(),
        &Cpu,
        &LoadOptions::new().registry_from(registry()),
    )
    .unwrap();
    assert_eq!(draw(&approx), draw(&loaded));
    let rows = obs.clone();
    let mut with_theta = rows.clone();
    with_theta
        .insert(
            "theta",
            ndarray::ArrayD::from_shape_vec(vec![1, 3], vec![0.1, 0.0, 0.2]).unwrap(),
        )
        .unwrap();
    assert_eq!(
        approx.log_prob(&with_theta).unwrap(),
        loaded.log_prob(&with_theta).unwrap()
    );
    assert_eq!(
        approx.latent(&with_theta).unwrap(),
        loaded.latent(&with_theta).unwrap()
    );
}
