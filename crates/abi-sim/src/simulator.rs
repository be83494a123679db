//! The [`Simulator`] trait, per-draw random streams and the non-finite policy.

use crate::batch::Batch;
use crate::error::{Result, SimError};
use rand::RngCore;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Something that draws batches of simulations: parameters, data and any context, by name.
///
/// Implement it directly for a fully vectorised simulator, or build one from per-draw functions
/// with [`make_simulator`](crate::make_simulator).
pub trait Simulator: Send + Sync {
    /// Draws `batch_size` simulations.
    fn sample(&self, batch_size: usize, rng: &mut dyn RngCore) -> Result<Batch>;
}

impl<S: Simulator + ?Sized> Simulator for Box<S> {
    fn sample(&self, batch_size: usize, rng: &mut dyn RngCore) -> Result<Batch> {
        (**self).sample(batch_size, rng)
    }
}

impl<S: Simulator + ?Sized> Simulator for &S {
    fn sample(&self, batch_size: usize, rng: &mut dyn RngCore) -> Result<Batch> {
        (**self).sample(batch_size, rng)
    }
}

impl<S: Simulator + ?Sized> Simulator for std::sync::Arc<S> {
    fn sample(&self, batch_size: usize, rng: &mut dyn RngCore) -> Result<Batch> {
        (**self).sample(batch_size, rng)
    }
}

/// The random stream of draw `index` of a batch seeded with `batch_seed`.
///
/// Every draw has its own ChaCha stream, so results do not depend on how draws are spread
/// over threads.
pub fn draw_rng(batch_seed: u64, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(batch_seed);
    rng.set_stream(index);
    rng
}

/// What to do with simulations that contain NaN or infinite values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NonFinitePolicy {
    /// Fail with an error naming the entry, the row and the value (the default).
    #[default]
    Error,
    /// Drop the affected draws and simulate replacements, counting what was dropped
    /// (gives up with an error after 100 rounds without filling the batch).
    Drop,
    /// Pass values through unchecked (only for simulators whose output is checked later).
    Allow,
}

/// A simulator wrapped with a [`NonFinitePolicy`]; counts the draws it dropped.
#[derive(Debug)]
pub struct Checked<S> {
    inner: S,
    policy: NonFinitePolicy,
    dropped: AtomicUsize,
}

impl<S: Simulator> Checked<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, policy: NonFinitePolicy) -> Self {
        Self {
            inner,
            policy,
            dropped: AtomicUsize::new(0),
        }
    }

    /// Draws dropped so far for holding non-finite values.
    pub fn dropped(&self) -> usize {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The wrapped simulator.
    pub fn inner(&self) -> &S {
        &self.inner
    }
}

/// Rows of `batch` holding a non-finite value in any entry.
pub fn non_finite_rows(batch: &Batch) -> Vec<usize> {
    let mut rows: Vec<usize> = batch
        .iter()
        .flat_map(|(_, a)| a.non_finite_rows())
        .collect();
    rows.sort_unstable();
    rows.dedup();
    rows
}

/// The first non-finite value of a batch as an error.
pub fn check_finite(batch: &Batch) -> Result<()> {
    for (name, a) in batch.iter() {
        if let Some((row, value)) = a.first_non_finite() {
            return Err(SimError::NonFinite {
                name: name.to_string(),
                row,
                value,
            });
        }
    }
    Ok(())
}

impl<S: Simulator> Simulator for Checked<S> {
    fn sample(&self, batch_size: usize, rng: &mut dyn RngCore) -> Result<Batch> {
        match self.policy {
            NonFinitePolicy::Allow => self.inner.sample(batch_size, rng),
            NonFinitePolicy::Error => {
                let b = self.inner.sample(batch_size, rng)?;
                check_finite(&b)?;
                Ok(b)
            }
            NonFinitePolicy::Drop => {
                let mut parts = Vec::new();
                let mut have = 0;
                for _ in 0..100 {
                    if have == batch_size {
                        break;
                    }
                    let b = self.inner.sample(batch_size - have, rng)?;
                    let bad = non_finite_rows(&b);
                    self.dropped.fetch_add(bad.len(), Ordering::Relaxed);
                    let good: Vec<usize> = (0..b.batch_size().unwrap_or(0))
                        .filter(|r| bad.binary_search(r).is_err())
                        .collect();
                    have += good.len();
                    parts.push(if bad.is_empty() { b } else { b.select(&good)? });
                }
                if have < batch_size {
                    return Err(SimError::invalid(
                        "non-finite policy `drop`",
                        format!("only {have} of {batch_size} draws were finite after 100 rounds"),
                    ));
                }
                Batch::concat(&parts)
            }
        }
    }
}
