//! Runnable examples of abi; see `examples/*.rs` and the workspace README.

use abi_nets::inference::{CouplingTransform, InferenceNetworkConfig};

/// Inference-network settings by registry name, plus experimental sizes given as
/// `<name>:depth=<d>,width=<w>,dropout=<p>`.
pub fn network_by_name(spec: &str) -> abi_tensor::Result<InferenceNetworkConfig> {
    let (name, opts) = spec.split_once(':').unwrap_or((spec, ""));
    let mut cfg = InferenceNetworkConfig::from_name(name)?;
    for kv in opts.split(',').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        let num: f64 = v.parse().unwrap_or(0.0);
        if let InferenceNetworkConfig::Maf(m) = &mut cfg {
            match k {
                "transforms" => m.transforms = num as usize,
                "hidden" => m.hidden = num as usize,
                "layers" => m.hidden_layers = num as usize,
                _ => {}
            }
        }
        if let InferenceNetworkConfig::CouplingFlow(c) = &mut cfg {
            match k {
                "depth" => c.depth = num as usize,
                "width" => c.subnet_widths = vec![num as usize; c.subnet_widths.len()],
                "layers" => c.subnet_widths = vec![c.subnet_widths[0]; num as usize],
                "dropout" => c.dropout = num,
                "bins" => {
                    if let CouplingTransform::Spline(s) = &mut c.transform {
                        s.bins = num as usize;
                    }
                }
                _ => {}
            }
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
