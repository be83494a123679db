//! A time-series summary network on raw trajectories: predator–prey (Lotka–Volterra)
//! dynamics with θ = (α, β, γ, δ) under the `lotka_volterra` benchmark's log-normal prior,
//! observed at 40 times with log-normal noise (`abi_sim::models::PredatorPrey`). A
//! `time_series_network` (convolution, then a GRU, then a dense summary) reads the whole
//! trajectory; no hand-made summary statistics.
//!
//! The example trains online, writes the diagnostics report of fresh simulations, measures
//! parameter recovery on 200 held-out trajectories (RMSE of the posterior means of ln θ in
//! prior sds; the prior itself scores 1) and runs a posterior predictive check: trajectories
//! simulated from 200 posterior draws of one held-out data set against its observation
//! (`ppc_prey.png`, `ppc_predator.png`). It fails if the recovery RMSE exceeds 0.15 (0.4 at
//! the reduced budget) or the observation leaves the predictive 90 % band at more than a
//! quarter of the times.
//!
//! `cargo run --release --example time_series` (`-- --quick` for the reduced budget CI runs).
//! Measured on 2 cores: 50.5 s of training, recovery RMSE 0.084 prior sd (α 0.057, β 0.088,
//! γ 0.068, δ 0.113), the observation outside the 90 % predictive band at 1 % of the times.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_adapter::Adapter;
use abi_diag::plot::{PredictiveCheck, plot_posterior_predictive};
use abi_nets::NetworkSpec;
use abi_sim::models::{PredatorPrey, predator_prey};
use abi_workflow::BasicWorkflow;
use clap::Parser;
use ndarray::{Array2, Axis, Ix2, Ix3};
use rand::SeedableRng;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Observation times per trajectory.
const POINTS: usize = 40;

/// Lotka–Volterra parameters from raw trajectories with a time-series summary network.
#[derive(Parser, Debug)]
struct Args {
    /// Epochs of online training.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Batches of 64 simulations per epoch.
    #[arg(long, default_value_t = 400)]
    batches: usize,
    /// The reduced budget (4 epochs × 200 batches; the recovery bound is then 0.4).
    #[arg(long)]
    quick: bool,
    /// Folder of the plots and the report.
    #[arg(long, default_value = "target/abi/time_series")]
    out: PathBuf,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn main() -> std::process::ExitCode {
    let mut args = Args::parse();
    if args.quick {
        (args.epochs, args.batches) = (4, 200);
    }
    abi_examples::exit_code(run(&args))
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let model = PredatorPrey::new(POINTS)?;
    // rates and populations are positive and span orders of magnitude: infer and read them
    // on the log scale
    let adapter = Adapter::new()
        .log(&["theta", "x"], false)
        .standardize(&["theta", "x"])
        .rename("theta", "inference_variables")
        .rename("x", "summary_variables");
    let mut workflow = BasicWorkflow::builder()
        .simulator(Arc::new(model.simulator()))
        .inference_variables(&["theta"])
        .summary_variables(&["x"])
        .adapter(adapter)
        .summary_network(
            NetworkSpec::new("time_series_network")
                .set("summary_dim=8")?
                .set("filters=[16]")?
                .set("kernel_sizes=[3]")?
                .set("strides=[1]")?
                .set("recurrent_dim=32")?,
        )
        .inference_network(
            NetworkSpec::new("coupling_flow")
                .set("depth=4")?
                .set("subnet_widths=[64, 64]")?
                .set("dropout=0")?,
        )
        .seed(args.seed)
        .build::<abi_ndarray::NdArray>(&abi_ndarray::Cpu)?;
    let t = Instant::now();
    workflow.fit_online(args.epochs, args.batches, 64)?;
    println!(
        "trained online, {} epochs × {} batches × 64 trajectories, in {:.1} s",
        args.epochs,
        args.batches,
        t.elapsed().as_secs_f64()
    );
    let report = workflow.plot_default_diagnostics(args.out.join("report"), 200, 300)?;
    println!("report: {}", report.index.display());

    // recovery on held-out trajectories, on the log scale in prior sds
    let held_out = workflow.simulate(200)?;
    let draws = workflow.sample(300, &held_out)?;
    let theta = draws.f64("theta")?.view().into_dimensionality::<Ix3>()?;
    let truth = held_out.f64("theta")?.view().into_dimensionality::<Ix2>()?;
    let log_means = theta.mapv(f64::ln).mean_axis(Axis(1)).ok_or("no draws")?;
    let errors = (&log_means - &truth.mapv(f64::ln)) / predator_prey::LOG_SD;
    let names = ["alpha", "beta", "gamma", "delta"];
    let per_parameter: Vec<String> = errors
        .axis_iter(Axis(1))
        .zip(names)
        .map(|(e, name)| {
            format!(
                "{name} {:.3}",
                e.mapv(|v| v * v).mean().unwrap_or(0.0).sqrt()
            )
        })
        .collect();
    let rmse = errors.mapv(|v| v * v).mean().ok_or("no data sets")?.sqrt();
    println!(
        "recovery on 200 held-out trajectories: RMSE of the posterior means of ln θ {rmse:.3} \
         prior sd ({})",
        per_parameter.join(", ")
    );

    // posterior predictive check of the first held-out trajectory
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed.wrapping_add(11));
    let observed = held_out.f64("x")?.index_axis(Axis(0), 0).to_owned();
    let posterior = theta
        .index_axis(Axis(0), 0)
        .slice(ndarray::s![..200, ..])
        .to_owned();
    let replicated = model.simulate_given(posterior.view(), &mut rng)?;
    let replicated = replicated.f64("x")?.view().into_dimensionality::<Ix3>()?;
    let times = model.times();
    let mut outside = 0;
    for (species, label) in ["prey", "predator"].into_iter().enumerate() {
        let simulated: Array2<f64> = replicated.index_axis(Axis(2), species).to_owned();
        let seen: Vec<f64> = observed
            .index_axis(Axis(1), species)
            .iter()
            .copied()
            .collect();
        outside += outside_band(&simulated, &seen, 0.9);
        let y_label = format!("{label} population");
        for ext in ["png", "svg"] {
            plot_posterior_predictive(
                args.out.join(format!("ppc_{label}.{ext}")),
                &PredictiveCheck {
                    simulated: simulated.view(),
                    observed: &seen,
                    x: Some(&times),
                    x_label: "time",
                    y_label: &y_label,
                },
            )?;
        }
    }
    let share = outside as f64 / (2 * POINTS) as f64;
    println!(
        "posterior predictive check of one trajectory: the observation is outside the 90 % \
         predictive band at {:.0} % of the times ({})",
        100.0 * share,
        args.out.join("ppc_prey.png").display()
    );
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    let bound = if args.quick { 0.4 } else { 0.15 };
    if rmse > bound || share > 0.25 {
        return Err(format!(
            "recovery RMSE {rmse:.3} (at most {bound}), observation outside the predictive band \
             at {:.0} % of the times (at most 25 %)",
            100.0 * share
        )
        .into());
    }
    Ok(())
}

/// How many of the `observed` points lie outside the central `level` band of the
/// `simulated` rows `(draws, points)`.
fn outside_band(simulated: &Array2<f64>, observed: &[f64], level: f64) -> usize {
    let q = |sorted: &[f64], p: f64| abi_diag::quantile_sorted(sorted, p);
    observed
        .iter()
        .enumerate()
        .filter(|&(k, &y)| {
            let mut column = simulated.column(k).to_vec();
            column.sort_by(f64::total_cmp);
            y < q(&column, (1.0 - level) / 2.0) || y > q(&column, (1.0 + level) / 2.0)
        })
        .count()
}
