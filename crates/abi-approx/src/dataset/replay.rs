use super::{Dataset, DatasetKind, OnlineDataset, check_batch_size, stream_rng};
use crate::error::{ApproxError, Result};
use abi_sim::Batch;
use rand::Rng;

/// Online simulations kept in a bounded experience-replay buffer: every step adds a fresh
/// simulated batch (dropping the oldest rows beyond `capacity`) and trains on `batch_size`
/// rows drawn uniformly from the buffer, so each simulation is reused several times.
#[derive(Debug)]
pub struct ReplayDataset {
    online: OnlineDataset,
    capacity: usize,
    batch_size: usize,
    seed: u64,
    buffer: Option<Batch>,
    epoch: usize,
    step: usize,
}

impl ReplayDataset {
    /// A buffer of at most `capacity` rows fed by `online`, sampled in batches of
    /// `batch_size`.
    pub fn new(
        online: OnlineDataset,
        capacity: usize,
        batch_size: usize,
        seed: u64,
    ) -> Result<Self> {
        check_batch_size(batch_size, "ReplayDataset")?;
        if capacity < batch_size {
            return Err(ApproxError::Config(format!(
                "ReplayDataset: capacity {capacity} is below the batch size {batch_size}"
            )));
        }
        Ok(Self {
            online,
            capacity,
            batch_size,
            seed,
            buffer: None,
            epoch: 0,
            step: 0,
        })
    }

    /// Rows currently held.
    pub fn len(&self) -> usize {
        self.buffer
            .as_ref()
            .and_then(Batch::batch_size)
            .unwrap_or(0)
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Dataset for ReplayDataset {
    fn batches_per_epoch(&self) -> usize {
        self.online.batches_per_epoch()
    }

    fn start_epoch(&mut self, epoch: usize) -> Result<()> {
        self.epoch = epoch;
        self.step = 0;
        self.online.start_epoch(epoch)
    }

    fn next_batch(&mut self) -> Result<Batch> {
        let fresh = self.online.next_batch()?;
        let merged = match self.buffer.take() {
            Some(old) => Batch::concat(&[old, fresh])?,
            None => fresh,
        };
        let rows = merged.batch_size().unwrap_or(0);
        let kept = if rows > self.capacity {
            merged.slice(rows - self.capacity, rows)?
        } else {
            merged
        };
        let held = kept.batch_size().unwrap_or(0);
        let index = (self.epoch * self.batches_per_epoch() + self.step) as u64;
        self.step += 1;
        let mut rng = stream_rng(self.seed, 3, index);
        let pick: Vec<usize> = (0..self.batch_size.min(held))
            .map(|_| rng.random_range(0..held))
            .collect();
        let batch = kept.select(&pick)?;
        self.buffer = Some(kept);
        Ok(batch)
    }

    fn kind(&self) -> DatasetKind {
        DatasetKind::Replay
    }
}
