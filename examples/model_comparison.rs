//! Amortized Bayesian model comparison (BayesFlow's `ModelComparisonApproximator`): a
//! classifier trained on simulations from several models gives, for any data set, the
//! posterior probabilities of the models, hence Bayes factors, in one forward pass.
//!
//! Two models of ten observations x ~ N(μ, 1) that differ only in the prior of μ: a narrow
//! N(0, 0.5²) (model 0) and a wide N(0, 2²) (model 1). Their Bayes factor is analytic, so the
//! learned one can be checked: `log N(x̄; 0, s₀² + 1/N) − log N(x̄; 0, s₁² + 1/N)`.
//!
//! The example trains offline, then on held-out simulations compares the accuracy with the
//! analytic (Bayes-optimal) one, the log Bayes factors with the analytic ones, and writes the
//! calibration and confusion-matrix plots under `target/abi/model_comparison/`. It fails if
//! the accuracy is more than 0.02 below the optimum, a calibration error exceeds 0.05 or
//! the median log Bayes factor error exceeds 0.15. Measured on 2 cores: 2.4 s of training,
//! accuracy 0.753 against the optimal 0.750, calibration error 0.018, median log Bayes factor
//! error 0.061.
//!
//! `cargo run --release --example model_comparison` (`-- --quick` for the reduced budget CI
//! runs).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_adapter::Adapter;
use abi_approx::dataset::OfflineDataset;
use abi_approx::{ModelComparisonApproximatorBuilder, TrainConfig};
use abi_diag::plot::{plot_confusion_matrix, plot_mc_calibration};
use abi_sim::{Batch, ModelComparisonSimulator, Simulator, simulate};
use clap::Parser;
use ndarray::{Array2, Axis};
use rand::{Rng, RngCore, SeedableRng};
use rand_distr::StandardNormal;
use std::path::PathBuf;
use std::time::Instant;

/// Observations per data set.
const N: usize = 10;
/// Prior sds of μ under the two models.
const SCALES: [f64; 2] = [0.5, 2.0];

/// Model comparison with a learned classifier, checked against analytic Bayes factors.
#[derive(Parser, Debug)]
struct Args {
    /// Training simulations (split evenly between the models on average).
    #[arg(long, default_value_t = 20_000)]
    simulations: usize,
    /// Epochs of offline training.
    #[arg(long, default_value_t = 20)]
    epochs: usize,
    /// The reduced budget (8 000 simulations, 12 epochs).
    #[arg(long)]
    quick: bool,
    /// Folder of the plots.
    #[arg(long, default_value = "target/abi/model_comparison")]
    out: PathBuf,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// μ ~ N(0, scale²), x₁..x_N ~ N(μ, 1): `mu` `(b, 1)`, `x` `(b, N)`.
struct Means {
    scale: f64,
}

impl Simulator for Means {
    fn sample(&self, batch_size: usize, rng: &mut dyn RngCore) -> abi_sim::Result<Batch> {
        let mu: Vec<f64> = (0..batch_size)
            .map(|_| self.scale * rng.sample::<f64, _>(StandardNormal))
            .collect();
        let x = Array2::from_shape_fn((batch_size, N), |(i, _)| {
            mu[i] + rng.sample::<f64, _>(StandardNormal)
        });
        let mut b = Batch::new();
        b.insert(
            "mu",
            Array2::from_shape_fn((batch_size, 1), |(i, _)| mu[i]).into_dyn(),
        )?;
        b.insert("x", x.into_dyn())?;
        Ok(b)
    }
}

/// The analytic log Bayes factor of model 0 against model 1 for the data set `x`.
fn analytic_log_bf(x: ndarray::ArrayView1<'_, f64>) -> f64 {
    let mean = x.mean().unwrap_or(0.0);
    let log_normal = |v: f64| -0.5 * (2.0 * std::f64::consts::PI * v).ln() - 0.5 * mean * mean / v;
    log_normal(SCALES[0].powi(2) + 1.0 / N as f64) - log_normal(SCALES[1].powi(2) + 1.0 / N as f64)
}

fn main() -> std::process::ExitCode {
    let mut args = Args::parse();
    if args.quick {
        (args.simulations, args.epochs) = (8_000, 12);
    }
    abi_examples::exit_code(run(&args))
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let simulator = ModelComparisonSimulator::new(
        SCALES
            .iter()
            .map(|&scale| Box::new(Means { scale }) as Box<dyn Simulator>)
            .collect(),
    )?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed);
    let sims = simulate(&simulator, args.simulations, 1_000, &mut rng, false)?;
    // the classifier sees the data; μ is model-specific and the indices are the labels
    let adapter = Adapter::new()
        .drop(&["mu", "model_indices"])
        .standardize(&["x"])
        .rename("model", "inference_variables")
        .rename("x", "inference_conditions");
    let mut approx = ModelComparisonApproximatorBuilder::new(adapter, &["model"])
        .seed(args.seed.wrapping_add(1))
        .build::<abi_ndarray::NdArray>(&sims, &abi_ndarray::Cpu)?;
    let t = Instant::now();
    let config = TrainConfig::new(args.epochs)
        .patience(None)
        .seed(args.seed.wrapping_add(2));
    approx.fit(
        &mut OfflineDataset::new(sims, 128, args.seed.wrapping_add(3))?,
        &config,
    )?;
    println!(
        "trained the classifier on {} simulations, {} epochs, in {:.1} s",
        args.simulations,
        args.epochs,
        t.elapsed().as_secs_f64()
    );

    let held_out = simulate(&simulator, 4_000, 1_000, &mut rng, false)?;
    let probs = approx.predict(&held_out)?;
    let truth: Vec<usize> = held_out
        .get("model_indices")?
        .to_f64()
        .iter()
        .map(|&m| m as usize)
        .collect();
    let scores = abi_diag::model_comparison(&truth, probs.view(), 10)?;
    let log_bf = approx.log_bayes_factors(&held_out, 0, 1, &[0.5, 0.5])?;
    let x = held_out
        .f64("x")?
        .view()
        .into_dimensionality::<ndarray::Ix2>()?;
    let exact: Vec<f64> = x.axis_iter(Axis(0)).map(analytic_log_bf).collect();
    // the Bayes-optimal classifier picks model 0 when its log Bayes factor is positive
    let optimal = exact
        .iter()
        .zip(&truth)
        .filter(|&(bf, &m)| (*bf > 0.0) == (m == 0))
        .count() as f64
        / truth.len() as f64;
    let mut errors: Vec<f64> = log_bf
        .iter()
        .zip(&exact)
        .filter(|&(_, e)| e.abs() <= 3.0)
        .map(|(l, e)| (l - e).abs())
        .collect();
    errors.sort_by(f64::total_cmp);
    let median = errors.get(errors.len() / 2).copied().unwrap_or(f64::NAN);
    let models = ["narrow prior", "wide prior"];
    std::fs::create_dir_all(&args.out)?;
    for ext in ["png", "svg"] {
        plot_mc_calibration(
            args.out.join(format!("calibration.{ext}")),
            &scores,
            &models,
        )?;
        plot_confusion_matrix(args.out.join(format!("confusion.{ext}")), &scores, &models)?;
    }
    let worst_ece = scores.ece.iter().copied().fold(0.0, f64::max);
    println!(
        "held out (4 000 data sets): accuracy {:.3} (Bayes-optimal {optimal:.3}), calibration \
         error ≤ {worst_ece:.3}; where |log BF| ≤ 3 ({} data sets) the learned log Bayes \
         factors are {median:.3} from the analytic ones (median)",
        scores.accuracy,
        errors.len()
    );
    println!(
        "plots: {}; done in {:.1} s",
        args.out.join("calibration.png").display(),
        started.elapsed().as_secs_f64()
    );
    if scores.accuracy < optimal - 0.02 || worst_ece > 0.05 || median > 0.15 {
        return Err(format!(
            "accuracy {:.3} (optimum {optimal:.3}), calibration error {worst_ece:.3}, median \
             log BF error {median:.3}",
            scores.accuracy
        )
        .into());
    }
    Ok(())
}
