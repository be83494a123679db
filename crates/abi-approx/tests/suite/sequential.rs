//! Sequential NLE and NPE-C for one observation of a model whose likelihood is much narrower than its
//! prior: θ ~ U(−3, 3)², x ~ N(θ, 0.1² I). Later rounds simulate where the posterior is, and
//! the final posterior matches the analytic N(x_o, 0.1² I).
#![allow(clippy::unwrap_used)]

use abi_adapter::Adapter;
use abi_approx::{LikelihoodApproximatorBuilder, McmcOptions, RoundsConfig, TrainConfig};
use abi_ndarray::{Cpu, NdArray};
use abi_sim::{Batch, Distribution};
use ndarray::{ArrayD, Axis, IxDyn};
use rand::{RngCore, SeedableRng};
use rand_distr::{Distribution as _, StandardNormal};

const NOISE: f64 = 0.1;

fn with_data(params: &Batch, rng: &mut dyn RngCore) -> abi_approx::Result<Batch> {
    let theta = params.f64("theta")?;
    let x = theta.mapv(|t| {
        let e: f64 = StandardNormal.sample(&mut *rng);
        t + NOISE * e
    });
    let mut out = params.clone();
    out.insert("x", x)?;
    Ok(out)
}

fn prior_draws(prior: &Distribution, n: usize, rng: &mut dyn RngCore) -> Batch {
    let flat: Vec<f64> = (0..n).flat_map(|_| prior.sample(rng)).collect();
    let mut b = Batch::new();
    b.insert(
        "theta",
        ArrayD::from_shape_vec(IxDyn(&[n, 2]), flat).unwrap(),
    )
    .unwrap();
    b
}

/// The prior U(−3, 3)², 500 or more of its simulations, the observation (0.7, −1.2), and the
/// standardising adapter (data as variables for a likelihood).
fn setup(
    first: usize,
    seed: u64,
    likelihood: bool,
) -> (Distribution, Batch, Batch, Adapter, rand_chacha::ChaCha8Rng) {
    let prior = Distribution::box_uniform(vec![-3.0; 2], vec![3.0; 2]).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let sims = with_data(&prior_draws(&prior, first, &mut rng), &mut rng).unwrap();
    let mut observation = Batch::new();
    observation
        .insert("x", ndarray::array![[0.7, -1.2]].into_dyn())
        .unwrap();
    let (variables, conditions) = if likelihood {
        ("x", "theta")
    } else {
        ("theta", "x")
    };
    let adapter = Adapter::new()
        .standardize(&["theta", "x"])
        .rename(variables, "inference_variables")
        .rename(conditions, "inference_conditions");
    (prior, sims, observation, adapter, rng)
}

/// How many of the last round's 500 parameters lie within 0.5 of the observation.
fn near_observation(simulations: &Batch) -> usize {
    let theta = simulations.f64("theta").unwrap();
    let rows = theta.shape()[0];
    let last = theta.slice(ndarray::s![rows - 500.., ..]);
    last.rows()
        .into_iter()
        .filter(|r| (r[0] - 0.7).abs() < 0.5 && (r[1] + 1.2).abs() < 0.5)
        .count()
}

#[test]
fn snle_rounds_move_simulations_to_the_posterior_and_recover_it() {
    let (prior, first, observation, adapter, mut rng) = setup(500, 51, true);
    let mut snle = LikelihoodApproximatorBuilder::new(adapter, &["theta"])
        .seed(1)
        .build::<NdArray>(&first, &Cpu)
        .unwrap();
    let cfg = RoundsConfig::new(
        2,
        500,
        TrainConfig::new(100)
            .learning_rate(1e-3)
            .patience(None)
            .quiet(),
    )
    .validation_fraction(0.1);
    let bad = cfg.clone().validation_fraction(1.0);
    let e = snle
        .fit_sequential(
            first.clone(),
            &mut with_data,
            &prior,
            &observation,
            &bad,
            &mut rng,
        )
        .unwrap_err();
    assert!(e.to_string().contains("validation fraction"), "{e}");
    let outcome = snle
        .fit_sequential(first, &mut with_data, &prior, &observation, &cfg, &mut rng)
        .unwrap();
    assert_eq!(outcome.simulations.batch_size(), Some(1_500));
    assert_eq!(outcome.histories.len(), 3);
    // a tenth of every round held out: every epoch has a validation loss
    assert!(
        outcome
            .histories
            .iter()
            .all(|h| h.epochs.iter().all(|e| e.val_loss.is_some()))
    );
    // the last round's parameters sit around the observation, not over the prior
    let near = near_observation(&outcome.simulations);
    println!("{near} of the last round's 500 draws near the observation");

    let posterior = snle
        .posterior(
            &observation,
            &prior,
            4_000,
            &McmcOptions::default().quiet(),
            &mut rng,
        )
        .unwrap();
    let draws = posterior.draws.f64("theta").unwrap();
    let draws = draws.index_axis(Axis(0), 0);
    let mean = draws.mean_axis(Axis(0)).unwrap();
    let sd = draws.std_axis(Axis(0), 1.0);
    println!("SNLE: posterior mean {mean}, sd {sd} (analytic (0.7, −1.2), 0.1)");
    assert!(
        (mean[0] - 0.7).abs() < 0.03 && (mean[1] + 1.2).abs() < 0.03,
        "mean {mean}"
    );
    for s in sd.iter() {
        assert!((s / NOISE - 1.0).abs() < 0.2, "sd {sd}");
    }
}

#[test]
fn snpe_c_rounds_with_atomic_proposals_recover_the_posterior() {
    let (prior, first, observation, adapter, mut rng) = setup(1_000, 52, false);
    let mut snpe = abi_approx::ContinuousApproximatorBuilder::new(adapter)
        .inference_network("maf")
        .seed(1)
        .build::<NdArray>(&first, &Cpu)
        .unwrap();
    let cfg = RoundsConfig::new(
        2,
        500,
        TrainConfig::new(100)
            .learning_rate(1e-3)
            .patience(None)
            .quiet(),
    );
    let outcome = snpe
        .fit_sequential(
            first,
            "theta",
            &mut with_data,
            &prior,
            &observation,
            &cfg,
            &mut rng,
        )
        .unwrap();
    assert_eq!(outcome.simulations.batch_size(), Some(2_000));
    let near = near_observation(&outcome.simulations);
    println!("{near} of the last round's 500 draws near the observation");
    // APT leaks mass outside the prior's support; its posterior is the flow truncated to it
    let within = abi_approx::SampleOptions::default()
        .quiet()
        .within("theta", prior.clone());
    let draws = snpe
        .sample_with(4_000, &observation, &within, &mut rng)
        .unwrap();
    println!(
        "SNPE-C acceptance inside the prior: {:?}",
        draws.acceptance_rate
    );
    let draws = draws.draws.f64("theta").unwrap();
    let draws = draws.index_axis(Axis(0), 0);
    let mean = draws.mean_axis(Axis(0)).unwrap();
    let sd = draws.std_axis(Axis(0), 1.0);
    println!("SNPE-C: posterior mean {mean}, sd {sd} (analytic (0.7, −1.2), 0.1)");
    assert!(
        (mean[0] - 0.7).abs() < 0.03 && (mean[1] + 1.2).abs() < 0.03,
        "mean {mean}"
    );
    for s in sd.iter() {
        assert!((s / NOISE - 1.0).abs() < 0.2, "sd {sd}");
    }
}
