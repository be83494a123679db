//! JANA on 2-D `gaussian_linear`: the posterior and likelihood learned from one set of
//! simulations give the marginal likelihood of held-out data, whose analytic value is
//! `N(x; 0, (0.1 + 0.1) I)`.
#![allow(clippy::unwrap_used)]

use abi_adapter::Adapter;
use abi_approx::{JointApproximatorBuilder, TrainConfig};
use abi_ndarray::{Cpu, NdArray};
use abi_sim::benchmarks::{BenchmarkTask, GaussianLinear};
use abi_sim::simulate;
use rand::SeedableRng;

#[test]
fn the_joint_approximator_estimates_the_marginal_likelihood() {
    let task = GaussianLinear::with_dim(2).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(81);
    let sims = simulate(&task.clone().simulator(), 10_000, 1_000, &mut rng, false).unwrap();
    let held_out = simulate(&task.clone().simulator(), 5, 5, &mut rng, false).unwrap();
    let posterior_adapter = Adapter::new()
        .standardize(&["theta", "x"])
        .rename("theta", "inference_variables")
        .rename("x", "inference_conditions");
    let likelihood_adapter = Adapter::new()
        .standardize(&["theta", "x"])
        .rename("x", "inference_variables")
        .rename("theta", "inference_conditions");
    let mut jana = JointApproximatorBuilder::new(posterior_adapter, likelihood_adapter, &["theta"])
        .posterior_network("maf")
        .seed(4)
        .build::<NdArray>(&sims, &Cpu)
        .unwrap();
    let cfg = TrainConfig::new(30)
        .learning_rate(1e-3)
        .patience(None)
        .quiet();
    jana.fit(&sims, 128, 5, &cfg).unwrap();
    assert_eq!(jana.posterior().history().len(), 30);
    assert_eq!(jana.likelihood().history().len(), 30);

    let x = held_out.f64("x").unwrap();
    let mut worst = 0.0f64;
    for i in 0..5 {
        let observation = held_out.slice(i, i + 1).unwrap();
        let estimate = jana
            .log_marginal_likelihood(&observation, task.prior(), 2_000, &mut rng)
            .unwrap();
        let analytic: f64 = (0..2)
            .map(|j| -0.5 * (2.0 * std::f64::consts::PI * 0.2).ln() - x[[i, j]].powi(2) / 0.4)
            .sum();
        println!(
            "JANA: log p(x) {:.3} (analytic {analytic:.3}), per-draw spread {:.3}",
            estimate.log_evidence, estimate.spread
        );
        worst = worst.max((estimate.log_evidence - analytic).abs());
        assert!(estimate.spread < 0.3, "spread {}", estimate.spread);
    }
    assert!(worst < 0.1, "log marginal likelihood off by {worst}");
    let dir = tempfile::tempdir().unwrap();
    jana.save(dir.path()).unwrap();
    let back = abi_approx::JointApproximator::<NdArray>::load(dir.path(), &Cpu).unwrap();
    assert_eq!(
        back.posterior().log_prob(&held_out).unwrap(),
        jana.posterior().log_prob(&held_out).unwrap()
    );
    assert_eq!(
        back.likelihood().log_prob(&held_out).unwrap(),
        jana.likelihood().log_prob(&held_out).unwrap()
    );
    assert!(
        jana.log_marginal_likelihood(&held_out, task.prior(), 100, &mut rng)
            .is_err()
    );
}
