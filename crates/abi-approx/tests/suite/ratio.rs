//! NRE: the contrastive (NRE-C) classifier of `gaussian_linear` with slice-sampling MCMC
//! recovers the analytic posterior; the binary (NRE-A) classifier separates joint from
//! marginal pairs; save/load; a mis-wired adapter is refused.
#![allow(clippy::unwrap_used)]

use super::likelihood::{assert_gradient, check_against_analytic};
use abi_adapter::Adapter;
use abi_approx::dataset::OfflineDataset;
use abi_approx::{
    McmcOptions, RatioApproximator, RatioApproximatorBuilder, RatioClassifierConfig, RatioLoss,
    TrainConfig,
};
use abi_ndarray::{Cpu, NdArray};
use abi_sim::benchmarks::{BenchmarkTask, GaussianLinear};
use abi_sim::simulate;
use rand::SeedableRng;

fn adapter() -> Adapter {
    Adapter::new()
        .standardize(&["theta", "x"])
        .rename("theta", "inference_variables")
        .rename("x", "inference_conditions")
}

#[test]
fn nre_c_with_slice_mcmc_recovers_the_gaussian_linear_posterior() {
    let task = GaussianLinear::new().unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(31);
    let sims = simulate(&task.clone().simulator(), 10_000, 1_000, &mut rng, false).unwrap();
    let observation = simulate(&task.clone().simulator(), 1, 1, &mut rng, false).unwrap();
    let mut nre = RatioApproximatorBuilder::new(adapter(), &["theta"])
        .seed(3)
        .build::<NdArray>(&sims, &Cpu)
        .unwrap();
    let cfg = TrainConfig::new(30)
        .learning_rate(1e-3)
        .patience(None)
        .seed(5)
        .quiet();
    nre.fit(
        &mut OfflineDataset::new(sims.clone(), 128, 7).unwrap(),
        &cfg,
    )
    .unwrap();
    let posterior = nre
        .posterior(
            &observation,
            task.prior(),
            4_000,
            &McmcOptions::default().quiet(),
            &mut rng,
        )
        .unwrap();
    check_against_analytic("NRE-C + slice", &task, &observation, &posterior);
}

#[test]
fn nre_a_separates_joint_from_marginal_pairs_and_saves_bit_exactly() {
    let task = GaussianLinear::with_dim(2).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
    let sims = simulate(&task.clone().simulator(), 2_000, 1_000, &mut rng, false).unwrap();
    let config = RatioClassifierConfig {
        loss: RatioLoss::Binary,
        ..Default::default()
    };
    let mut nre = RatioApproximatorBuilder::new(adapter(), &["theta"])
        .classifier(&config)
        .unwrap()
        .build::<NdArray>(&sims, &Cpu)
        .unwrap();
    let cfg = TrainConfig::new(10).patience(None).quiet();
    nre.fit(&mut OfflineDataset::new(sims.clone(), 64, 1).unwrap(), &cfg)
        .unwrap();
    let held_out = simulate(&task.clone().simulator(), 500, 500, &mut rng, false).unwrap();
    let joint = nre.log_ratio(&held_out).unwrap();
    // the same data with the parameters of the next data set
    let mut shuffled = held_out.clone();
    let order: Vec<usize> = (0..500).map(|i| (i + 1) % 500).collect();
    let theta = held_out.select(&order).unwrap();
    shuffled
        .set("theta", theta.f64("theta").unwrap().clone())
        .unwrap();
    let marginal = nre.log_ratio(&shuffled).unwrap();
    let wins = joint.iter().zip(&marginal).filter(|(j, m)| j > m).count();
    // the exact ratio prefers the pair whose θ is nearer x (x | θ ~ N(θ, 0.1 I))
    let (x, t) = (held_out.f64("x").unwrap(), held_out.f64("theta").unwrap());
    let distance =
        |i: usize, k: usize| (0..2).map(|j| (x[[i, j]] - t[[k, j]]).powi(2)).sum::<f64>();
    let exact = (0..500)
        .filter(|&i| distance(i, i) < distance(i, order[i]))
        .count();
    println!("NRE-A: joint pair preferred in {wins} of 500 (exact ratio: {exact})");
    assert!(
        wins as f64 >= 0.95 * exact as f64 && wins > 300,
        "joint pairs scored higher in only {wins} of 500, the exact ratio in {exact}"
    );

    let dir = tempfile::tempdir().unwrap();
    nre.save(dir.path()).unwrap();
    let back = RatioApproximator::<NdArray>::load(dir.path(), &Cpu).unwrap();
    assert_eq!(back.log_ratio(&held_out).unwrap(), joint);

    // a likelihood adapter (data as inference variables) is refused when the widths differ
    let three = GaussianLinear::with_dim(3).unwrap();
    let mut mixed = simulate(&three.simulator(), 100, 100, &mut rng, false).unwrap();
    mixed
        .set(
            "theta",
            sims.slice(0, 100).unwrap().f64("theta").unwrap().clone(),
        )
        .unwrap();
    let e = RatioApproximatorBuilder::new(
        Adapter::new()
            .rename("x", "inference_variables")
            .rename("theta", "inference_conditions"),
        &["theta"],
    )
    .build::<NdArray>(&mixed, &Cpu)
    .unwrap_err();
    assert!(e.to_string().contains("inference_variables"), "{e}");
}

#[test]
fn the_log_ratio_gradient_matches_finite_differences() {
    let task = GaussianLinear::with_dim(2).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let sims = simulate(&task.clone().simulator(), 256, 256, &mut rng, false).unwrap();
    let nre = RatioApproximatorBuilder::new(adapter(), &["theta"])
        .build::<NdArray>(&sims, &Cpu)
        .unwrap();
    let trials = sims.slice(0, 2).unwrap();
    let at = |p: [f64; 2]| {
        let points = ndarray::Array2::from_shape_vec((1, 2), p.to_vec()).unwrap();
        nre.log_likelihood(&trials, points.view()).unwrap()[0]
    };
    let point = [0.2, 0.05];
    let (value, gradient) = nre.log_likelihood_gradient(&trials, &point).unwrap();
    assert!((value - at(point)).abs() < 1e-6 * value.abs().max(1.0));
    assert_gradient(&at, point, &gradient);
}
