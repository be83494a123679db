//! Runnable examples of abi; see `examples/*.rs` and the workspace README.

use abi_nets::inference::{CouplingTransform, InferenceNetworkConfig};

/// Inference-network settings by registry name, plus experimental sizes given as
/// `<name>:depth=<d>,width=<w>,dropout=<p>` (coupling flows, also `layers` and `bins`) or
/// `maf:transforms=<t>,hidden=<h>,layers=<l>`. Unknown options and values that are not
/// numbers are errors, never ignored.
pub fn network_by_name(spec: &str) -> abi_tensor::Result<InferenceNetworkConfig> {
    let bad = |reason: String| abi_tensor::TensorError::InvalidArgument {
        op: "network_by_name",
        reason,
    };
    let (name, opts) = spec.split_once(':').unwrap_or((spec, ""));
    let mut cfg = InferenceNetworkConfig::from_name(name)?;
    for kv in opts.split(',').filter(|s| !s.is_empty()) {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| bad(format!("option `{kv}` of `{spec}` is not key=value")))?;
        let num: f64 = v
            .parse()
            .map_err(|_| bad(format!("option `{k}` of `{spec}`: `{v}` is not a number")))?;
        let count = num as usize;
        let known = match &mut cfg {
            InferenceNetworkConfig::Maf(m) => match k {
                "transforms" => {
                    m.transforms = count;
                    true
                }
                "hidden" => {
                    m.hidden = count;
                    true
                }
                "layers" => {
                    m.hidden_layers = count;
                    true
                }
                _ => false,
            },
            InferenceNetworkConfig::CouplingFlow(c) => match (k, &mut c.transform) {
                ("depth", _) => {
                    c.depth = count;
                    true
                }
                ("width", _) => {
                    c.subnet_widths = vec![count; c.subnet_widths.len()];
                    true
                }
                ("layers", _) => {
                    let width = c.subnet_widths.first().copied().unwrap_or(128);
                    c.subnet_widths = vec![width; count];
                    true
                }
                ("dropout", _) => {
                    c.dropout = num;
                    true
                }
                ("bins", CouplingTransform::Spline(s)) => {
                    s.bins = count;
                    true
                }
                _ => false,
            },
            _ => false,
        };
        if !known {
            return Err(bad(format!("`{name}` has no option `{k}` here")));
        }
    }
    Ok(cfg)
}

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
    /// Inference network: a registry name (maf, coupling_flow, spline_coupling_flow,
    /// flow_matching, consistency_model), optionally with sizes, e.g.
    /// `spline_coupling_flow:depth=3,width=64,dropout=0,bins=16` or
    /// `maf:transforms=5,hidden=50`.
    #[arg(
        long,
        default_value = "spline_coupling_flow:depth=3,width=64,dropout=0"
    )]
    pub network: String,
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

/// Neural posterior estimation on simulations with entries `theta` and `x`: holds the first
/// tenth out for validation, standardises both, builds the approximator with the network named
/// by `settings.network` (see [`network_by_name`]), trains it with a line every 10 epochs and a
/// summary with the training time, and returns it.
pub fn train_npe<B: abi_tensor::Backend>(
    sims: &abi_sim::Batch,
    settings: &TrainArgs,
    device: &B::Device,
) -> Result<abi_approx::ContinuousApproximator<B>, Box<dyn std::error::Error>> {
    let rows = sims.batch_size().ok_or("no simulations")?;
    let n_val = rows / 10;
    let validation = sims.slice(0, n_val)?;
    let training = sims.slice(n_val, rows)?;
    let adapter = abi_adapter::Adapter::new()
        .standardize(&["theta", "x"])
        .rename("theta", "inference_variables")
        .rename("x", "inference_conditions");
    let mut approx = abi_approx::ContinuousApproximatorBuilder::new(adapter)
        .inference_network(network_by_name(&settings.network)?)
        .seed(settings.seed)
        .build::<B>(&training, device)?;
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
    let history = approx
        .fit_with(&mut data, &cfg, Some(&validation), &mut report)?
        .clone();
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

    #[test]
    fn network_specs_parse_and_reject_unknown_options() {
        let cfg = network_by_name("spline_coupling_flow:depth=3,width=64,dropout=0,bins=8");
        match cfg {
            Ok(InferenceNetworkConfig::CouplingFlow(c)) => {
                assert_eq!(
                    (c.depth, c.subnet_widths.clone(), c.dropout),
                    (3, vec![64, 64], 0.0)
                );
                assert!(matches!(c.transform, CouplingTransform::Spline(s) if s.bins == 8));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(network_by_name("maf:transforms=3,hidden=32").is_ok());
        assert!(network_by_name("spline_coupling_flow:dept=3").is_err());
        assert!(network_by_name("coupling_flow:bins=8").is_err());
        assert!(network_by_name("maf:hidden=many").is_err());
        assert!(network_by_name("maf:hidden").is_err());
        assert!(network_by_name("flow_matching:depth=2").is_err());
    }
}
