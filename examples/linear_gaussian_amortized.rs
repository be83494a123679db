//! sbi's amortized-inference tutorial with abi's `BasicWorkflow`: three parameters under
//! `BoxUniform(−2, 2)`, data `x = θ + 1 + 0.1 ε`, NPE trained on 2 000 simulations, then
//! 10 000 posterior draws for each of two observations simulated from known parameters (the
//! simulator run for given θ), with pairs plots that mark the true θ, under
//! `target/abi/linear_gaussian_amortized/`. The posterior is `N(x − 1, 0.1² I)` inside the
//! box; the example fails when a posterior mean is off by more than 0.05 or a standard
//! deviation by more than 30 %.
//!
//! `cargo run --release --example linear_gaussian_amortized` (`-- --quick` for the reduced
//! budget CI runs).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_diag::plot::{PairsOptions, plot_pairs};
use abi_sim::{Batch, ComposedSimulator, Simulator, Vars, make_simulator};
use abi_workflow::BasicWorkflow;
use clap::Parser;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Amortized NPE on sbi's linear Gaussian tutorial model.
#[derive(Parser, Debug)]
struct Args {
    /// Simulations to train on.
    #[arg(long, default_value_t = 2_000)]
    simulations: usize,
    /// Training epochs.
    #[arg(long, default_value_t = 100)]
    epochs: usize,
    /// Draws per observation.
    #[arg(long, default_value_t = 10_000)]
    draws: usize,
    /// The reduced budget (30 epochs).
    #[arg(long)]
    quick: bool,
    /// Where the plots go.
    #[arg(long, default_value = "target/abi/linear_gaussian_amortized")]
    out: PathBuf,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// The parameters of the two observations.
const TRUE_THETA: [[f64; 3]; 2] = [[0.5, -1.0, 1.2], [-1.4, 0.3, 0.0]];

/// θ ~ BoxUniform(−2, 2)³, x = θ + 1 + 0.1 ε.
fn simulator() -> ComposedSimulator {
    make_simulator()
        .then("prior", |_, rng| {
            let theta: Vec<f64> = (0..3).map(|_| rng.random_range(-2.0..2.0)).collect();
            Ok(Vars::new().with("theta", theta))
        })
        .then("likelihood", |v, rng| {
            let noise = Normal::new(0.0, 0.1)?;
            let x: Vec<f64> = v
                .vector("theta")?
                .iter()
                .map(|t| t + 1.0 + noise.sample(rng))
                .collect();
            Ok(Vars::new().with("x", x))
        })
}

fn main() -> std::process::ExitCode {
    let mut args = Args::parse();
    if args.quick {
        args.epochs = 30;
    }
    abi_examples::exit_code(run(&args))
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed);
    let sims = simulator().sample(args.simulations, &mut rng)?;
    let mut workflow = BasicWorkflow::builder()
        .simulator(Arc::new(simulator()))
        .inference_variables(&["theta"])
        .inference_conditions(&["x"])
        .seed(args.seed)
        .build::<abi_ndarray::NdArray>(&abi_ndarray::Cpu)?;
    let t = Instant::now();
    workflow.fit_offline(&sims, args.epochs, 64)?;
    println!(
        "trained on {} simulations ({} epochs) in {:.1} s",
        args.simulations,
        args.epochs,
        t.elapsed().as_secs_f64()
    );

    // two observations simulated for known parameters
    let mut given = Batch::new();
    let flat: Vec<f64> = TRUE_THETA.iter().flatten().copied().collect();
    given.insert(
        "theta",
        ndarray::Array2::from_shape_vec((2, 3), flat)?.into_dyn(),
    )?;
    let observed = simulator().sample_given(&given, &mut rng)?;
    let t = Instant::now();
    let draws = workflow.sample(args.draws, &observed)?;
    println!(
        "{} draws for each of 2 observations in {:.1} ms",
        args.draws,
        t.elapsed().as_secs_f64() * 1e3
    );
    std::fs::create_dir_all(&args.out)?;
    let x = observed.f64("x")?;
    let theta = draws.f64("theta")?;
    let names = ["θ₁", "θ₂", "θ₃"];
    let mut worst: f64 = 0.0;
    for (o, truth) in TRUE_THETA.iter().enumerate() {
        let d = theta
            .index_axis(ndarray::Axis(0), o)
            .into_dimensionality::<ndarray::Ix2>()?;
        let path = args.out.join(format!("pairs_observation_{}.png", o + 1));
        let options = PairsOptions {
            truth: Some(truth),
            prior: None,
        };
        plot_pairs(&path, d, &names, &options)?;
        plot_pairs(path.with_extension("svg"), d, &names, &options)?;
        let mean = d.mean_axis(ndarray::Axis(0)).ok_or("no draws")?;
        let sd = d.std_axis(ndarray::Axis(0), 1.0);
        println!(
            "observation {}: x = {:.3}",
            o + 1,
            x.index_axis(ndarray::Axis(0), o)
        );
        for j in 0..3 {
            let exact = x[[o, j]] - 1.0;
            println!(
                "  {}: posterior mean {:+.3} (exact {exact:+.3}, true {:+.3}), sd {:.3} (exact 0.100)",
                names[j], mean[j], truth[j], sd[j]
            );
            worst = worst
                .max((mean[j] - exact).abs() / 0.05)
                .max((sd[j] / 0.1 - 1.0).abs() / 0.3);
        }
        println!("  pairs plot: {}", path.display());
    }
    if worst > 1.0 {
        return Err("a posterior mean is off by more than 0.05 or an sd by more than 30 %".into());
    }
    println!("every posterior mean within 0.05 of the exact one and every sd within 30 %");
    Ok(())
}
