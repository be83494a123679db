//! Data sets of varying size, both strategies of the BayesFlow course slides, on
//! `BasicWorkflow`: μ ~ N(0, I₂) and N ∈ 10..=100 observations x ~ N(μ, I₂) per data set,
//! summarised by a DeepSet, with N passed to the inference network as a condition (the
//! posterior's width depends on N, which mean pooling cannot see):
//!
//! - `per-batch`: N drawn once per batch by the simulator's meta function, so every batch has
//!   its own set size;
//! - `per-data-set`: N drawn for every data set, the sets padded to the longest in the batch
//!   and a mask (`mask_x`) telling the summary network and the standardisation which entries
//!   are real.
//!
//! For each strategy it trains online, then compares the draws for 300 fresh data sets with
//! the analytic posterior N(Σx / (N + 1), I / (N + 1)): the posterior standard deviation must
//! follow N (their ratio within 15 % on average) and the means must be within 0.25 posterior
//! sd (RMSE), or the example fails.
//!
//! `cargo run --release --example variable_n` (`-- --quick` for the reduced budget CI runs).
//! Measured on 2 cores: per batch, 61.4 s of training, RMSE 0.140 posterior sd, sd ratio
//! 1.002; per data set (padded), 99.0 s, RMSE 0.130, sd ratio 1.005.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_nets::NetworkSpec;
use abi_sim::Batch;
use abi_sim::models::{GaussianMeans, SetSize};
use abi_workflow::BasicWorkflow;
use clap::Parser;
use std::sync::Arc;
use std::time::Instant;

/// Amortized inference over data sets of varying size, both strategies.
#[derive(Parser, Debug)]
struct Args {
    /// Epochs of online training per strategy.
    #[arg(long, default_value_t = 6)]
    epochs: usize,
    /// Batches per epoch.
    #[arg(long, default_value_t = 400)]
    batches: usize,
    /// The reduced budget (3 epochs × 300 batches).
    #[arg(long)]
    quick: bool,
    /// Unused: examples checked in CI take an output folder.
    #[arg(long, default_value = "target/abi/variable_n")]
    out: std::path::PathBuf,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn main() -> std::process::ExitCode {
    let mut args = Args::parse();
    if args.quick {
        (args.epochs, args.batches) = (3, 300);
    }
    abi_examples::exit_code(run(&args))
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut failed = Vec::new();
    for (label, size) in [
        ("per-batch", SetSize::PerBatch(10, 100)),
        ("per-data-set", SetSize::PerDataSet(10, 100)),
    ] {
        let model = GaussianMeans::new(2, size)?;
        let mut builder = BasicWorkflow::builder()
            .simulator(Arc::new(model.simulator()))
            .inference_variables(&["mu"])
            .inference_conditions(&["n"])
            .summary_variables(&["x"])
            .summary_network(
                NetworkSpec::new("deep_set")
                    .set("summary_dim=8")?
                    .set("dropout=0")?,
            )
            .seed(args.seed)
            .quiet();
        if matches!(size, SetSize::PerDataSet(..)) {
            builder = builder.summary_mask("mask_x");
        }
        let mut workflow = builder.build::<abi_ndarray::NdArray>(&abi_ndarray::Cpu)?;
        let t = Instant::now();
        workflow.fit_online(args.epochs, args.batches, 32)?;
        let seconds = t.elapsed().as_secs_f64();
        // fresh data sets: per batch, N is one value per call, so draw several calls
        let mut rmse_sq = 0.0;
        let mut ratio = 0.0;
        let mut count = 0.0;
        for _ in 0..6 {
            let test = workflow.simulate(50)?;
            let draws = workflow.sample(500, &test)?;
            let (sq, r, k) = compare(&model, &test, &draws)?;
            (rmse_sq, ratio, count) = (rmse_sq + sq, ratio + r, count + k);
        }
        let (rmse, ratio) = ((rmse_sq / count).sqrt(), ratio / count);
        println!(
            "{label}: trained {} epochs × {} batches in {seconds:.1} s; against the analytic \
             posterior: RMSE of the means {rmse:.3} posterior sd, sd ratio {ratio:.3}",
            args.epochs, args.batches
        );
        if rmse > 0.25 || (ratio - 1.0).abs() > 0.15 {
            failed.push(label);
        }
    }
    if !failed.is_empty() {
        return Err(format!("the posteriors do not follow N for {failed:?}").into());
    }
    Ok(())
}

/// Squared mean errors in posterior sds, summed sd ratios and their count over the data
/// sets and dimensions of `data`.
fn compare(
    model: &GaussianMeans,
    data: &Batch,
    draws: &Batch,
) -> Result<(f64, f64, f64), Box<dyn std::error::Error>> {
    let x = data.f64("x")?;
    let n = data.f64("n")?;
    let theta = draws.f64("mu")?;
    let (mut sq, mut ratio, mut count) = (0.0, 0.0, 0.0);
    for s in 0..theta.shape()[0] {
        let real = n[[s, 0]] as usize;
        let xs = x.index_axis(ndarray::Axis(0), s);
        let xs = xs
            .slice(ndarray::s![..real, ..])
            .into_dimensionality::<ndarray::Ix2>()?;
        let (mean, var) = model.posterior(xs)?;
        let d = theta.index_axis(ndarray::Axis(0), s);
        for (j, exact) in mean.iter().enumerate() {
            let col = d.index_axis(ndarray::Axis(1), j);
            let m = col.mean().ok_or("no draws")?;
            sq += (m - exact).powi(2) / var;
            ratio += col.std(1.0) / var.sqrt();
            count += 1.0;
        }
    }
    Ok((sq, ratio, count))
}
