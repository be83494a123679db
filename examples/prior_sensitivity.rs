//! Prior sensitivity by amortizing over a prior hyperparameter (the BayesFlow quickstart's
//! "prior sensitivity analysis"): the prior's sd τ is drawn for every simulation and passed
//! to the inference network as a condition, so one trained network gives the posterior under
//! every prior in the range, and how the posterior moves with τ is one batch of sampling.
//!
//! Model: τ ~ U(0.2, 1.5), μ ~ N(0, τ² I₂), x₁..x₁₀ ~ N(μ, I₂), whose posterior is
//! N(Σx / (N + τ⁻²), I / (N + τ⁻²)). The example trains online, writes the diagnostics report
//! of fresh simulations, then compares the posteriors of 30 observed data sets along a grid
//! of τ from 0.3 to 1.5 with the analytic ones, and plots one (true μ = (0.8, −0.5)): posterior
//! mean and 90 % interval against τ (`target/abi/prior_sensitivity/sensitivity.png`). It
//! fails if the posterior means are more than 0.2 posterior sd from the analytic ones (RMSE;
//! 0.3 at the reduced budget)
//! or the posterior sds off by more than 10 % on average.
//!
//! `cargo run --release --example prior_sensitivity` (`-- --quick` for the reduced budget CI
//! runs).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_diag::plot::{Band, plot_sensitivity};
use abi_nets::NetworkSpec;
use abi_sim::{Batch, Simulator};
use abi_workflow::BasicWorkflow;
use clap::Parser;
use ndarray::{Array2, Array3};
use rand::{Rng, RngCore, SeedableRng};
use rand_distr::StandardNormal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Observations per data set.
const N: usize = 10;
/// Dimension of μ.
const D: usize = 2;
/// Range of the prior sd τ.
const TAU: (f64, f64) = (0.2, 1.5);

/// Amortized inference over a prior hyperparameter, and the posterior along it.
#[derive(Parser, Debug)]
struct Args {
    /// Epochs of online training.
    #[arg(long, default_value_t = 12)]
    epochs: usize,
    /// Batches per epoch.
    #[arg(long, default_value_t = 500)]
    batches: usize,
    /// The reduced budget (5 epochs × 300 batches; the RMSE bound is then 0.3).
    #[arg(long)]
    quick: bool,
    /// Folder of the plots and the report.
    #[arg(long, default_value = "target/abi/prior_sensitivity")]
    out: PathBuf,
    /// Observed data sets whose posteriors are compared along the grid of τ.
    #[arg(long, default_value_t = 30)]
    data_sets: usize,
    /// The inference network.
    #[arg(long, default_value = "coupling_flow")]
    network: String,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// τ ~ U(0.2, 1.5), μ ~ N(0, τ² I), x ~ N(μ, I): `tau` `(b, 1)`, `mu` `(b, D)`, `x` `(b, N, D)`.
struct HierarchicalMeans;

impl HierarchicalMeans {
    fn draw(tau: f64, rng: &mut dyn RngCore) -> ([f64; D], Vec<f64>) {
        let mut mu = [0.0; D];
        for m in &mut mu {
            *m = tau * rng.sample::<f64, _>(StandardNormal);
        }
        let x = (0..N * D)
            .map(|k| mu[k % D] + rng.sample::<f64, _>(StandardNormal))
            .collect();
        (mu, x)
    }
}

impl Simulator for HierarchicalMeans {
    fn sample(&self, batch_size: usize, rng: &mut dyn RngCore) -> abi_sim::Result<Batch> {
        let (mut tau, mut mu, mut x) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..batch_size {
            let t = rng.random_range(TAU.0..TAU.1);
            let (m, xs) = Self::draw(t, rng);
            tau.push(t);
            mu.extend(m);
            x.extend(xs);
        }
        let mut b = Batch::new();
        b.insert(
            "tau",
            Array2::from_shape_fn((batch_size, 1), |(i, _)| tau[i]).into_dyn(),
        )?;
        b.insert(
            "mu",
            Array2::from_shape_fn((batch_size, D), |(i, j)| mu[i * D + j]).into_dyn(),
        )?;
        b.insert(
            "x",
            Array3::from_shape_fn((batch_size, N, D), |(i, k, j)| x[(i * N + k) * D + j])
                .into_dyn(),
        )?;
        Ok(b)
    }
}

fn main() -> std::process::ExitCode {
    let mut args = Args::parse();
    if args.quick {
        (args.epochs, args.batches) = (5, 300);
    }
    abi_examples::exit_code(run(&args))
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mut workflow = BasicWorkflow::builder()
        .simulator(Arc::new(HierarchicalMeans))
        .inference_variables(&["mu"])
        .inference_conditions(&["tau"])
        .summary_variables(&["x"])
        .summary_network(
            NetworkSpec::new("deep_set")
                .set("summary_dim=8")?
                .set("dropout=0")?,
        )
        .inference_network(NetworkSpec::new(args.network.as_str()).set("dropout=0")?)
        .seed(args.seed)
        .build::<abi_ndarray::NdArray>(&abi_ndarray::Cpu)?;
    let t = Instant::now();
    workflow.fit_online(args.epochs, args.batches, 32)?;
    println!(
        "trained online, {} epochs × {} batches × 32 simulations, in {:.1} s",
        args.epochs,
        args.batches,
        t.elapsed().as_secs_f64()
    );
    let report = workflow.plot_default_diagnostics(args.out.join("report"), 200, 300)?;
    println!("report: {}", report.index.display());

    // observed data sets, each one's posterior under every prior on the grid: the first
    // from μ = (0.8, −0.5) (the one plotted), the others from μ ~ N(0, 0.6² I)
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed.wrapping_add(7));
    let observed: Vec<Vec<f64>> = (0..args.data_sets)
        .map(|d| {
            let mu: Vec<f64> = match d {
                0 => vec![0.8, -0.5],
                _ => (0..D)
                    .map(|_| 0.6 * rng.sample::<f64, _>(StandardNormal))
                    .collect(),
            };
            (0..N * D)
                .map(|k| mu[k % D] + rng.sample::<f64, _>(StandardNormal))
                .collect()
        })
        .collect();
    let grid: Vec<f64> = (3..=15).map(|k| k as f64 / 10.0).collect();
    let (g, rows) = (grid.len(), grid.len() * observed.len());
    let mut conditions = Batch::new();
    conditions.insert(
        "tau",
        Array2::from_shape_fn((rows, 1), |(r, _)| grid[r % g]).into_dyn(),
    )?;
    conditions.insert(
        "x",
        Array3::from_shape_fn((rows, N, D), |(r, i, j)| observed[r / g][i * D + j]).into_dyn(),
    )?;
    let estimates = workflow.estimate(&conditions, 1_000)?;

    let z = 1.644_854; // the 95 % quantile of N(0, 1): a central 90 % interval
    let (mut sq, mut sd_ratio) = (0.0, 0.0);
    let (mut estimated, mut exact) = (Vec::new(), Vec::new());
    for j in 0..D {
        let name = format!("mu[{j}]");
        let e = estimates.get(&name).ok_or("no estimate of mu")?;
        let mut reference = Band {
            name: name.clone(),
            center: Vec::new(),
            lower: Vec::new(),
            upper: Vec::new(),
        };
        for r in 0..rows {
            let (set, tau) = (r / g, grid[r % g]);
            let sum: f64 = (0..N).map(|i| observed[set][i * D + j]).sum();
            let precision = N as f64 + 1.0 / (tau * tau);
            let (mean, sd) = (sum / precision, precision.sqrt().recip());
            sq += ((e.mean[r] - mean) / sd).powi(2);
            sd_ratio += e.sd[r] / sd;
            if set == 0 {
                reference.center.push(mean);
                reference.lower.push(mean - z * sd);
                reference.upper.push(mean + z * sd);
            }
        }
        estimated.push(Band {
            name,
            center: e.mean[..g].to_vec(),
            lower: e.lower[..g].to_vec(),
            upper: e.upper[..g].to_vec(),
        });
        exact.push(reference);
    }
    let cells = (rows * D) as f64;
    let (rmse, sd_ratio) = ((sq / cells).sqrt(), sd_ratio / cells);
    for ext in ["png", "svg"] {
        plot_sensitivity(
            args.out.join(format!("sensitivity.{ext}")),
            "prior sd τ",
            &grid,
            &estimated,
            Some(&exact),
            estimates.level,
        )?;
    }
    let first = &estimated[0];
    println!(
        "posterior mean of mu[0] for the plotted data set moves from {:.3} at τ = {} to {:.3} \
         at τ = {} (analytic {:.3} to {:.3}); over {} data sets × {g} priors: RMSE of the \
         means {rmse:.3} posterior sd, sd ratio {sd_ratio:.3}",
        first.center[0],
        grid[0],
        first.center[g - 1],
        grid[g - 1],
        exact[0].center[0],
        exact[0].center[g - 1],
        observed.len()
    );
    println!(
        "plot: {}; done in {:.1} s",
        args.out.join("sensitivity.png").display(),
        started.elapsed().as_secs_f64()
    );
    let bound = if args.quick { 0.3 } else { 0.2 };
    if rmse > bound || (sd_ratio - 1.0).abs() > 0.1 {
        return Err(format!(
            "the posterior does not follow the prior: RMSE of the means {rmse:.3} posterior sd, \
             sd ratio {sd_ratio:.3}"
        )
        .into());
    }
    Ok(())
}
