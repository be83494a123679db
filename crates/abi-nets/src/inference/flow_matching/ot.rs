//! Mini-batch optimal-transport pairing for flow matching (Tong et al., 2024; Pooladian et
//! al., 2023): data and noise in a batch are re-paired along an entropic optimal-transport
//! plan, which straightens the learned paths.

use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

/// The largest batch optimal-transport pairing takes (its plan holds rows² numbers: 512 MiB
/// at this size).
pub const MAX_OT_ROWS: usize = 8192;

/// Settings of the entropic optimal-transport pairing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OtConfig {
    /// Entropic regularisation, relative to the mean squared distance of the batch.
    pub epsilon: f64,
    /// Sinkhorn iterations.
    pub iterations: usize,
}

impl Default for OtConfig {
    fn default() -> Self {
        Self {
            epsilon: 0.1,
            iterations: 100,
        }
    }
}

fn log_sum_exp(v: impl Iterator<Item = f64> + Clone) -> f64 {
    let m = v.clone().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + v.map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// The entropic optimal-transport plan between `n` points `x` and `n` points `y` (row-major
/// `n × d`) with uniform marginals and squared-Euclidean cost, by Sinkhorn iterations in the
/// log domain (stable for small `epsilon`); returns `log P` row-major `n × n`.
pub fn log_sinkhorn_plan(x: &[f64], y: &[f64], n: usize, d: usize, cfg: &OtConfig) -> Vec<f64> {
    let mut cost = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            cost[i * n + j] = (0..d).map(|k| (x[i * d + k] - y[j * d + k]).powi(2)).sum();
        }
    }
    let mean = cost.iter().sum::<f64>() / (n * n).max(1) as f64;
    let eps = cfg.epsilon * mean.max(1e-12);
    let log_k: Vec<f64> = cost.iter().map(|c| -c / eps).collect();
    let log_marginal = -(n as f64).ln();
    let (mut f, mut g) = (vec![0.0; n], vec![0.0; n]);
    for _ in 0..cfg.iterations {
        for i in 0..n {
            let row = (0..n).map(|j| log_k[i * n + j] + g[j]);
            f[i] = log_marginal - log_sum_exp(row);
        }
        for j in 0..n {
            let col = (0..n).map(|i| log_k[i * n + j] + f[i]);
            g[j] = log_marginal - log_sum_exp(col);
        }
    }
    let mut plan = log_k;
    for i in 0..n {
        for j in 0..n {
            plan[i * n + j] += f[i] + g[j];
        }
    }
    plan
}

/// For each of the `n` rows of `x`, a row of `y` drawn from the plan's conditional
/// distribution given that row.
pub fn ot_pairing(
    x: &[f64],
    y: &[f64],
    n: usize,
    d: usize,
    cfg: &OtConfig,
    rng: &mut dyn RngCore,
) -> Vec<usize> {
    let plan = log_sinkhorn_plan(x, y, n, d, cfg);
    (0..n)
        .map(|i| {
            let row = &plan[i * n..(i + 1) * n];
            let norm = log_sum_exp(row.iter().copied());
            let u: f64 = rng.random();
            let mut acc = 0.0;
            for (j, &lp) in row.iter().enumerate() {
                acc += (lp - norm).exp();
                if u < acc {
                    return j;
                }
            }
            n - 1
        })
        .collect()
}
