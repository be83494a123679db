//! Runnable examples of abi; see `examples/*.rs` and the workspace README.

use abi_nets::{NetworkSpec, Registry};

/// Prints the mean, 5 %, 50 % and 95 % quantiles of every column of `draws` `(n, dim)`.
pub fn print_quantiles(draws: ndarray::ArrayView2<'_, f64>) {
    let n = draws.nrows();
    if n == 0 {
        return;
    }
    for (k, col) in draws.columns().into_iter().enumerate() {
        let mut v: Vec<f64> = col.to_vec();
        v.sort_by(f64::total_cmp);
        let q = |p: f64| v[((n - 1) as f64 * p).round() as usize];
        println!(
            "  theta[{k}]: mean {:+.3}, 5% {:+.3}, median {:+.3}, 95% {:+.3}",
            col.mean().unwrap_or(f64::NAN),
            q(0.05),
            q(0.5),
            q(0.95)
        );
    }
}

/// Simulation and training options the examples share, as command-line flags. The defaults
/// are the quickstart's; an example with other defaults changes them on its `clap::Command`
/// (`mut_arg`).
#[derive(clap::Args, Debug, Clone)]
pub struct TrainArgs {
    /// Inference network: a registry name (`--list-networks` shows them with their
    /// settings) or a JSON spec `{"name": ..., "settings": {...}}`.
    #[arg(
        long,
        default_value = r#"{"name": "spline_coupling_flow", "settings": {"depth": 3, "subnet_widths": [64, 64], "dropout": 0}}"#
    )]
    pub network: String,
    /// Overrides a network setting, `key=value` with a JSON value or a dotted key into nested
    /// settings; repeatable, e.g. `--set depth=4 --set subnet_widths=[128,128] --set
    /// transform.bins=8`. Unknown keys are errors.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Print the registered inference networks with their default settings and exit.
    #[arg(long)]
    pub list_networks: bool,
    /// Number of simulations (a tenth of them for validation).
    #[arg(long, default_value_t = 10_000)]
    pub simulations: usize,
    /// Most epochs (early stopping may end sooner).
    #[arg(long, default_value_t = 120)]
    pub epochs: usize,
    /// Batch size.
    #[arg(long, default_value_t = 256)]
    pub batch_size: usize,
    /// Early-stopping patience in epochs.
    #[arg(long, default_value_t = 20)]
    pub patience: usize,
    /// Peak learning rate.
    #[arg(long, default_value_t = 3e-3)]
    pub learning_rate: f64,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl TrainArgs {
    /// The inference network of the flags: `--network` with every `--set` applied, resolved
    /// against the built-in registry (unknown names, unknown keys and wrong types are errors).
    pub fn network_spec<B: abi_tensor::Backend>(&self) -> abi_nets::NetResult<NetworkSpec> {
        let mut spec = NetworkSpec::parse(&self.network)?;
        for assignment in &self.set {
            spec = spec.set(assignment)?;
        }
        Registry::<B>::new().resolve_inference(&spec)
    }

    /// With `--list-networks`, prints every registered inference network and its default
    /// settings and returns `true`.
    pub fn list_networks<B: abi_tensor::Backend>(&self) -> bool {
        if !self.list_networks {
            return false;
        }
        let registry = Registry::<B>::new();
        for name in registry.inference_names() {
            if let Ok(spec) = registry.resolve_inference(&NetworkSpec::new(name)) {
                let settings = serde_json::Value::Object(spec.settings);
                println!("{name}: {settings}");
            }
        }
        true
    }
}

/// The examples' validation split: the first tenth of the simulations, and the rest for
/// training.
pub fn split_validation(
    sims: &abi_sim::Batch,
) -> Result<(abi_sim::Batch, abi_sim::Batch), Box<dyn std::error::Error>> {
    let rows = sims.batch_size().ok_or("no simulations")?;
    let n_val = rows / 10;
    Ok((sims.slice(n_val, rows)?, sims.slice(0, n_val)?))
}

/// The standardising adapter of a benchmark task with entries `theta` and `x`: `theta` to
/// `inference_variables` and `x` to `inference_conditions`, or the other way round for a
/// likelihood (`data_as_variables`).
pub fn task_adapter(data_as_variables: bool) -> abi_adapter::Adapter {
    let (variables, conditions) = if data_as_variables {
        ("x", "theta")
    } else {
        ("theta", "x")
    };
    abi_adapter::Adapter::new()
        .standardize(&["theta", "x"])
        .rename(variables, "inference_variables")
        .rename(conditions, "inference_conditions")
}

/// The signature of an approximator's `fit_with`, for [`fit_reporting`].
pub type FitWith<'a> = dyn FnMut(
        &mut abi_approx::dataset::OfflineDataset,
        &abi_approx::TrainConfig,
        &abi_sim::Batch,
        &mut dyn abi_approx::Callback,
    ) -> abi_approx::Result<abi_approx::History>
    + 'a;

/// Trains through `fit` (an approximator's `fit_with`) on `training` with the flags'
/// settings and early stopping on `validation`, printing a line every 10 epochs and a summary
/// with the training time; returns the history.
pub fn fit_reporting(
    training: abi_sim::Batch,
    validation: &abi_sim::Batch,
    settings: &TrainArgs,
    fit: &mut FitWith<'_>,
) -> Result<abi_approx::History, Box<dyn std::error::Error>> {
    let cfg = abi_approx::TrainConfig::new(settings.epochs)
        .learning_rate(settings.learning_rate)
        .patience(Some(settings.patience))
        .seed(settings.seed);
    let t = std::time::Instant::now();
    let mut data =
        abi_approx::dataset::OfflineDataset::new(training, settings.batch_size, settings.seed)?;
    let mut report = |r: &abi_approx::EpochRecord| {
        if r.epoch % 10 == 0 {
            let val = r.val_loss.unwrap_or(f64::NAN);
            println!(
                "  epoch {:>3}: loss {:.4}, validation {val:.4}",
                r.epoch, r.loss
            );
        }
        std::ops::ControlFlow::Continue(())
    };
    let history = fit(&mut data, &cfg, validation, &mut report)?;
    let best = history
        .val_losses()
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    println!(
        "trained {} epochs ({}) in {:.2} s; best validation loss {best:.4} at epoch {}",
        history.len(),
        if history.stopped_early {
            "early stopping"
        } else {
            "all epochs"
        },
        t.elapsed().as_secs_f64(),
        history.best_epoch.unwrap_or(0)
    );
    Ok(history)
}

/// Neural posterior estimation on simulations with entries `theta` and `x`: holds the first
/// tenth out for validation, standardises both, builds the approximator with the network of
/// `settings` (see [`TrainArgs::network_spec`]), trains it with [`fit_reporting`] and returns
/// it.
pub fn train_npe<B: abi_tensor::Backend>(
    sims: &abi_sim::Batch,
    settings: &TrainArgs,
    device: &B::Device,
) -> Result<abi_approx::ContinuousApproximator<B>, Box<dyn std::error::Error>> {
    let (training, validation) = split_validation(sims)?;
    let mut approx = abi_approx::ContinuousApproximatorBuilder::new(task_adapter(false))
        .inference_network(settings.network_spec::<B>()?)
        .seed(settings.seed)
        .build::<B>(&training, device)?;
    fit_reporting(training, &validation, settings, &mut |d, cfg, v, cb| {
        approx.fit_with(d, cfg, Some(v), cb).cloned()
    })?;
    Ok(approx)
}

/// `n` simulations of a benchmark task in batches of 1 000 on all cores, with the time taken
/// printed.
pub fn simulate_task<T: abi_sim::benchmarks::BenchmarkTask + Clone + 'static>(
    task: &T,
    n: usize,
    rng: &mut impl rand::RngCore,
) -> Result<abi_sim::Batch, Box<dyn std::error::Error>> {
    let t = std::time::Instant::now();
    let sims = abi_sim::simulate(&task.clone().simulator(), n, 1_000, rng, true)?;
    println!("simulated {n} draws in {:.3} s", t.elapsed().as_secs_f64());
    Ok(sims)
}

/// The process exit code for an example's result, printing the error (with its causes) to
/// standard error.
pub fn exit_code(result: Result<(), Box<dyn std::error::Error>>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = e.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        train: TrainArgs,
    }

    fn spec(args: &[&str]) -> abi_nets::NetResult<NetworkSpec> {
        let flags = Flags::try_parse_from(std::iter::once("x").chain(args.iter().copied()))
            .map_err(|e| abi_nets::NetError::config("flags", e.to_string()))?;
        flags.train.network_spec::<abi_ndarray::NdArray>()
    }

    #[test]
    fn network_flags_resolve_and_reject_unknown_settings() -> abi_nets::NetResult<()> {
        let s = spec(&[])?;
        assert_eq!(s.name, "spline_coupling_flow");
        assert_eq!(s.settings["depth"], 3);
        assert_eq!(s.settings["subnet_widths"], serde_json::json!([64, 64]));
        let s = spec(&["--set", "depth=4", "--set", "transform.bins=8"])?;
        assert_eq!(
            (
                s.settings["depth"].clone(),
                s.settings["transform"]["bins"].clone()
            ),
            (4.into(), 8.into())
        );
        assert!(spec(&["--network", "maf", "--set", "hidden=32"]).is_ok());
        assert!(spec(&["--set", "dept=3"]).is_err());
        assert!(spec(&["--network", "coupling_flow", "--set", "transform.bins=8"]).is_err());
        assert!(spec(&["--network", "maf", "--set", "hidden=many"]).is_err());
        assert!(spec(&["--network", "maf", "--set", "hidden"]).is_err());
        assert!(spec(&["--network", "nope"]).is_err());
        // another variant replaces the old one's settings instead of mixing with them
        let s = spec(&[
            "--network",
            "coupling_flow",
            "--set",
            "transform.kind=spline",
        ])?;
        assert_eq!(s.settings["transform"]["bins"], 16);
        let s = spec(&[
            "--network",
            "flow_matching",
            "--set",
            r#"solver={"method": "rk4", "steps": 20}"#,
        ])?;
        assert_eq!(
            s.settings["solver"],
            serde_json::json!({"method": "rk4", "steps": 20})
        );
        Ok(())
    }
}
