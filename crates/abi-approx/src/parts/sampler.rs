//! Posterior sampling over many data sets: chunks of data sets with bounded memory, a
//! progress bar, and rejection of parameter-space draws outside a support. The sampler only
//! sees a proposal function that returns named parameter-space draws, so every approximator
//! (and every way of drawing: a flow, MCMC, importance sampling) shares it.

use crate::error::{ApproxError, Result};
use crate::sampling::{Draws, SampleOptions, Support};
use abi_sim::Batch;
use ndarray::{ArrayD, Axis, IxDyn, Slice};
use std::ops::Range;

/// Draws `n` parameter sets for each of `rows` data sets. `propose(start, end, m)` must return
/// `m` draws for each data set in `start..end` as named parameters shaped `(end − start, m,
/// ...)`. No call asks for more than `options.max_draws_per_call` draws in all: data sets are
/// processed in chunks of `max_draws_per_call / n` (at least one), and where `n` alone exceeds
/// it, a data set's draws come in pieces. With `options.support`, draws outside it are rejected
/// and redrawn. `rows × n` above the tensor cap
/// ([`MAX_TENSOR_ELEMENTS`](abi_tensor::limits::MAX_TENSOR_ELEMENTS)) is an error before any
/// draw.
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
    abi_tensor::limits::checked_numel("sample", &[rows, n]).map_err(|_| {
        ApproxError::Config(format!(
            "{n} draws for each of {rows} data sets exceed the limit of {} draws in all",
            abi_tensor::limits::MAX_TENSOR_ELEMENTS
        ))
    })?;
    let per_call = options.max_draws_per_call;
    let per_chunk = (per_call / n).max(1);
    let bar = abi_sim::progress_bar(rows as u64, "sampling", options.progress);
    let (mut out, mut proposed, mut accepted) = (DrawsOut::new(rows, n), 0usize, 0usize);
    let mut start = 0;
    while start < rows {
        let end = (start + per_chunk).min(rows);
        // a data set's draws in pieces of at most `per_call` (one piece when they fit)
        let mut done = 0;
        while done < n {
            let m = (n - done).min(per_call.max(1));
            let draws = match &options.support {
                None => propose(start, end, m)?,
                Some(support) => {
                    let cap = per_call.max(m * (end - start));
                    let mut round = |k: usize| propose(start, end, k);
                    let outcome =
                        reject(end - start, m, support, options.max_rounds, cap, &mut round)
                            .map_err(|e| match e {
                                ApproxError::Leakage { dataset, .. } => relabel(e, start + dataset),
                                other => other,
                            })?;
                    proposed += outcome.proposed;
                    accepted += outcome.accepted;
                    outcome.draws
                }
            };
            out.put(&draws, start..end, done..done + m)?;
            done += m;
        }
        bar.inc((end - start) as u64);
        start = end;
    }
    bar.finish_and_clear();
    Ok(Draws {
        draws: out.finish()?,
        acceptance_rate: options
            .support
            .as_ref()
            .map(|_| accepted as f64 / proposed.max(1) as f64),
    })
}

/// The draws of all data sets, `(rows, n, ...)` per parameter, allocated once from the shape
/// of the first piece and filled piece by piece (no copy of the whole at the end).
struct DrawsOut {
    rows: usize,
    n: usize,
    arrays: Vec<(String, ArrayD<f64>)>,
}

impl DrawsOut {
    fn new(rows: usize, n: usize) -> Self {
        Self {
            rows,
            n,
            arrays: Vec::new(),
        }
    }

    /// Copies `piece`, the draws `draws` of the data sets `sets`, into place.
    fn put(&mut self, piece: &Batch, sets: Range<usize>, draws: Range<usize>) -> Result<()> {
        if self.arrays.is_empty() {
            for (name, array) in piece.iter() {
                let mut shape = array.shape().to_vec();
                if shape.len() < 2 {
                    return Err(ApproxError::Config(format!(
                        "draws of `{name}` of shape {shape:?} lack the data set and draw axes"
                    )));
                }
                shape[0] = self.rows;
                shape[1] = self.n;
                abi_tensor::limits::checked_numel("sample", &shape)?;
                self.arrays
                    .push((name.to_string(), ArrayD::zeros(IxDyn(&shape))));
            }
        }
        for (name, out) in &mut self.arrays {
            let array = piece.get(name)?;
            let mut place = out.slice_axis_mut(Axis(0), Slice::from(sets.clone()));
            let mut place = place.slice_axis_mut(Axis(1), Slice::from(draws.clone()));
            if place.shape() != array.shape() {
                return Err(ApproxError::Config(format!(
                    "draws of `{name}` came shaped {:?} where {:?} was asked for",
                    array.shape(),
                    place.shape()
                )));
            }
            match array {
                abi_sim::Array::F64(a) => place.assign(a),
                other => place.assign(&other.to_f64()),
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<Batch> {
        let mut batch = Batch::new();
        for (name, array) in self.arrays {
            batch.insert(name, array)?;
        }
        Ok(batch)
    }
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
/// grow with the observed rejection (up to 16 n per data set, and at most `cap` in all). It
/// fails with [`ApproxError::Leakage`], naming the data set (counted from 0 within these rows)
/// with the fewest draws and its acceptance rate, after `max_rounds` rounds or as soon as that
/// rate (estimated after at least 4 n proposals) says the remaining rounds cannot propose
/// even half of what the missing draws need. A support of another dimension than the draws
/// is an error before any round.
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
    // per data set: draws inside the support; proposals are the same for every data set
    let mut inside_per_row = vec![0usize; rows];
    let (mut proposed, mut accepted, mut proposed_per_row) = (0usize, 0usize, 0usize);
    let mut m = n;
    let per_row_cap = (cap / rows.max(1)).max(n);
    let largest_round = (16 * n).min(per_row_cap);
    for round in 0..max_rounds {
        let batch = propose(m)?;
        let key = batch.f64(&support.key)?;
        let width = key.len() / (rows * m).max(1);
        if width != support.distribution.dim() {
            return Err(ApproxError::Config(format!(
                "the support of `{}` has dimension {}, but its draws have {width}",
                support.key,
                support.distribution.dim()
            )));
        }
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
        proposed_per_row += m;
        accepted += inside.iter().filter(|&&b| b).count();
        for (r, row_inside) in inside_per_row.iter_mut().enumerate() {
            *row_inside += inside[r * m..(r + 1) * m].iter().filter(|&&b| b).count();
        }
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
        // fail fast: the worst data set's rate (with one success and failure added, so that
        // a rate of zero still gives a finite need) against what the rounds left can propose
        let (worst, &have) = counts
            .iter()
            .enumerate()
            .min_by_key(|&(_, &c)| c)
            .unwrap_or((0, &0));
        let worst_rate = (inside_per_row[worst] as f64 + 1.0) / (proposed_per_row as f64 + 2.0);
        let needed = (n - have) as f64 / worst_rate;
        let possible = ((max_rounds - round - 1) * largest_round) as f64;
        if proposed_per_row >= 4 * n && needed > 2.0 * possible {
            return Err(leakage(
                worst,
                have,
                n,
                round + 1,
                &inside_per_row,
                proposed_per_row,
            ));
        }
        let rate = (accepted as f64 / proposed as f64).max(1.0 / 16.0);
        m = ((lacking as f64 / rate * 1.2).ceil() as usize).clamp(1, largest_round);
    }
    let (worst, &have) = counts
        .iter()
        .enumerate()
        .min_by_key(|&(_, &c)| c)
        .unwrap_or((0, &0));
    Err(leakage(
        worst,
        have,
        n,
        max_rounds,
        &inside_per_row,
        proposed_per_row,
    ))
}

fn leakage(
    dataset: usize,
    accepted: usize,
    requested: usize,
    rounds: usize,
    inside_per_row: &[usize],
    proposed_per_row: usize,
) -> ApproxError {
    ApproxError::Leakage {
        dataset,
        accepted,
        requested,
        rounds,
        rate: inside_per_row.get(dataset).copied().unwrap_or(0) as f64
            / proposed_per_row.max(1) as f64,
    }
}

fn contiguous(a: &ArrayD<f64>) -> Result<&[f64]> {
    a.as_slice()
        .ok_or_else(|| ApproxError::Config("draws are not contiguous".into()))
}
