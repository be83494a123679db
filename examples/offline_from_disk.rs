//! Simulate once, in shards, and train from disk: the two-moons task simulated as `K` `.npz`
//! shards, each with its own random stream (what `abi simulate two_moons --n N --out DIR
//! --shard k/K` writes on the `k`-th machine of a cluster job array), then a `BasicWorkflow`
//! trained on the folder with bounded memory (a background thread reads the next shard while
//! the current one trains), validated on fresh simulations, and checked on held-out ones:
//! the diagnostics report under `target/abi/offline_from_disk/report/`. It fails when a
//! parameter's calibration error exceeds 0.05 or its SBC ECDF leaves its band.
//!
//! `cargo run --release --example offline_from_disk` (`-- --quick` for the reduced budget
//! CI runs). Measured on 2 cores beside a niced build: 40 epochs in 25.6 s, calibration
//! errors 0.043 and 0.014, both ECDFs inside their bands; the workflow's default affine
//! coupling flow reached 0.079 and 0.025, one ECDF outside its band, in 63.7 s, so the
//! example uses the spline flow measured best on two moons.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_nets::NetworkSpec;
use abi_workflow::BasicWorkflow;
use clap::Parser;
use std::path::PathBuf;
use std::time::Instant;

/// Sharded simulations on disk, then training from them.
#[derive(Parser, Debug)]
struct Args {
    /// Simulations over all shards.
    #[arg(long, default_value_t = 20_000)]
    simulations: usize,
    /// Shards (machines of a job array).
    #[arg(long, default_value_t = 4)]
    shards: usize,
    /// Training epochs over the folder.
    #[arg(long, default_value_t = 40)]
    epochs: usize,
    /// The reduced budget (20 000 simulations, 20 epochs).
    #[arg(long)]
    quick: bool,
    /// Where the shards and the report go.
    #[arg(long, default_value = "target/abi/offline_from_disk")]
    out: PathBuf,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn main() -> std::process::ExitCode {
    let mut args = Args::parse();
    if args.quick {
        (args.simulations, args.epochs) = (20_000, 20);
    }
    abi_examples::exit_code(run(&args))
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let simulator = abi_sim::benchmarks::simulator_by_name("two_moons")?;
    let shards = args.out.join("sims");
    if shards.exists() {
        std::fs::remove_dir_all(&shards)?;
    }
    std::fs::create_dir_all(&shards)?;
    let t = Instant::now();
    for k in 0..args.shards {
        // shard k of K: its share of the simulations on stream k of the seed
        let rows = (k + 1) * args.simulations / args.shards - k * args.simulations / args.shards;
        let mut rng = abi_sim::draw_rng(args.seed, k as u64);
        let sims = abi_sim::simulate(&*simulator, rows, 1_000, &mut rng, false)?;
        let path = shards.join(format!("shard-{k:06}-of-{:06}.npz", args.shards));
        abi_sim::npz::write_npz(&sims, &path)?;
    }
    println!(
        "simulated {} draws into {} shards in {:.2} s: {}",
        args.simulations,
        args.shards,
        t.elapsed().as_secs_f64(),
        shards.display()
    );

    let mut workflow = BasicWorkflow::builder()
        .simulator(simulator)
        .inference_variables(&["theta"])
        .inference_conditions(&["x"])
        // the network measured best on two moons (the two_moons example's default)
        .inference_network(
            NetworkSpec::new("spline_coupling_flow")
                .set("depth=3")?
                .set("subnet_widths=[64,64]")?
                .set("dropout=0")?,
        )
        .seed(args.seed)
        .build::<abi_ndarray::NdArray>(&abi_ndarray::Cpu)?;
    let t = Instant::now();
    let history = workflow.fit_disk(&shards, args.epochs, 128)?;
    let last = history.epochs.last().ok_or("no epoch was trained")?;
    println!(
        "trained {} epochs from disk in {:.1} s: loss {:.3}, validation {:.3}",
        history.len(),
        t.elapsed().as_secs_f64(),
        last.loss,
        last.val_loss.unwrap_or(f64::NAN)
    );
    let held_out = workflow.simulate(200)?;
    let report = workflow.report_on(args.out.join("report"), &held_out, 500)?;
    let mut failed = Vec::new();
    for row in &report.table.rows {
        println!(
            "  {}: calibration error {:.3}, contraction {:.3}, SBC ECDF {}",
            row.name,
            row.calibration_error,
            row.contraction,
            if row.ecdf_pass {
                "inside its band"
            } else {
                "OUTSIDE its band"
            }
        );
        if row.calibration_error > 0.05 || !row.ecdf_pass {
            failed.push(row.name.clone());
        }
    }
    println!("report: {}", report.index.display());
    if !failed.is_empty() {
        return Err(format!("not calibrated: {failed:?}").into());
    }
    Ok(())
}
