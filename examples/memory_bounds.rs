//! Peak memory of the two long-running jobs whose size a user chooses: sampling many draws
//! for many data sets, and training from a folder of shards larger than the memory the run
//! may use. Each run reports its peak resident set size (`VmHWM` of `/proc/self/status`,
//! Linux) beside the size of what it handled, so the bounds in the README can be checked:
//!
//! ```text
//! cargo run --release --example memory_bounds -- sample --data-sets 10000 --draws 100
//! cargo run --release --example memory_bounds -- disk --rows 400000 --width 500
//! ```
//!
//! `sample` draws from a two-moons coupling flow (the default architecture, untrained: the
//! memory does not depend on the weights' values). `disk` writes shards of `rows` simulations
//! with conditions of `width` numbers each, one shard in memory at a time, then trains one
//! epoch from the folder.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_adapter::Adapter;
use abi_approx::dataset::DiskDataset;
use abi_approx::{ContinuousApproximatorBuilder, SampleOptions, TrainConfig};
use abi_ndarray::{Cpu, NdArray};
use abi_nets::NetworkSpec;
use abi_sim::Batch;
use abi_sim::npz::ShardWriter;
use clap::{Parser, Subcommand};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use std::path::PathBuf;
use std::time::Instant;

/// Peak memory of sampling and of training from disk.
#[derive(Parser, Debug)]
struct Args {
    #[command(subcommand)]
    job: Job,
}

#[derive(Subcommand, Debug)]
enum Job {
    /// `draws` posterior draws for each of `data_sets` data sets.
    Sample {
        /// Data sets (rows of the conditions).
        #[arg(long, default_value_t = 10_000)]
        data_sets: usize,
        /// Draws per data set.
        #[arg(long, default_value_t = 100)]
        draws: usize,
        /// The most draws one network call makes (the sampler's working-set bound).
        #[arg(long, default_value_t = 1 << 20)]
        max_draws_per_call: usize,
    },
    /// One training epoch from shards written to `out`.
    Disk {
        /// Simulations over all shards.
        #[arg(long, default_value_t = 400_000)]
        rows: usize,
        /// Numbers per simulation's condition.
        #[arg(long, default_value_t = 500)]
        width: usize,
        /// Simulations per shard.
        #[arg(long, default_value_t = 20_000)]
        shard_rows: usize,
        /// Where the shards go (removed afterwards).
        #[arg(long, default_value = "target/abi/memory_bounds")]
        out: PathBuf,
    },
}

fn main() -> std::process::ExitCode {
    abi_examples::exit_code(run(&Args::parse()))
}

/// The process's peak resident set size in MiB.
fn peak_rss_mib() -> Result<f64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .ok_or("no VmHWM line in /proc/self/status")?;
    let kib: f64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kib / 1024.0)
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// `rows` simulations of `theta` (2) and `x` (`width`) from `rng`.
fn simulations(
    rows: usize,
    width: usize,
    rng: &mut impl Rng,
) -> Result<Batch, Box<dyn std::error::Error>> {
    let theta = Array2::from_shape_fn((rows, 2), |_| rng.random::<f64>() - 0.5);
    let x = Array2::from_shape_fn((rows, width), |(i, j)| {
        theta[[i, j % 2]] + 0.1 * (rng.random::<f64>() - 0.5)
    });
    let mut batch = Batch::new();
    batch.insert("theta", theta.into_dyn())?;
    batch.insert("x", x.into_dyn())?;
    Ok(batch)
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let adapter = Adapter::new()
        .rename("theta", "inference_variables")
        .rename("x", "inference_conditions");
    let flow = NetworkSpec::new("coupling_flow");
    match &args.job {
        Job::Sample {
            data_sets,
            draws,
            max_draws_per_call,
        } => {
            let model = ContinuousApproximatorBuilder::new(adapter)
                .inference_network(flow)
                .build::<NdArray>(&simulations(64, 2, &mut rng)?, &Cpu)?;
            let mut conditions = Batch::new();
            conditions.insert(
                "x",
                Array2::from_shape_fn((*data_sets, 2), |_| rng.random::<f64>() - 0.5).into_dyn(),
            )?;
            let before = peak_rss_mib()?;
            let options = SampleOptions {
                max_draws_per_call: *max_draws_per_call,
                ..SampleOptions::default()
            };
            let t = Instant::now();
            let out = model.sample_with(*draws, &conditions, &options, &mut rng)?;
            let theta = out.draws.f64("theta")?;
            println!(
                "sample: {data_sets} data sets × {draws} draws in {:.1} s; draws {:.0} MiB \
                 ({:?} f64); peak RSS {:.0} MiB (before sampling {before:.0} MiB)",
                t.elapsed().as_secs_f64(),
                mib(theta.len() * 8),
                theta.shape(),
                peak_rss_mib()?
            );
        }
        Job::Disk {
            rows,
            width,
            shard_rows,
            out,
        } => {
            let dir = out.join("shards");
            if dir.exists() {
                std::fs::remove_dir_all(&dir)?;
            }
            let mut writer = ShardWriter::new(&dir)?;
            let mut written = 0;
            while written < *rows {
                let k = (*shard_rows).min(rows - written);
                writer.write(&simulations(k, *width, &mut rng)?)?;
                written += k;
            }
            let bytes: u64 = std::fs::read_dir(&dir)?
                .map(|e| Ok(e?.metadata()?.len()))
                .sum::<std::io::Result<u64>>()?;
            let after_writing = peak_rss_mib()?;
            let mut model = ContinuousApproximatorBuilder::new(adapter)
                .inference_network(flow.set("depth=2")?.set("subnet_widths=[64]")?)
                .build::<NdArray>(&simulations(64, *width, &mut rng)?, &Cpu)?;
            let mut data = DiskDataset::new(&dir, 256, 0)?;
            let t = Instant::now();
            let history = model.fit(&mut data, &TrainConfig::new(1).quiet())?;
            println!(
                "disk: {rows} simulations × {} numbers, {:.0} MiB of shards of {shard_rows} \
                 rows ({:.0} MiB each in memory); one epoch in {:.1} s, loss {:.3}; peak RSS \
                 {:.0} MiB (after writing {after_writing:.0} MiB)",
                width + 2,
                bytes as f64 / (1024.0 * 1024.0),
                mib(shard_rows * (width + 2) * 8),
                t.elapsed().as_secs_f64(),
                history.epochs.last().map_or(f64::NAN, |r| r.loss),
                peak_rss_mib()?
            );
            std::fs::remove_dir_all(&dir)?;
        }
    }
    Ok(())
}
