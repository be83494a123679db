//! BayesFlow's quickstart model with a learned summary: μ ~ N(0, I₄), x₁ … x_N ~ N(μ, I₄),
//! N = 50 exchangeable observations (or N drawn from 10..=100 per batch, or per data set with
//! padding and a mask), a DeepSet summary (`summary_dim` 10) and a 4-layer affine coupling
//! flow trained online for 10 epochs × 1 000 batches × 32 simulations, as in the tutorial.
//! Afterwards it draws 1 000 posterior samples for each of 500 fresh data sets and compares
//! them with the analytic posterior N(Σx / (N + 1), I / (N + 1)): the RMSE of the posterior
//! means in posterior standard deviations, the ratio of the standard deviations, and the
//! calibration error of central credible intervals.
//!
//! `cargo run --release --example gaussian_means` (`-- --help` for the options, e.g.
//! `--sizes per-batch` or `--sizes per-data-set`, `--epochs 2` for a quick run).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_adapter::Adapter;
use abi_approx::dataset::OnlineDataset;
use abi_approx::{ContinuousApproximatorBuilder, SampleOptions, TrainConfig};
use abi_ndarray::{Cpu, NdArray};
use abi_nets::NetworkSpec;
use abi_sim::models::{GaussianMeans, SetSize};
use abi_sim::{Batch, Simulator};
use clap::{Parser, ValueEnum};
use rand::SeedableRng;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Sizes {
    /// N = 50 always (the tutorial).
    Fixed,
    /// N from 10..=100, the same within a batch.
    PerBatch,
    /// N from 10..=100 for every data set, padded with a mask.
    PerDataSet,
}

/// Amortized posterior estimation for the Gaussian means model with a DeepSet.
#[derive(Parser, Debug)]
struct Args {
    /// How the number of observations varies.
    #[arg(long, value_enum, default_value = "fixed")]
    sizes: Sizes,
    /// Epochs of online training.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Batches per epoch.
    #[arg(long, default_value_t = 1_000)]
    batches: usize,
    /// Simulations per batch.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Peak learning rate (BayesFlow's default is 5e-4; at this budget 1e-3 measured closer
    /// to the analytic posterior: RMSE 0.100 against 0.121 posterior sd).
    #[arg(long, default_value_t = 1e-3)]
    learning_rate: f64,
    /// Summary network settings over the DeepSet's defaults without dropout, `key=value`
    /// (dropout 0.05, BayesFlow's default, measured RMSE 0.171 posterior sd against 0.121
    /// without it at this budget).
    #[arg(long = "summary-set", value_name = "KEY=VALUE")]
    summary_set: Vec<String>,
    /// Inference network settings over a 4-layer coupling flow without dropout, `key=value`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Fresh data sets to check the posteriors on.
    #[arg(long, default_value_t = 500)]
    data_sets: usize,
    /// Posterior draws per data set.
    #[arg(long, default_value_t = 1_000)]
    draws: usize,
    /// Data-parallel shards of every batch (one per core pays on this model).
    #[arg(long, default_value_t = 2)]
    shards: usize,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn main() -> std::process::ExitCode {
    abi_examples::exit_code(run(&Args::parse()))
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let size = match args.sizes {
        Sizes::Fixed => SetSize::Fixed(50),
        Sizes::PerBatch => SetSize::PerBatch(10, 100),
        Sizes::PerDataSet => SetSize::PerDataSet(10, 100),
    };
    let model = GaussianMeans::new(4, size)?;
    let simulator: Arc<dyn Simulator> = Arc::new(model.simulator());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed);
    let pilot = simulator.sample(256, &mut rng)?;
    let validation = simulator.sample(200, &mut rng)?;

    let mut adapter = Adapter::new()
        .rename("mu", "inference_variables")
        .rename("x", "summary_variables");
    if !matches!(args.sizes, Sizes::Fixed) {
        // the posterior's width depends on N, which mean pooling cannot see
        adapter = adapter
            .log(&["n"], false)
            .rename("n", "inference_conditions");
    } else {
        adapter = adapter.drop(&["n"]);
    }
    if matches!(args.sizes, Sizes::PerDataSet) {
        adapter = adapter.rename("mask_x", "summary_mask");
    }
    let mut summary = NetworkSpec::new("deep_set")
        .set("summary_dim=10")?
        .set("dropout=0")?;
    for s in &args.summary_set {
        summary = summary.set(s)?;
    }
    let mut inference = NetworkSpec::new("coupling_flow")
        .set("depth=4")?
        .set("dropout=0")?;
    for s in &args.set {
        inference = inference.set(s)?;
    }
    let mut approx = ContinuousApproximatorBuilder::new(adapter)
        .summary_network(summary)
        .inference_network(inference)
        .seed(args.seed)
        .build::<NdArray>(&pilot, &Cpu)?;
    println!(
        "DeepSet + coupling flow: {} weights",
        approx.parameters().num_elements()
    );

    let mut data = OnlineDataset::new(simulator.clone(), args.batch_size, args.batches, args.seed)?;
    let cfg = TrainConfig::new(args.epochs)
        .learning_rate(args.learning_rate)
        .patience(None)
        .shards(args.shards)
        .seed(args.seed);
    let t = Instant::now();
    let mut report = |r: &abi_approx::EpochRecord| {
        println!(
            "  epoch {:>2}: loss {:.4}, validation {:.4}",
            r.epoch + 1,
            r.loss,
            r.val_loss.unwrap_or(f64::NAN)
        );
        std::ops::ControlFlow::Continue(())
    };
    approx.fit_with(&mut data, &cfg, Some(&validation), &mut report)?;
    let train_seconds = t.elapsed().as_secs_f64();
    println!(
        "trained {} epochs × {} batches × {} online in {train_seconds:.1} s",
        args.epochs, args.batches, args.batch_size
    );

    let fresh = simulator.sample(args.data_sets, &mut rng)?;
    let t = Instant::now();
    let draws = approx.sample_with(
        args.draws,
        &fresh,
        &SampleOptions::default().quiet(),
        &mut rng,
    )?;
    let sample_seconds = t.elapsed().as_secs_f64();
    println!(
        "sampled {} draws for each of {} data sets in {sample_seconds:.3} s",
        args.draws, args.data_sets
    );
    let scores = compare(&model, &fresh, &draws.draws)?;
    println!(
        "against the analytic posterior: RMSE of the means {:.3} posterior sd, sd ratio {:.3}, \
         calibration error {:.3}",
        scores.rmse, scores.sd_ratio, scores.calibration_error
    );
    Ok(())
}

/// How the draws compare with the analytic posterior over all data sets and dimensions.
struct Scores {
    rmse: f64,
    sd_ratio: f64,
    calibration_error: f64,
}

fn compare(
    model: &GaussianMeans,
    data: &Batch,
    draws: &Batch,
) -> Result<Scores, Box<dyn std::error::Error>> {
    let x = data.f64("x")?;
    let mu = data.f64("mu")?;
    let n_real = data.f64("n")?;
    let theta = draws.f64("mu")?;
    let (sets, m, d) = (theta.shape()[0], theta.shape()[1], theta.shape()[2]);
    let levels: Vec<f64> = (1..20).map(|k| k as f64 * 0.05).collect();
    let mut covered = vec![0usize; levels.len()];
    let (mut sq, mut ratio) = (0.0, 0.0);
    for s in 0..sets {
        let n = n_real[[s, 0]] as usize;
        let xs = x.index_axis(ndarray::Axis(0), s);
        let xs = xs
            .slice(ndarray::s![..n, ..])
            .into_dimensionality::<ndarray::Ix2>()?;
        let (mean, var) = model.posterior(xs)?;
        let sd = var.sqrt();
        for j in 0..d {
            let mut col: Vec<f64> = (0..m).map(|i| theta[[s, i, j]]).collect();
            let mh = col.iter().sum::<f64>() / m as f64;
            let vh = col.iter().map(|v| (v - mh).powi(2)).sum::<f64>() / (m - 1) as f64;
            sq += ((mh - mean[j]) / sd).powi(2);
            ratio += vh.sqrt() / sd;
            col.sort_by(f64::total_cmp);
            let truth = mu[[s, j]];
            for (k, &level) in levels.iter().enumerate() {
                let lo = col[(((1.0 - level) / 2.0) * (m - 1) as f64).round() as usize];
                let hi = col[(((1.0 + level) / 2.0) * (m - 1) as f64).round() as usize];
                if lo <= truth && truth <= hi {
                    covered[k] += 1;
                }
            }
        }
    }
    let total = (sets * d) as f64;
    let calibration_error = levels
        .iter()
        .zip(&covered)
        .map(|(l, &c)| (c as f64 / total - l).abs())
        .sum::<f64>()
        / levels.len() as f64;
    Ok(Scores {
        rmse: (sq / total).sqrt(),
        sd_ratio: ratio / total,
        calibration_error,
    })
}
