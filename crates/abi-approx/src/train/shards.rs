//! One training step's loss and gradients, optionally data-parallel: the batch is split into
//! shards whose losses and gradients are computed on rayon's threads and combined into those
//! of the whole batch.

use super::Trainable;
use crate::error::Result;
use abi_nets::Mode;
use abi_sim::Batch;
use abi_tensor::{Backend, Gradients, Param, no_grad, parallel};
use rand::{RngCore, SeedableRng};

/// The loss of `batch` and its gradients, from `shards` pieces when there are at least two
/// rows per shard. The loss is the row-weighted mean of the shards' losses (the mean over the
/// batch for per-row losses) and so are the gradients of `params`.
pub(crate) fn loss_and_gradients<B: Backend>(
    model: &impl Trainable<B>,
    batch: &Batch,
    shards: usize,
    params: &[Param<B>],
    rng: &mut dyn RngCore,
) -> Result<(f64, Gradients<B>)> {
    let rows = batch.batch_size().unwrap_or(0);
    if shards <= 1 || rows < 2 * shards {
        let loss = model.batch_loss(batch, Mode::Train, rng)?;
        return Ok((loss.to_scalar()?, loss.backward()?));
    }
    // each shard's noise from its own seed, drawn in order: deterministic for a given count
    let seeds: Vec<u64> = (0..shards).map(|_| rng.next_u64()).collect();
    let parts = (0..shards)
        .map(|s| {
            let (lo, hi) = (rows * s / shards, rows * (s + 1) / shards);
            Ok(((hi - lo) as f64 / rows as f64, batch.slice(lo, hi)?))
        })
        .collect::<Result<Vec<_>>>()?;
    let pieces = parallel::par_map::<B, _, _, _>(0..shards, |s| {
        let (weight, part) = &parts[s];
        let mut shard_rng = rand_chacha::ChaCha8Rng::seed_from_u64(seeds[s]);
        let offset = rows * s / shards;
        let result = model
            .batch_loss(part, Mode::Train, &mut shard_rng)
            .and_then(|loss| Ok((loss.to_scalar()?, loss.backward()?)))
            .map_err(|e| e.at_rows(|row| Some(offset + row)));
        (*weight, result)
    });
    let mut loss = 0.0;
    let mut shard_grads = Vec::with_capacity(shards);
    for (weight, result) in pieces {
        let (value, grads) = result?;
        loss += weight * value;
        shard_grads.push((weight, grads));
    }
    let grads = no_grad::<B, _>(|| -> Result<Gradients<B>> {
        let mut total = Gradients::new();
        for p in params {
            let v = p.value();
            let mut sum: Option<abi_tensor::Tensor<B>> = None;
            for (weight, grads) in &shard_grads {
                if let Some(g) = grads.get(&v) {
                    let g = g.mul_scalar(*weight)?;
                    sum = Some(match sum {
                        Some(acc) => acc.add(&g)?,
                        None => g,
                    });
                }
            }
            if let Some(g) = sum {
                total.set(&v, g);
            }
        }
        Ok(total)
    })?;
    Ok((loss, grads))
}
