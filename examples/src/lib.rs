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
