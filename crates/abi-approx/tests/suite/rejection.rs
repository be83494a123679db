//! Rejection posteriors: exact draws and the expected acceptance rate for an analytic
//! likelihood, agreement with slice sampling on a network's likelihood, and the errors for a
//! posterior too narrow for the prior and for a bad margin.
#![allow(clippy::unwrap_used)]

use abi_adapter::Adapter;
use abi_approx::parts::parameters::ParameterLayout;
use abi_approx::parts::rejection::rejection_posterior;
use abi_approx::{LikelihoodApproximatorBuilder, McmcOptions, RejectionOptions};
use abi_ndarray::{Cpu, NdArray};
use abi_sim::benchmarks::{BenchmarkTask, GaussianLinear};
use abi_sim::{Batch, Distribution, simulate};
use ndarray::{Array2, ArrayView2, Axis};
use rand::SeedableRng;

const CENTRE: [f64; 2] = [0.5, -0.8];
const SCALE: f64 = 0.3;

/// `ℓ(θ) = −|θ − c|² / (2 s²) + 7`: under a wide box prior the posterior is `N(c, s² I)`.
fn gaussian(points: ArrayView2<'_, f64>) -> abi_approx::Result<Vec<f64>> {
    Ok(points
        .rows()
        .into_iter()
        .map(|p| {
            let d2: f64 = p.iter().zip(CENTRE).map(|(a, c)| (a - c).powi(2)).sum();
            7.0 - d2 / (2.0 * SCALE * SCALE)
        })
        .collect())
}

fn layout() -> ParameterLayout {
    let mut b = Batch::new();
    b.insert("theta", Array2::<f64>::zeros((1, 2)).into_dyn())
        .unwrap();
    ParameterLayout::of(&b, &["theta"]).unwrap()
}

fn flat(draws: &Batch) -> Array2<f64> {
    let d = draws.f64("theta").unwrap();
    let n = d.shape()[1];
    d.to_shape((n, 2)).unwrap().to_owned()
}

#[test]
fn rejection_draws_the_analytic_posterior_at_the_expected_rate() {
    let prior = Distribution::box_uniform(vec![-2.0; 2], vec![2.0; 2]).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let options = RejectionOptions::default().quiet();
    let out = rejection_posterior(&gaussian, &prior, &layout(), 4_000, &options, &mut rng).unwrap();
    let draws = flat(&out.draws);
    assert_eq!(draws.nrows(), 4_000);
    let mean = draws.mean_axis(Axis(0)).unwrap();
    let var = draws.var_axis(Axis(0), 1.0);
    for j in 0..2 {
        // the mean's Monte Carlo sd is 0.0047
        assert!((mean[j] - CENTRE[j]).abs() < 0.02, "mean {j}: {}", mean[j]);
        assert!(
            (var[j] / (SCALE * SCALE) - 1.0).abs() < 0.1,
            "variance {j}: {}",
            var[j]
        );
    }
    // the search finds the maximum 7 (a bound below it would bias the draws, far above it
    // would waste proposals), and the rate is 2π s² / (16 · 1.2)
    assert_eq!(out.bound_exceeded, 0);
    assert!(
        (out.log_bound - 7.0 - 1.2f64.ln()).abs() < 0.01,
        "log bound {}",
        out.log_bound
    );
    let expected = 2.0 * std::f64::consts::PI * SCALE * SCALE / (16.0 * 1.2);
    assert!(
        (out.acceptance_rate / expected - 1.0).abs() < 0.1,
        "acceptance {} vs {expected}",
        out.acceptance_rate
    );
    // deterministic for a seed
    let mut again = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let repeat =
        rejection_posterior(&gaussian, &prior, &layout(), 4_000, &options, &mut again).unwrap();
    assert_eq!(flat(&repeat.draws), draws);
}

#[test]
fn too_narrow_a_posterior_and_a_bad_margin_are_errors() {
    let prior = Distribution::box_uniform(vec![-2.0; 2], vec![2.0; 2]).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
    let options = RejectionOptions {
        max_proposals: 20_000,
        ..RejectionOptions::default().quiet()
    };
    let e =
        rejection_posterior(&gaussian, &prior, &layout(), 100_000, &options, &mut rng).unwrap_err();
    assert!(e.to_string().contains("use MCMC"), "{e}");
    let options = RejectionOptions {
        margin: 0.5,
        ..RejectionOptions::default().quiet()
    };
    let e = rejection_posterior(&gaussian, &prior, &layout(), 10, &options, &mut rng).unwrap_err();
    assert!(e.to_string().contains("margin"), "{e}");
    let wider = Distribution::box_uniform(vec![-2.0; 3], vec![2.0; 3]).unwrap();
    let e = rejection_posterior(&gaussian, &wider, &layout(), 10, &options, &mut rng).unwrap_err();
    assert!(e.to_string().contains("dimensions"), "{e}");
}

#[test]
fn nle_rejection_agrees_with_slice_sampling_on_the_same_likelihood() {
    let task = GaussianLinear::with_dim(2).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
    let sims = simulate(&task.clone().simulator(), 256, 256, &mut rng, false).unwrap();
    let adapter = Adapter::new()
        .standardize(&["theta", "x"])
        .rename("x", "inference_variables")
        .rename("theta", "inference_conditions");
    // the untrained network's likelihood is some smooth density: both samplers target it
    let nle = LikelihoodApproximatorBuilder::new(adapter, &["theta"])
        .seed(4)
        .build::<NdArray>(&sims, &Cpu)
        .unwrap();
    let observation = sims.slice(0, 3).unwrap();
    let rejected = nle
        .posterior_rejection(
            &observation,
            task.prior(),
            4_000,
            &RejectionOptions::default().quiet(),
            &mut rng,
        )
        .unwrap();
    let sliced = nle
        .posterior(
            &observation,
            task.prior(),
            4_000,
            &McmcOptions::default().quiet(),
            &mut rng,
        )
        .unwrap();
    let (a, b) = (flat(&rejected.draws), flat(&sliced.draws));
    let (ma, mb) = (a.mean_axis(Axis(0)).unwrap(), b.mean_axis(Axis(0)).unwrap());
    let sd = a.std_axis(Axis(0), 1.0);
    for j in 0..2 {
        assert!(
            (ma[j] - mb[j]).abs() < 0.1 * sd[j],
            "mean {j}: rejection {} vs slice {} (sd {})",
            ma[j],
            mb[j],
            sd[j]
        );
    }
    assert!(rejected.acceptance_rate > 0.0 && rejected.acceptance_rate <= 1.0);
}

/// `m` uniform draws on `[0, 1)` for each of `rows` data sets, as `theta (rows, m, 1)`.
fn uniform_proposals(rows: usize, rng: &mut rand_chacha::ChaCha8Rng, m: usize) -> Batch {
    use rand::Rng;
    let values: Vec<f64> = (0..rows * m).map(|_| rng.random::<f64>()).collect();
    let mut b = Batch::new();
    b.insert(
        "theta",
        ndarray::ArrayD::from_shape_vec(vec![rows, m, 1], values).unwrap(),
    )
    .unwrap();
    b
}

#[test]
fn rejection_against_a_barely_touched_support_fails_fast_with_the_rate() {
    use abi_approx::ApproxError;
    use abi_approx::parts::sampler::reject;
    let support = abi_approx::Support {
        key: "theta".into(),
        distribution: Distribution::box_uniform(vec![0.0], vec![1e-4]).unwrap(),
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let mut rounds_run = 0;
    let mut propose = |m: usize| {
        rounds_run += 1;
        Ok(uniform_proposals(4, &mut rng, m))
    };
    match reject(4, 10_000, &support, 100, 1 << 20, &mut propose) {
        Err(ApproxError::Leakage { rounds, rate, .. }) => {
            assert!(rounds <= 3, "{rounds} rounds");
            assert!((2e-5..5e-4).contains(&rate), "rate {rate}");
        }
        other => panic!(
            "expected a leakage error, got {:?}",
            other.map(|r| r.accepted)
        ),
    }
    assert!(rounds_run <= 3);
    // a support of another dimension than the draws is named as such, not as leakage
    let wrong = abi_approx::Support {
        key: "theta".into(),
        distribution: Distribution::box_uniform(vec![0.0; 2], vec![1.0; 2]).unwrap(),
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    let err = reject(4, 10, &wrong, 100, 1 << 20, &mut |m| {
        Ok(uniform_proposals(4, &mut rng, m))
    })
    .map(|_| ())
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("dimension 2, but its draws have 1"),
        "{err}"
    );
}

#[test]
fn no_call_asks_for_more_draws_than_allowed() {
    use abi_approx::parts::sampler::sample_posterior;
    let options = abi_approx::SampleOptions {
        max_draws_per_call: 300,
        ..abi_approx::SampleOptions::default().quiet()
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let mut largest = 0;
    let mut propose = |start: usize, end: usize, m: usize| {
        largest = largest.max((end - start) * m);
        Ok(uniform_proposals(end - start, &mut rng, m))
    };
    let draws = sample_posterior(3, 1_000, &options, &mut propose).unwrap();
    assert_eq!(draws.draws.f64("theta").unwrap().shape(), &[3, 1_000, 1]);
    assert!(largest <= 300, "{largest}");
    // with a support too: pieces of the draws are rejected separately
    let within = abi_approx::SampleOptions {
        max_draws_per_call: 300,
        ..abi_approx::SampleOptions::default().quiet().within(
            "theta",
            Distribution::box_uniform(vec![0.0], vec![0.5]).unwrap(),
        )
    };
    let draws = sample_posterior(2, 700, &within, &mut |start, end, m| {
        Ok(uniform_proposals(end - start, &mut rng, m))
    })
    .unwrap();
    let theta = draws.draws.f64("theta").unwrap();
    assert_eq!(theta.shape(), &[2, 700, 1]);
    assert!(theta.iter().all(|t| *t <= 0.5));
    // a number of draws no tensor can hold is refused before any call
    let mut calls = 0;
    let err = sample_posterior(4, 1 << 40, &options, &mut |_, _, _| {
        calls += 1;
        Ok(Batch::new())
    })
    .map(|_| ())
    .unwrap_err();
    assert!(err.to_string().contains("exceed the limit"), "{err}");
    assert_eq!(calls, 0);
}
