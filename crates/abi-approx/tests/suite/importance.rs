//! Importance-sampling refinement of a deliberately undertrained NPE with the exact
//! likelihood of 2-D `gaussian_linear`: the refined draws match the analytic posterior better
//! than the network's own.
#![allow(clippy::unwrap_used)]

use abi_adapter::Adapter;
use abi_approx::dataset::OfflineDataset;
use abi_approx::{ContinuousApproximatorBuilder, TrainConfig};
use abi_ndarray::{Cpu, NdArray};
use abi_sim::benchmarks::{BenchmarkTask, GaussianLinear};
use abi_sim::{Distribution, simulate};
use ndarray::{ArrayView2, Axis};
use rand::SeedableRng;

#[test]
fn importance_sampling_with_the_exact_likelihood_refines_a_rough_npe() {
    let task = GaussianLinear::with_dim(2).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(71);
    let sims = simulate(&task.clone().simulator(), 500, 500, &mut rng, false).unwrap();
    let adapter = Adapter::new()
        .standardize(&["theta", "x"])
        .rename("theta", "inference_variables")
        .rename("x", "inference_conditions");
    let mut npe = ContinuousApproximatorBuilder::new(adapter)
        .inference_network("maf")
        .build::<NdArray>(&sims, &Cpu)
        .unwrap();
    npe.fit(
        &mut OfflineDataset::new(sims.clone(), 64, 1).unwrap(),
        &TrainConfig::new(3).patience(None).quiet(),
    )
    .unwrap();
    let observation = sims.slice(0, 1).unwrap();
    let x: Vec<f64> = observation.f64("x").unwrap().iter().copied().collect();
    let Distribution::MvNormal { mean, cov, .. } = task.posterior(&x).unwrap().unwrap() else {
        unreachable!("the Gaussian task's posterior is a multivariate normal")
    };
    let error = |draws: ArrayView2<'_, f64>| {
        let m = draws.mean_axis(Axis(0)).unwrap();
        let v = draws.var_axis(Axis(0), 1.0);
        (0..2)
            .map(|j| {
                let sd = cov[j * 2 + j].sqrt();
                ((m[j] - mean[j]) / sd).abs() + (v[j].sqrt() / sd - 1.0).abs()
            })
            .sum::<f64>()
    };
    let rough = npe.sample(4_000, &observation, &mut rng).unwrap();
    let rough = rough.f64("theta").unwrap();
    let rough_error = error(rough.index_axis(Axis(0), 0).into_dimensionality().unwrap());

    let likelihood = |points: ArrayView2<'_, f64>| -> abi_approx::Result<Vec<f64>> {
        Ok(points
            .rows()
            .into_iter()
            .map(|p| task.log_likelihood(&p.to_vec(), &x).unwrap())
            .collect())
    };
    let refined = npe
        .sample_importance(
            4_000,
            &observation,
            "theta",
            task.prior(),
            &likelihood,
            20_000,
            &mut rng,
        )
        .unwrap();
    let draws = refined.draws.f64("theta").unwrap();
    assert_eq!(draws.shape(), &[1, 4_000, 2]);
    let refined_error = error(draws.index_axis(Axis(0), 0).into_dimensionality().unwrap());
    println!(
        "importance sampling: error (|Δmean| + |sd ratio − 1|, summed) {rough_error:.3} → \
         {refined_error:.3}, ESS {:.0} of {}",
        refined.ess, refined.proposals
    );
    assert!(refined_error < 0.15, "refined draws off by {refined_error}");
    assert!(
        refined_error < 0.5 * rough_error,
        "{rough_error} → {refined_error}"
    );
    assert!(refined.ess > 1_000.0);
    assert!(
        npe.sample_importance(
            10,
            &sims.slice(0, 2).unwrap(),
            "theta",
            task.prior(),
            &likelihood,
            100,
            &mut rng
        )
        .is_err()
    );
}
