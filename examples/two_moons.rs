//! Neural posterior estimation on the two-moons benchmark on `BasicWorkflow`, end to end:
//! simulate, train with progress, draw 10 000 posterior samples for each of the benchmark's
//! five observations in one call (rejecting draws outside the prior's support), print
//! posterior means and quantiles, and check the draws against the exact posterior with C2ST.
//! The default network, a small spline coupling flow (3 layers, subnets 64 × 64, 16 bins, no
//! dropout, 120 epochs at a peak learning rate of 3e-3), is the most accurate and the fastest
//! to sample of the networks measured on two moons (figures in the workspace README).
//!
//! `cargo run --release --example two_moons` (add `-- --help` for the options). With
//! libtorch installed (`cargo xtask libtorch`), the same run on the libtorch backend:
//! `cargo run --release -p abi-examples --features tch --example two_moons -- --backend tch`
//! (`--device cuda` on a GPU machine).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_approx::SampleOptions;
use abi_ndarray::{Cpu, NdArray};
use abi_sim::Batch;
use abi_sim::benchmarks::{BenchmarkTask, TwoMoons};
use abi_tensor::Backend;
use abi_workflow::BasicWorkflowBuilder;
use clap::Parser;
use ndarray::{Array2, ArrayD, IxDyn};
use rand::SeedableRng;
use std::time::Instant;

/// NPE on two moons with abi.
#[derive(Parser, Debug)]
struct Args {
    #[command(flatten)]
    train: abi_examples::TrainArgs,
    /// Skip the C2ST check.
    #[arg(long)]
    no_c2st: bool,
    /// Tensor backend: `ndarray` (pure Rust, the default) or `tch` (libtorch; build with
    /// `--features tch`).
    #[arg(long, default_value = "ndarray")]
    backend: String,
    /// Device of the `tch` backend: `cpu`, `cuda` or `cuda:N`.
    #[arg(long, default_value = "cpu")]
    device: String,
}

/// The two-moons observations 1–5 of the SBI benchmark (sbibm).
const OBSERVATIONS: [[f64; 2]; 5] = [
    [-0.6396706, 0.16234657],
    [-0.5676688, -0.33194834],
    [0.0030109584, -0.6457662],
    [-0.25049388, 0.633055],
    [-0.66463584, -0.42604533],
];

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if args.train.list_networks::<NdArray>() {
        return std::process::ExitCode::SUCCESS;
    }
    let result = args
        .train
        .network_spec::<NdArray>()
        .map_err(Into::into)
        .and_then(|_| match args.backend.as_str() {
            "ndarray" => run::<NdArray>(&args, Cpu),
            "tch" => run_tch(&args),
            other => Err(format!("unknown backend `{other}` (ndarray or tch)").into()),
        });
    abi_examples::exit_code(result)
}

#[cfg(feature = "tch")]
fn run_tch(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let device = abi_tch::TchDevice::parse(&args.device)
        .ok_or_else(|| format!("unknown device `{}` (cpu, cuda or cuda:N)", args.device))?;
    if device != abi_tch::TchDevice::Cpu && !abi_tch::cuda_is_available() {
        return Err(format!("device {device} asked for, but libtorch sees no CUDA device").into());
    }
    if device == abi_tch::TchDevice::Cpu {
        // small networks: libtorch's intra-op threads cost more than they bring
        abi_tch::set_num_threads(1);
    }
    println!("backend tch, device {device}");
    run::<abi_tch::Tch>(args, device)
}

#[cfg(not(feature = "tch"))]
fn run_tch(_args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    Err(
        "this build has no libtorch backend: run `cargo xtask libtorch`, then build with \
         `-p abi-examples --features tch`"
            .into(),
    )
}

fn run<B: Backend>(args: &Args, device: B::Device) -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.train.seed);
    let task = TwoMoons::new()?;

    let t = Instant::now();
    let n_sims = args.train.simulations;
    let sims = abi_sim::simulate(&task.clone().simulator(), n_sims, 1_000, &mut rng, true)?;
    println!(
        "simulated {n_sims} draws in {:.3} s",
        t.elapsed().as_secs_f64()
    );
    // NPE on the workflow: θ is inferred, x conditions it, both standardised
    let train = &args.train;
    let mut workflow = BasicWorkflowBuilder::new()
        .inference_variables(&["theta"])
        .inference_conditions(&["x"])
        .inference_network(train.network_spec::<B>()?)
        .learning_rate(train.learning_rate)
        .patience(train.patience)
        .seed(train.seed)
        .build::<B>(&device)?;
    let history = workflow.fit_offline(&sims, train.epochs, train.batch_size)?;
    println!("trained {history}");
    let approx = workflow.approximator()?;

    // the five benchmark observations in one batched call: the trained network is amortized
    let mut obs = Batch::new();
    let flat: Vec<f64> = OBSERVATIONS.iter().flatten().copied().collect();
    obs.insert("x", ArrayD::from_shape_vec(IxDyn(&[5, 2]), flat)?)?;
    let n = 10_000;
    let quiet = SampleOptions::default().quiet();
    let first = obs.slice(0, 1)?;
    approx.sample_with(n, &first, &quiet, &mut rng)?; // warm-up
    let mut times = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        approx.sample_with(n, &first, &quiet, &mut rng)?;
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let secs = times[times.len() / 2];
    println!(
        "sampled {n} posterior draws for one observation in {:.2} ms ({:.2} M draws/s; median \
         of 11 calls, fastest {:.2} ms)",
        secs * 1e3,
        n as f64 / secs / 1e6,
        times[0] * 1e3
    );
    // draws outside the prior's box are rejected and redrawn (posterior leakage)
    let within_prior = SampleOptions::default()
        .quiet()
        .within("theta", task.prior().clone());
    let t = Instant::now();
    let draws = approx.sample_with(n, &obs, &within_prior, &mut rng)?;
    println!(
        "sampled {n} draws inside the prior for each of the 5 observations in {:.2} ms \
         (acceptance rate {:.3})",
        t.elapsed().as_secs_f64() * 1e3,
        draws.acceptance_rate.unwrap_or(1.0)
    );
    let theta = draws.draws.f64("theta")?;
    let mut accuracies = Vec::new();
    for (o, x_obs) in OBSERVATIONS.iter().enumerate() {
        let th = theta
            .index_axis(ndarray::Axis(0), o)
            .to_owned()
            .into_shape_with_order((n, 2))?;
        println!(
            "observation {} (x = [{:+.3}, {:+.3}]):",
            o + 1,
            x_obs[0],
            x_obs[1]
        );
        abi_examples::print_quantiles(th.view());
        if !args.no_c2st {
            let mut ref_rng = rand_chacha::ChaCha8Rng::seed_from_u64(1000 + o as u64);
            let reference = task
                .reference_posterior(x_obs, n, &mut ref_rng)
                .ok_or("the observation is outside the model's reach")?;
            let reference = Array2::from_shape_vec((n, 2), reference)?;
            let acc = abi_diag::c2st(th.view(), reference.view(), args.train.seed)?;
            println!("  C2ST against the exact posterior: {acc:.3} (0.5 is perfect)");
            accuracies.push(acc);
        }
    }
    if !accuracies.is_empty() {
        println!(
            "mean C2ST over the 5 observations: {:.3}",
            accuracies.iter().sum::<f64>() / accuracies.len() as f64
        );
    }
    Ok(())
}
