//! NLE: the learned likelihood of `gaussian_linear` with slice sampling and NUTS recovers the
//! analytic posterior; the i.i.d. sum over trials, the emulator's draws, save/load and the
//! errors for a mis-wired adapter.
#![allow(clippy::unwrap_used)]

use abi_adapter::Adapter;
use abi_approx::dataset::OfflineDataset;
use abi_approx::{
    LikelihoodApproximator, LikelihoodApproximatorBuilder, McmcOptions, McmcPosterior, TrainConfig,
};
use abi_ndarray::{Cpu, NdArray};
use abi_sim::benchmarks::{BenchmarkTask, GaussianLinear};
use abi_sim::{Batch, Distribution, simulate};
use ndarray::{Array2, Axis};
use rand::SeedableRng;

const DIM: usize = 10;

fn adapter() -> Adapter {
    Adapter::new()
        .standardize(&["theta", "x"])
        .rename("x", "inference_variables")
        .rename("theta", "inference_conditions")
}

fn trained(sims: &Batch) -> LikelihoodApproximator<NdArray> {
    let mut nle = LikelihoodApproximatorBuilder::new(adapter(), &["theta"])
        .seed(3)
        .build::<NdArray>(sims, &Cpu)
        .unwrap();
    let cfg = TrainConfig::new(30)
        .learning_rate(1e-3)
        .patience(None)
        .seed(5)
        .quiet();
    nle.fit(
        &mut OfflineDataset::new(sims.clone(), 128, 7).unwrap(),
        &cfg,
    )
    .unwrap();
    nle
}

/// Checks `gradient` at `point` against central differences of `at`, within 1 % (the
/// networks compute in `f32`).
pub fn assert_gradient(at: &dyn Fn([f64; 2]) -> f64, point: [f64; 2], gradient: &[f64]) {
    for j in 0..2 {
        let h = 1e-3;
        let (mut up, mut down) = (point, point);
        up[j] += h;
        down[j] -= h;
        let numeric = (at(up) - at(down)) / (2.0 * h);
        assert!(
            (gradient[j] - numeric).abs() < 1e-2 * numeric.abs().max(1.0),
            "coordinate {j}: reverse mode {} vs central differences {numeric}",
            gradient[j]
        );
    }
}

/// Checks MCMC draws against the analytic posterior of the observation: the RMSE of the
/// posterior means below 0.1 posterior sd, every variance within 15 %, and every split-R̂
/// below 1.01. Prints the figures under `label`.
pub fn check_against_analytic(
    label: &str,
    task: &GaussianLinear,
    observation: &Batch,
    posterior: &McmcPosterior,
) {
    let Distribution::MvNormal { mean, cov, .. } = task
        .posterior(observation.f64("x").unwrap().as_slice().unwrap())
        .unwrap()
        .unwrap()
    else {
        unreachable!("the Gaussian task's posterior is a multivariate normal")
    };
    let draws = posterior.draws.f64("theta").unwrap();
    let n = draws.shape()[1];
    let draws = draws.to_shape((n, DIM)).unwrap();
    let m = draws.mean_axis(Axis(0)).unwrap();
    let v = draws.var_axis(Axis(0), 1.0);
    let mut sq = 0.0;
    let mut var_err = 0.0f64;
    for j in 0..DIM {
        let var = cov[j * DIM + j];
        sq += (m[j] - mean[j]).powi(2) / var;
        var_err = var_err.max((v[j] / var - 1.0).abs());
    }
    let rmse = (sq / DIM as f64).sqrt();
    let rhat = posterior.split_rhat.iter().copied().fold(0.0, f64::max);
    let ess = posterior
        .ess_bulk
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    println!(
        "{label}: mean RMSE {rmse:.3} sd, worst variance error {var_err:.3}, split-R̂ ≤ {rhat:.4}, \
         bulk ESS ≥ {ess:.0}, {} evaluations",
        posterior.evaluations
    );
    assert!(
        rmse < 0.1,
        "{label}: posterior means off by {rmse} sd (RMSE)"
    );
    assert!(
        var_err < 0.15,
        "{label}: a posterior variance is off by {var_err}"
    );
    assert!(rhat < 1.01, "{label}: split-R̂ {rhat}");
}

#[test]
fn nle_with_slice_and_nuts_recovers_the_gaussian_linear_posterior() {
    let task = GaussianLinear::new().unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);
    let sims = simulate(&task.clone().simulator(), 10_000, 1_000, &mut rng, false).unwrap();
    let observation = simulate(&task.clone().simulator(), 1, 1, &mut rng, false).unwrap();
    let nle = trained(&sims);

    let options = McmcOptions::default().quiet();
    let posterior = nle
        .posterior(&observation, task.prior(), 4_000, &options, &mut rng)
        .unwrap();
    assert_eq!(
        posterior.draws.f64("theta").unwrap().shape(),
        &[1, 4_000, DIM]
    );
    check_against_analytic("NLE + slice", &task, &observation, &posterior);

    // NUTS on the same learned likelihood, with the backend's gradients
    let mut options = McmcOptions::default().quiet();
    options.nuts.warmup = 300;
    let nuts = nle
        .posterior_nuts(&observation, task.prior(), 4_000, &options, &mut rng)
        .unwrap();
    check_against_analytic("NLE + NUTS", &task, &observation, &nuts);
    let means = |p: &McmcPosterior| {
        let d = p.draws.f64("theta").unwrap();
        let n = d.shape()[1];
        d.to_shape((n, DIM)).unwrap().mean_axis(Axis(0)).unwrap()
    };
    let (a, b) = (means(&posterior), means(&nuts));
    for j in 0..DIM {
        // posterior sd ≈ 0.22
        assert!(
            (a[j] - b[j]).abs() < 0.022,
            "mean {j}: slice {} vs NUTS {}",
            a[j],
            b[j]
        );
    }
}

#[test]
fn the_learned_log_likelihood_gradient_matches_finite_differences() {
    let task = GaussianLinear::with_dim(2).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
    let sims = simulate(&task.clone().simulator(), 256, 256, &mut rng, false).unwrap();
    let nle = LikelihoodApproximatorBuilder::new(adapter(), &["theta"])
        .build::<NdArray>(&sims, &Cpu)
        .unwrap();
    let trials = sims.slice(0, 3).unwrap();
    let point = [0.15, -0.25];
    let (value, gradient) = nle.log_likelihood_gradient(&trials, &point).unwrap();
    let at = |p: [f64; 2]| {
        nle.log_likelihood(
            &trials,
            ndarray::Array2::from_shape_vec((1, 2), p.to_vec())
                .unwrap()
                .view(),
        )
        .unwrap()[0]
    };
    // the value differs from the summed log-likelihood by the data's adapter Jacobian only
    let shift = at(point) - value;
    assert!(
        (at([0.3, 0.1]) - shift - nle.log_likelihood_gradient(&trials, &[0.3, 0.1]).unwrap().0)
            .abs()
            < 1e-3
    );
    assert_gradient(&at, point, &gradient);
}

#[test]
fn iid_trials_add_their_log_likelihoods_and_the_emulator_samples_data() {
    let task = GaussianLinear::with_dim(2).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
    let sims = simulate(&task.clone().simulator(), 256, 256, &mut rng, false).unwrap();
    let nle = LikelihoodApproximatorBuilder::new(adapter(), &["theta"])
        .build::<NdArray>(&sims, &Cpu)
        .unwrap();
    let trials = sims.slice(0, 3).unwrap();
    let points = ndarray::array![[0.1, -0.2], [0.3, 0.0]];
    let total = nle.log_likelihood(&trials, points.view()).unwrap();
    for (k, point) in points.rows().into_iter().enumerate() {
        let mut each = trials.clone();
        let theta = Array2::from_shape_fn((3, 2), |(_, j)| point[j]).into_dyn();
        each.set("theta", theta).unwrap();
        let sum: f64 = nle.log_prob(&each).unwrap().iter().sum();
        assert!(
            (total[k] - sum).abs() < 1e-9 * sum.abs().max(1.0),
            "{} vs {sum}",
            total[k]
        );
    }
    let data = nle.sample(7, &sims.slice(0, 2).unwrap(), &mut rng).unwrap();
    assert_eq!(data.f64("x").unwrap().shape(), &[2, 7, 2]);
}

#[test]
fn nle_saves_and_loads_bit_exactly_and_refuses_a_miswired_adapter() {
    let task = GaussianLinear::with_dim(2).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    let sims = simulate(&task.clone().simulator(), 256, 256, &mut rng, false).unwrap();
    let mut nle = LikelihoodApproximatorBuilder::new(adapter(), &["theta"])
        .build::<NdArray>(&sims, &Cpu)
        .unwrap();
    let cfg = TrainConfig::new(1).quiet();
    nle.fit(&mut OfflineDataset::new(sims.clone(), 64, 0).unwrap(), &cfg)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    nle.save(dir.path()).unwrap();
    let back = LikelihoodApproximator::<NdArray>::load(dir.path(), &Cpu).unwrap();
    assert_eq!(back.parameters(), nle.parameters());
    let a = nle.log_prob(&sims.slice(0, 20).unwrap()).unwrap();
    let b = back.log_prob(&sims.slice(0, 20).unwrap()).unwrap();
    assert_eq!(a, b);
    // a likelihood model is not a posterior model
    assert!(abi_approx::ContinuousApproximator::<NdArray>::load(dir.path(), &Cpu).is_err());

    // the parameters must be exactly the conditions
    let wrong = Adapter::new()
        .rename("x", "inference_variables")
        .concatenate(&["theta", "x_copy"], "inference_conditions");
    let mut with_copy = sims.clone();
    with_copy
        .insert("x_copy", sims.f64("x").unwrap().clone())
        .unwrap();
    let e = LikelihoodApproximatorBuilder::new(wrong, &["theta"])
        .build::<NdArray>(&with_copy, &Cpu)
        .unwrap_err();
    assert!(e.to_string().contains("inference_conditions"), "{e}");
    let e = LikelihoodApproximatorBuilder::new(adapter(), &["phi"])
        .build::<NdArray>(&sims, &Cpu)
        .unwrap_err();
    assert!(e.to_string().contains("phi"), "{e}");
}
