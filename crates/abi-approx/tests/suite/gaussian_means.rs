//! Amortized inference over data sets of varying size: BayesFlow's quickstart model
//! (μ ~ N(0, I₄), x₁ … x_N ~ N(μ, I₄)) with N from 10 to 100, a DeepSet summary and a
//! coupling flow trained online, against the analytic posterior N(Σx / (N + 1), I / (N + 1))
//! on held-out data sets — with N varying between batches, and within batches (padding and
//! a mask).
//!
//! CI's budget allows 1 500 steps of a half-width DeepSet (RMSE 0.23 and 0.26 posterior sd,
//! sd ratios 0.93 and 1.11 here); a posterior that ignores the data is off by about
//! √(N + 1) ≈ 7 posterior sd. The tutorial's full budget is `examples/gaussian_means.rs`.
#![allow(clippy::unwrap_used)]

use abi_adapter::Adapter;
use abi_approx::dataset::OnlineDataset;
use abi_approx::{ContinuousApproximatorBuilder, SampleOptions, TrainConfig};
use abi_ndarray::{Cpu, NdArray};
use abi_nets::NetworkSpec;
use abi_sim::models::{GaussianMeans, SetSize};
use abi_sim::{Batch, Simulator};
use rand::SeedableRng;
use std::sync::Arc;

/// RMSE of the posterior means in posterior standard deviations, and the mean ratio of the
/// posterior standard deviations, over held-out data sets and dimensions.
fn errors(model: &GaussianMeans, data: &Batch, draws: &Batch) -> (f64, f64) {
    let (x, n, theta) = (
        data.f64("x").unwrap(),
        data.f64("n").unwrap(),
        draws.f64("mu").unwrap(),
    );
    let (sets, m, d) = (theta.shape()[0], theta.shape()[1], theta.shape()[2]);
    let (mut sq, mut ratio) = (0.0, 0.0);
    for s in 0..sets {
        let real = n[[s, 0]] as usize;
        let xs = x.index_axis(ndarray::Axis(0), s);
        let xs = xs
            .slice(ndarray::s![..real, ..])
            .into_dimensionality()
            .unwrap();
        let (mean, var) = model.posterior(xs).unwrap();
        for j in 0..d {
            let col: Vec<f64> = (0..m).map(|i| theta[[s, i, j]]).collect();
            let mh = col.iter().sum::<f64>() / m as f64;
            let vh = col.iter().map(|v| (v - mh).powi(2)).sum::<f64>() / (m - 1) as f64;
            sq += (mh - mean[j]).powi(2) / var;
            ratio += (vh / var).sqrt();
        }
    }
    let total = (sets * d) as f64;
    ((sq / total).sqrt(), ratio / total)
}

/// A DeepSet of BayesFlow's structure at half its widths (a quarter of the cost per element).
fn small_deep_set() -> NetworkSpec {
    let mut spec = NetworkSpec::new("deep_set").set("summary_dim=8").unwrap();
    for key in [
        "mlp_widths_equivariant",
        "mlp_widths_invariant_inner",
        "mlp_widths_invariant_last",
    ] {
        spec = spec.set(&format!("{key}=[32, 32]")).unwrap();
    }
    spec.set("mlp_widths_invariant_outer=[32, 4]").unwrap()
}

fn train_and_score(size: SetSize, padded: bool) -> (f64, f64) {
    let model = GaussianMeans::new(4, size).unwrap();
    let sim: Arc<dyn Simulator> = Arc::new(model.simulator());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);
    let pilot = sim.sample(128, &mut rng).unwrap();
    let mut adapter = Adapter::new()
        .rename("mu", "inference_variables")
        .log(&["n"], false)
        .rename("n", "inference_conditions");
    if padded {
        adapter = adapter
            .standardize_masked(&["x"], "mask_x")
            .rename("mask_x", "summary_mask");
    }
    let adapter = adapter.rename("x", "summary_variables");
    let mut approx = ContinuousApproximatorBuilder::new(adapter)
        .summary_network(small_deep_set())
        .inference_network(
            NetworkSpec::new("coupling_flow")
                .set("depth=4")
                .unwrap()
                .set("dropout=0")
                .unwrap(),
        )
        .seed(4)
        .build::<NdArray>(&pilot, &Cpu)
        .unwrap();
    let mut data = OnlineDataset::new(sim.clone(), 32, 250, 5).unwrap();
    let validation = sim.sample(64, &mut rng).unwrap();
    let cfg = TrainConfig::new(6)
        .learning_rate(1e-3)
        .patience(None)
        .shards(2)
        .seed(6)
        .quiet();
    approx
        .fit_with(
            &mut data,
            &cfg,
            Some(&validation),
            &mut |_: &abi_approx::EpochRecord| std::ops::ControlFlow::Continue(()),
        )
        .unwrap();
    let held_out = sim.sample(100, &mut rng).unwrap();
    let draws = approx
        .sample_with(500, &held_out, &SampleOptions::default().quiet(), &mut rng)
        .unwrap();
    errors(&model, &held_out, &draws.draws)
}

#[test]
fn set_sizes_varying_between_batches() {
    let (rmse, sd_ratio) = train_and_score(SetSize::PerBatch(10, 100), false);
    eprintln!("between batches: RMSE {rmse}, sd ratio {sd_ratio}");
    assert!(rmse < 0.4, "RMSE {rmse} posterior sd");
    assert!((sd_ratio - 1.0).abs() < 0.2, "sd ratio {sd_ratio}");
}

#[test]
fn set_sizes_varying_within_batches_with_padding() {
    let (rmse, sd_ratio) = train_and_score(SetSize::PerDataSet(10, 100), true);
    eprintln!("within batches: RMSE {rmse}, sd ratio {sd_ratio}");
    assert!(rmse < 0.4, "RMSE {rmse} posterior sd");
    assert!((sd_ratio - 1.0).abs() < 0.2, "sd ratio {sd_ratio}");
}
