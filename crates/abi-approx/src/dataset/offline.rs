use super::{Dataset, DatasetKind, check_batch_size, stream_rng};
use crate::error::{ApproxError, Result};
use abi_sim::Batch;
use rand::seq::SliceRandom;

/// Simulations held in memory, reshuffled every epoch; the last batch of an epoch may be
/// smaller.
///
/// ```
/// use abi_approx::dataset::{Dataset, OfflineDataset};
/// use abi_sim::Batch;
/// use ndarray::{ArrayD, IxDyn};
/// let mut data = Batch::new();
/// data.insert("x", ArrayD::from_shape_vec(IxDyn(&[10, 1]), (0..10).map(f64::from).collect()).unwrap())?;
/// let mut ds = OfflineDataset::new(data, 4, 0)?;
/// assert_eq!(ds.batches_per_epoch(), 3);
/// ds.start_epoch(0)?;
/// assert_eq!(ds.next_batch()?.batch_size(), Some(4));
/// # Ok::<(), abi_approx::ApproxError>(())
/// ```
#[derive(Debug, Clone)]
pub struct OfflineDataset {
    data: Batch,
    batch_size: usize,
    seed: u64,
    order: Vec<usize>,
    next: usize,
    last: std::ops::Range<usize>,
}

impl OfflineDataset {
    /// Batches of `batch_size` rows of `data`, shuffled by `seed` and the epoch.
    pub fn new(data: Batch, batch_size: usize, seed: u64) -> Result<Self> {
        check_batch_size(batch_size, "OfflineDataset")?;
        let rows = data.batch_size().unwrap_or(0);
        if rows == 0 {
            return Err(ApproxError::Config(
                "OfflineDataset: the data has no rows".into(),
            ));
        }
        Ok(Self {
            data,
            batch_size,
            seed,
            order: (0..rows).collect(),
            next: 0,
            last: 0..0,
        })
    }

    /// The data.
    pub fn data(&self) -> &Batch {
        &self.data
    }
}

impl Dataset for OfflineDataset {
    fn batches_per_epoch(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }

    fn start_epoch(&mut self, epoch: usize) -> Result<()> {
        let rows = self.order.len();
        self.order = (0..rows).collect();
        self.order
            .shuffle(&mut stream_rng(self.seed, 1, epoch as u64));
        self.next = 0;
        Ok(())
    }

    fn next_batch(&mut self) -> Result<Batch> {
        if self.next >= self.order.len() {
            self.next = 0;
        }
        let end = (self.next + self.batch_size).min(self.order.len());
        let batch = self.data.select(&self.order[self.next..end])?;
        self.last = self.next..end;
        self.next = end;
        Ok(batch)
    }

    fn last_batch_rows(&self) -> Option<Vec<usize>> {
        Some(self.order[self.last.clone()].to_vec())
    }

    fn kind(&self) -> DatasetKind {
        DatasetKind::Offline
    }
}
