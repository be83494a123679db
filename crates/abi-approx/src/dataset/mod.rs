//! Training data: where batches come from during [`fit`](crate::ContinuousApproximator::fit).
//!
//! - [`OnlineDataset`]: a fresh simulated batch per step, simulated on a background thread
//!   that runs ahead of training through a bounded channel;
//! - [`OfflineDataset`]: simulations held in memory, reshuffled every epoch;
//! - [`DiskDataset`]: a folder of `.npz` shards streamed shard by shard with one shard of
//!   prefetch, so memory stays bounded by a few shards;
//! - [`ReplayDataset`]: online simulations kept in a bounded experience-replay buffer that
//!   batches are drawn from.
//!
//! Every dataset is deterministic given its seed and the epoch, so resumed training sees the
//! same batches as uninterrupted training.

mod disk;
mod offline;
mod online;
mod replay;

pub use disk::DiskDataset;
pub use offline::OfflineDataset;
pub use online::OnlineDataset;
pub use replay::ReplayDataset;

use crate::error::Result;
use abi_sim::Batch;

/// A source of training batches, epoch by epoch.
pub trait Dataset: Send {
    /// Batches in one epoch.
    fn batches_per_epoch(&self) -> usize;
    /// Prepares epoch `epoch` (reshuffling, starting background work). Batches of an epoch
    /// depend only on the dataset's seed and the epoch.
    fn start_epoch(&mut self, epoch: usize) -> Result<()>;
    /// The next batch of the current epoch.
    fn next_batch(&mut self) -> Result<Batch>;
    /// What kind of source this is; chooses BayesFlow's optimiser default (AdamW with weight
    /// decay for fixed data sets, Adam for fresh simulations).
    fn kind(&self) -> DatasetKind;
    /// The rows of the data set the last batch was drawn from, in batch order, when the
    /// dataset has fixed rows (errors name them instead of rows of the shuffled batch).
    fn last_batch_rows(&self) -> Option<Vec<usize>> {
        None
    }
}

/// The kinds of training data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetKind {
    /// A fresh simulation per batch.
    Online,
    /// Simulations held in memory.
    Offline,
    /// Simulations streamed from files.
    Disk,
    /// Online simulations kept in a replay buffer.
    Replay,
}

impl DatasetKind {
    /// Whether the data are a fixed set seen again every epoch (offline, disk), where weight
    /// decay guards against overfitting.
    pub fn is_fixed(self) -> bool {
        matches!(self, DatasetKind::Offline | DatasetKind::Disk)
    }
}

/// A seeded generator for `(seed, stream, index)`.
pub(crate) fn stream_rng(seed: u64, stream: u64, index: u64) -> rand_chacha::ChaCha8Rng {
    abi_sim::draw_rng(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15), index)
}

pub(crate) fn check_batch_size(batch_size: usize, what: &str) -> Result<()> {
    if batch_size == 0 {
        return Err(crate::ApproxError::Config(format!(
            "{what}: batch size must be positive"
        )));
    }
    Ok(())
}
