//! Posterior sampling over many data sets: chunks of data sets with bounded memory, a
//! progress bar, and rejection of parameter-space draws outside a support. The sampler only
//! sees a proposal function that returns named parameter-space draws, so every approximator
//! (and every way of drawing: a flow, MCMC, importance sampling) shares it.

use crate::error::{ApproxError, Result};
use crate::sampling::{Draws, SampleOptions, Support};
use abi_sim::Batch;
use ndarray::{ArrayD, IxDyn};

/// Draws `n` parameter sets for each of `rows` data sets. `propose(start, end, m)` must return
/// `m` draws for each data set in `start..end` as named parameters shaped `(end − start, m,
/// ...)`. Data sets are processed in chunks of at most `options.max_draws_per_call / n` (at
/// least one); with `options.support`, draws outside it are rejected and redrawn.
pub fn sample_posterior(
    rows: usize,
    n: usize,
    options: &SampleOptions,
    propose: &mut dyn FnMut(usize, usize, usize) -> Result<Batch>,
) -> Result<Draws> {
    if n == 0 {
        return Err(ApproxError::Config(
            "number of draws must be positive".into(),
        ));
    }
    options.check()?;
    let per_chunk = (options.max_draws_per_call / n).max(1);
    let bar = abi_sim::progress_bar(rows as u64, "sampling", options.progress);
    let (mut parts, mut proposed, mut accepted) = (Vec::new(), 0usize, 0usize);
    let mut start = 0;
    while start < rows {
        let end = (start + per_chunk).min(rows);
        let draws = match &options.support {
            None => propose(start, end, n)?,
            Some(support) => {
                let cap = options.max_draws_per_call.max(n * (end - start));
                let mut round = |m: usize| propose(start, end, m);
                let outcome = reject(end - start, n, support, options.max_rounds, cap, &mut round)
                    .map_err(|e| match e {
                        ApproxError::Leakage { dataset, .. } => relabel(e, start + dataset),
                        other => other,
                    })?;
                proposed += outcome.proposed;
                accepted += outcome.accepted;
                outcome.draws
            }
        };
        parts.push(draws);
        bar.inc((end - start) as u64);
        start = end;
    }
    bar.finish_and_clear();
    Ok(Draws {
        draws: Batch::concat(&parts)?,
        acceptance_rate: options
            .support
            .as_ref()
            .map(|_| accepted as f64 / proposed.max(1) as f64),
    })
}

fn relabel(e: ApproxError, dataset: usize) -> ApproxError {
    match e {
        ApproxError::Leakage {
            accepted,
            requested,
            rounds,
            rate,
            ..
        } => ApproxError::Leakage {
            dataset,
            accepted,
            requested,
            rounds,
            rate,
        },
        other => other,
    }
}

/// What rejection returns: `n` accepted draws per data set, and how many were proposed and
/// accepted in all (their ratio estimates the approximate posterior's mass in the support).
#[derive(Debug, Clone)]
pub struct Rejection {
    /// Named draws `(rows, n, ...)`, all inside the support.
    pub draws: Batch,
    /// Draws proposed.
    pub proposed: usize,
    /// Proposed draws that fell inside the support.
    pub accepted: usize,
}

/// Keeps, for each of `rows` data sets, the first `n` proposed draws inside `support`.
/// `propose(m)` returns `m` named draws per data set, `(rows, m, ...)`. Proposals per round
/// grow with the observed rejection (up to 16 n per data set, and at most `cap` in all), and
/// after `max_rounds` rounds it fails with [`ApproxError::Leakage`], naming the data set
/// (counted from 0 within these rows) that had the fewest draws.
pub fn reject(
    rows: usize,
    n: usize,
    support: &Support,
    max_rounds: usize,
    cap: usize,
    propose: &mut dyn FnMut(usize) -> Result<Batch>,
) -> Result<Rejection> {
    let mut kept: Vec<(String, Vec<usize>, Vec<Vec<f64>>)> = Vec::new();
    let mut counts = vec![0usize; rows];
    let (mut proposed, mut accepted) = (0usize, 0usize);
    let mut m = n;
    for _round in 0..max_rounds {
        let batch = propose(m)?;
        let key = batch.f64(&support.key)?;
        let width = key.len() / (rows * m).max(1);
        let key = contiguous(key)?;
        let inside: Vec<bool> = (0..rows * m)
            .map(|i| {
                support
                    .distribution
                    .contains(&key[i * width..(i + 1) * width])
            })
            .collect();
        if kept.is_empty() {
            kept = batch
                .iter()
                .map(|(name, a)| {
                    let item = a.shape().get(2..).unwrap_or(&[]).to_vec();
                    (name.to_string(), item, vec![Vec::new(); rows])
                })
                .collect();
        }
        // the proposals each data set keeps this round: inside the support, until it has n
        let mut chosen = Vec::new();
        for (r, count) in counts.iter_mut().enumerate() {
            for j in 0..m {
                let i = r * m + j;
                if inside[i] && *count < n {
                    chosen.push((r, i));
                    *count += 1;
                }
            }
        }
        for (name, item, per_row) in &mut kept {
            let a = batch.get(name)?.to_f64();
            let values = contiguous(&a)?;
            let width: usize = item.iter().product();
            for &(r, i) in &chosen {
                per_row[r].extend_from_slice(&values[i * width..(i + 1) * width]);
            }
        }
        proposed += rows * m;
        accepted += inside.iter().filter(|&&b| b).count();
        let lacking = counts.iter().map(|&c| n - c).max().unwrap_or(0);
        if lacking == 0 {
            let mut draws = Batch::new();
            for (name, item, per_row) in kept {
                let mut shape = vec![rows, n];
                shape.extend(item);
                let flat: Vec<f64> = per_row.into_iter().flatten().collect();
                let a = ArrayD::from_shape_vec(IxDyn(&shape), flat)
                    .map_err(|e| ApproxError::Config(e.to_string()))?;
                draws.insert(name, a)?;
            }
            return Ok(Rejection {
                draws,
                proposed,
                accepted,
            });
        }
        let rate = (accepted as f64 / proposed as f64).max(1.0 / 16.0);
        let per_row_cap = (cap / rows.max(1)).max(n);
        m = ((lacking as f64 / rate * 1.2).ceil() as usize).clamp(1, (16 * n).min(per_row_cap));
    }
    let (worst, &have) = counts
        .iter()
        .enumerate()
        .min_by_key(|&(_, &c)| c)
        .unwrap_or((0, &0));
    Err(ApproxError::Leakage {
        dataset: worst,
        accepted: have,
        requested: n,
        rounds: max_rounds,
        rate: accepted as f64 / proposed.max(1) as f64,
    })
}

fn contiguous(a: &ArrayD<f64>) -> Result<&[f64]> {
    a.as_slice()
        .ok_or_else(|| ApproxError::Config("draws are not contiguous".into()))
}
