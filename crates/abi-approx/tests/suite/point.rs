//! Point estimation on `gaussian_linear` (2-D), whose posterior is analytic: the learned
//! posterior mean, median and 10 % / 90 % quantiles, and the multivariate-normal head's
//! draws, against the exact ones on held-out data sets; save/load.
#![allow(clippy::unwrap_used)]

use abi_adapter::Adapter;
use abi_approx::dataset::OfflineDataset;
use abi_approx::{PointApproximator, PointApproximatorBuilder, PointNetworkConfig, TrainConfig};
use abi_ndarray::{Cpu, NdArray};
use abi_nets::NetworkSpec;
use abi_nets::inference::point::{PointEstimatorConfig, Score};
use abi_sim::benchmarks::{BenchmarkTask, GaussianLinear};
use abi_sim::{Distribution, simulate};
use rand::SeedableRng;

/// The 10 % quantile of a normal is its mean minus 1.2816 sd.
const Z90: f64 = 1.281_551_565_5;

#[test]
fn point_estimates_match_the_analytic_posterior() {
    let task = GaussianLinear::with_dim(2).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(61);
    let sims = simulate(&task.clone().simulator(), 10_000, 1_000, &mut rng, false).unwrap();
    let held_out = simulate(&task.clone().simulator(), 200, 200, &mut rng, false).unwrap();
    let adapter = Adapter::new()
        .standardize(&["theta", "x"])
        .rename("theta", "inference_variables")
        .rename("x", "inference_conditions");
    let config = PointNetworkConfig(PointEstimatorConfig {
        scores: vec![
            Score::Mean,
            Score::Median,
            Score::Quantiles {
                levels: vec![0.1, 0.9],
            },
            Score::MvNormal,
        ],
        widths: vec![64, 64],
        ..Default::default()
    });
    let mut approx = PointApproximatorBuilder::new(adapter, &["theta"])
        .inference_network(NetworkSpec::from_config(&config).unwrap())
        .seed(2)
        .build::<NdArray>(&sims, &Cpu)
        .unwrap();
    let cfg = TrainConfig::new(30)
        .learning_rate(1e-3)
        .patience(None)
        .quiet();
    approx
        .fit(&mut OfflineDataset::new(sims, 128, 3).unwrap(), &cfg)
        .unwrap();

    let estimates = approx.estimate(&held_out).unwrap();
    let names: Vec<&str> = estimates.iter().map(|e| e.name).collect();
    assert_eq!(names, ["mean", "median", "quantiles", "mv_normal"]);
    let x = held_out.f64("x").unwrap();
    let draws = approx.sample(2_000, &held_out, &mut rng).unwrap();
    let draws = draws.f64("theta").unwrap();
    assert_eq!(draws.shape(), &[200, 2_000, 2]);
    let (mut mean_sq, mut median_sq, mut quantile_sq, mut sd_ratio) = (0.0, 0.0, 0.0, 0.0);
    for i in 0..200 {
        let xi = [x[[i, 0]], x[[i, 1]]];
        let Distribution::MvNormal { mean, cov, .. } = task.posterior(&xi).unwrap().unwrap() else {
            unreachable!("the Gaussian task's posterior is a multivariate normal")
        };
        for j in 0..2 {
            let sd = cov[j * 2 + j].sqrt();
            let at = |k: usize| estimates[k].values.f64("theta").unwrap().clone();
            mean_sq += ((at(0)[[i, j]] - mean[j]) / sd).powi(2);
            median_sq += ((at(1)[[i, j]] - mean[j]) / sd).powi(2);
            let q = at(2);
            quantile_sq += ((q[[i, 0, j]] - (mean[j] - Z90 * sd)) / sd).powi(2);
            quantile_sq += ((q[[i, 1, j]] - (mean[j] + Z90 * sd)) / sd).powi(2);
            let column: Vec<f64> = (0..2_000).map(|k| draws[[i, k, j]]).collect();
            let m = column.iter().sum::<f64>() / 2_000.0;
            let v = column.iter().map(|c| (c - m).powi(2)).sum::<f64>() / 1_999.0;
            sd_ratio += v.sqrt() / sd;
        }
    }
    let rmse = |sq: f64, n: f64| (sq / n).sqrt();
    let (mean_err, median_err, quantile_err) = (
        rmse(mean_sq, 400.0),
        rmse(median_sq, 400.0),
        rmse(quantile_sq, 800.0),
    );
    let sd_ratio = sd_ratio / 400.0;
    println!(
        "point estimates (RMSE in posterior sd): mean {mean_err:.3}, median {median_err:.3}, \
         10/90 % quantiles {quantile_err:.3}; normal head's sd ratio {sd_ratio:.3}"
    );
    assert!(mean_err < 0.15, "posterior means off by {mean_err} sd");
    assert!(
        median_err < 0.15,
        "posterior medians off by {median_err} sd"
    );
    assert!(quantile_err < 0.2, "quantiles off by {quantile_err} sd");
    assert!(
        (sd_ratio - 1.0).abs() < 0.1,
        "normal head's sd ratio {sd_ratio}"
    );

    let dir = tempfile::tempdir().unwrap();
    approx.save(dir.path()).unwrap();
    let back = PointApproximator::<NdArray>::load(dir.path(), &Cpu).unwrap();
    let again = back.estimate(&held_out).unwrap();
    assert_eq!(
        again[0].values.f64("theta").unwrap(),
        estimates[0].values.f64("theta").unwrap()
    );
}

#[test]
fn point_estimates_without_a_normal_score_have_no_draws() {
    let task = GaussianLinear::with_dim(2).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(62);
    let sims = simulate(&task.clone().simulator(), 256, 256, &mut rng, false).unwrap();
    let adapter = Adapter::new()
        .rename("theta", "inference_variables")
        .rename("x", "inference_conditions");
    let approx = PointApproximatorBuilder::new(adapter, &["theta"])
        .build::<NdArray>(&sims, &Cpu)
        .unwrap();
    let e = approx
        .sample(10, &sims.slice(0, 2).unwrap(), &mut rng)
        .unwrap_err();
    assert!(e.to_string().contains("mv_normal"), "{e}");
    let mean = &approx.estimate(&sims.slice(0, 3).unwrap()).unwrap()[0];
    assert_eq!(mean.values.f64("theta").unwrap().shape(), &[3, 2]);
}
