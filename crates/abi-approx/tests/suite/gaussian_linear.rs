//! NPE recovers the analytic posterior of the `gaussian_linear` benchmark (10-D θ, 10-D x) from
//! 10 000 simulations, for 10 held-out observations sampled in one batched call; an adapter that
//! feeds only half of the data fails the same check.
#![allow(clippy::unwrap_used)]

use abi_adapter::Adapter;
use abi_approx::dataset::OfflineDataset;
use abi_approx::{ContinuousApproximatorBuilder, SampleOptions, TrainConfig};
use abi_ndarray::{Cpu, NdArray};
use abi_sim::benchmarks::{BenchmarkTask, GaussianLinear};
use abi_sim::{Distribution, simulate};
use rand::SeedableRng;

const DIM: usize = 10;

/// Tolerances: the worst posterior-mean error over the 100 (observation, dimension) pairs
/// below half a posterior standard deviation, and every covariance entry within 0.35 of the
/// true posterior variance scale. A network that misses half the data is off by about one
/// standard deviation on average in the missing dimensions, and its variances are twice too
/// large there.
///
/// Worst errors over 10 held-out observations: the posterior mean in units of the true
/// posterior standard deviation, and the covariance relative to the true posterior variance.
fn posterior_errors(adapter: Adapter) -> (f64, f64) {
    let task = GaussianLinear::new().unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let sims = simulate(&task.clone().simulator(), 10_000, 1_000, &mut rng, false).unwrap();
    let held_out = simulate(&task.clone().simulator(), 10, 10, &mut rng, false).unwrap();
    let mut approx = ContinuousApproximatorBuilder::new(adapter)
        .inference_network("maf")
        .seed(3)
        .build::<NdArray>(&sims, &Cpu)
        .unwrap();
    let cfg = TrainConfig::new(40)
        .learning_rate(1e-3)
        .patience(None)
        .seed(5)
        .quiet();
    approx
        .fit(&mut OfflineDataset::new(sims, 128, 7).unwrap(), &cfg)
        .unwrap();

    let n = 4000;
    let draws = approx
        .sample_with(n, &held_out, &SampleOptions::default().quiet(), &mut rng)
        .unwrap()
        .draws;
    let theta = draws.f64("theta").unwrap();
    assert_eq!(theta.shape(), &[10, n, DIM]);
    let x = held_out.f64("x").unwrap();
    let (mut mean_err, mut cov_err) = (0.0f64, 0.0f64);
    for obs in 0..10 {
        let xo: Vec<f64> = (0..DIM).map(|j| x[[obs, j]]).collect();
        let Distribution::MvNormal { mean, cov, .. } = task.posterior(&xo).unwrap().unwrap() else {
            unreachable!("the Gaussian task's posterior is a multivariate normal")
        };
        let m: Vec<f64> = (0..DIM)
            .map(|j| (0..n).map(|i| theta[[obs, i, j]]).sum::<f64>() / n as f64)
            .collect();
        for j in 0..DIM {
            let sd = cov[j * DIM + j].sqrt();
            mean_err = mean_err.max((m[j] - mean[j]).abs() / sd);
            for k in 0..DIM {
                let c = (0..n)
                    .map(|i| (theta[[obs, i, j]] - m[j]) * (theta[[obs, i, k]] - m[k]))
                    .sum::<f64>()
                    / (n - 1) as f64;
                let scale = (cov[j * DIM + j] * cov[k * DIM + k]).sqrt();
                cov_err = cov_err.max((c - cov[j * DIM + k]).abs() / scale);
            }
        }
    }
    (mean_err, cov_err)
}

#[test]
fn npe_recovers_the_gaussian_linear_posterior_and_a_miswired_adapter_does_not() {
    let good = Adapter::new()
        .standardize(&["theta", "x"])
        .rename("theta", "inference_variables")
        .rename("x", "inference_conditions");
    let (mean_err, cov_err) = posterior_errors(good);
    println!("correct adapter: mean error {mean_err:.3} sd, covariance error {cov_err:.3}");
    assert!(mean_err < 0.5, "posterior means off by {mean_err} sd");
    assert!(cov_err < 0.35, "posterior covariance off by {cov_err}");

    // mis-wired: only the first half of the data reaches the network
    let half = Adapter::new()
        .standardize(&["theta", "x"])
        .rename("theta", "inference_variables")
        .split("x", &["x_seen", "x_lost"], &[5, 5])
        .drop(&["x_lost"])
        .rename("x_seen", "inference_conditions");
    let (mean_err, cov_err) = posterior_errors(half);
    println!("mis-wired adapter: mean error {mean_err:.3} sd, covariance error {cov_err:.3}");
    assert!(
        mean_err >= 0.5 || cov_err >= 0.35,
        "a network that sees half the data passed the check"
    );
}
