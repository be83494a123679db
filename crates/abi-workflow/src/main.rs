//! `abi`: simulate, train, sample and diagnose from the shell.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Amortized Bayesian inference: simulate, train once, then sample posteriors for any data
/// set in milliseconds and check them.
#[derive(Parser, Debug)]
#[command(
    name = "abi",
    version,
    after_help = "Examples:
  abi tasks
  abi simulate two_moons --n 20000 --out sims/ --shard 0/4
  abi train train.toml
  abi sample model/ --data observed.npz --n 10000 --out draws.npz
  abi diagnose model/ --out report/
  abi bench two_moons slcp --simulations 10000"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the built-in simulation tasks.
    Tasks,
    /// Simulate a built-in task into `.npz` shards.
    #[command(after_help = "Examples:
  abi simulate two_moons --n 10000 --out sims/
  # one of four machines of a cluster job array, each writing its own shard:
  abi simulate slcp --n 100000 --out sims/ --shard $SLURM_ARRAY_TASK_ID/4")]
    Simulate {
        /// The task (`abi tasks`).
        task: String,
        /// Simulations in all (over every shard).
        #[arg(long)]
        n: usize,
        /// The folder of shards.
        #[arg(long)]
        out: PathBuf,
        /// `k/K`: write only shard k of K (0 ≤ k < K), its share of `--n` with its own
        /// random stream.
        #[arg(long)]
        shard: Option<String>,
        /// Seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Train a model from a TOML file (`abi train --help` shows one).
    #[command(after_help = cli::train::EXAMPLE_HELP)]
    Train {
        /// The training file.
        config: PathBuf,
        /// No progress bars.
        #[arg(long)]
        quiet: bool,
    },
    /// Draw posterior samples for the data sets (rows) of an `.npz` file.
    #[command(after_help = "Example:
  abi sample model/ --data observed.npz --n 10000 --out draws.npz")]
    Sample {
        /// The model folder `abi train` wrote.
        model: PathBuf,
        /// `.npz` with the model's condition entries, one data set per row.
        #[arg(long)]
        data: PathBuf,
        /// Draws per data set.
        #[arg(long, default_value_t = 1_000)]
        n: usize,
        /// The `.npz` written: each parameter `(data sets, n, ...)`.
        #[arg(long)]
        out: PathBuf,
        /// Seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Write the diagnostics report (plots and `index.html`) of a model.
    #[command(after_help = "Examples:
  abi diagnose model/ --out report/
  abi diagnose model/ --data held_out.npz --out report/")]
    Diagnose {
        /// The model folder `abi train` wrote.
        model: PathBuf,
        /// The report folder.
        #[arg(long)]
        out: PathBuf,
        /// Simulations (parameters and data) to check on; by default fresh ones of the
        /// model's task.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Fresh data sets when no `--data` is given.
        #[arg(long, default_value_t = 300)]
        data_sets: usize,
        /// Posterior draws per data set.
        #[arg(long, default_value_t = 500)]
        draws: usize,
        /// Seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Neural posterior estimation on benchmark tasks, scored by C2ST against MCMC
    /// references, with training time and sampling speed (JSON cells and `results.md`).
    #[command(after_help = "Examples:
  abi bench two_moons --simulations 10000
  abi bench gaussian_linear two_moons slcp --simulations 1000,10000,100000 --observations 10
  # resumable: finished cells in --out are kept unless --force")]
    Bench {
        /// Tasks (`abi tasks`); those without a tractable likelihood get no C2ST.
        #[arg(required = true)]
        tasks: Vec<String>,
        /// Simulation budgets, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "10000")]
        simulations: Vec<usize>,
        /// Observations per cell.
        #[arg(long, default_value_t = 5)]
        observations: usize,
        /// Posterior and reference draws per observation.
        #[arg(long, default_value_t = 10_000)]
        draws: usize,
        /// The inference network: a registry name or a JSON spec.
        #[arg(long, default_value = cli::bench::DEFAULT_NETWORK)]
        network: String,
        /// Most epochs (early stopping after 20 without improvement).
        #[arg(long, default_value_t = 120)]
        epochs: usize,
        /// The folder of the results.
        #[arg(long, default_value = "target/abi/bench")]
        out: PathBuf,
        /// Seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Rerun cells already in the folder.
        #[arg(long)]
        force: bool,
        /// No progress bars.
        #[arg(long)]
        quiet: bool,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Tasks => {
            for name in abi_sim::benchmarks::TASK_NAMES {
                println!("{name}");
            }
            Ok(())
        }
        Command::Simulate {
            task,
            n,
            out,
            shard,
            seed,
            quiet,
        } => cli::simulate::run(&task, n, &out, shard.as_deref(), seed, !quiet),
        Command::Train { config, quiet } => cli::train::run(&config, !quiet),
        Command::Sample {
            model,
            data,
            n,
            out,
            seed,
            quiet,
        } => cli::sample::run(&model, &data, n, &out, seed, !quiet),
        Command::Diagnose {
            model,
            out,
            data,
            data_sets,
            draws,
            seed,
        } => cli::diagnose::run(&model, &out, data.as_deref(), data_sets, draws, seed),
        Command::Bench {
            tasks,
            simulations,
            observations,
            draws,
            network,
            epochs,
            out,
            seed,
            force,
            quiet,
        } => cli::bench::run(&cli::bench::BenchOptions {
            tasks,
            simulations,
            observations,
            draws,
            network,
            epochs,
            out,
            seed,
            force,
            progress: !quiet,
        }),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            std::process::ExitCode::FAILURE
        }
    }
}
