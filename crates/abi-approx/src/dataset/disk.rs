use super::{Dataset, DatasetKind, check_batch_size, stream_rng};
use crate::error::{ApproxError, Result};
use abi_sim::Batch;
use abi_sim::npz::{read_npz, shard_paths};
use rand::seq::SliceRandom;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

/// Simulations in a folder of `.npz` shards (as written by
/// [`ShardWriter`](abi_sim::npz::ShardWriter)), streamed with bounded memory: each epoch
/// visits the shards in a shuffled order, a background thread reads the next shard while
/// the current one is trained on, and rows are shuffled within each shard (rows left over at
/// the end of a shard carry into the next).
#[derive(Debug)]
pub struct DiskDataset {
    shards: Vec<PathBuf>,
    rows: usize,
    batch_size: usize,
    seed: u64,
    epoch: usize,
    pending: Option<Batch>,
    reader: Option<(Receiver<Result<Batch>>, JoinHandle<()>)>,
    shards_left: usize,
}

impl DiskDataset {
    /// The shards in `dir`; reads each once to count its rows.
    pub fn new(dir: impl AsRef<Path>, batch_size: usize, seed: u64) -> Result<Self> {
        check_batch_size(batch_size, "DiskDataset")?;
        let dir = dir.as_ref();
        let shards = shard_paths(dir)?;
        if shards.is_empty() {
            return Err(ApproxError::file(dir, "no .npz shards in the folder"));
        }
        let mut rows = 0;
        for s in &shards {
            rows += read_npz(s)?.batch_size().unwrap_or(0);
        }
        if rows == 0 {
            return Err(ApproxError::file(dir, "the shards hold no rows"));
        }
        Ok(Self {
            shards,
            rows,
            batch_size,
            seed,
            epoch: 0,
            pending: None,
            reader: None,
            shards_left: 0,
        })
    }

    /// Rows over all shards.
    pub fn rows(&self) -> usize {
        self.rows
    }

    fn stop_reader(&mut self) {
        if let Some((rx, handle)) = self.reader.take() {
            drop(rx);
            let _ = handle.join();
        }
    }

    /// The next shard, its rows shuffled.
    fn next_shard(&mut self) -> Result<Option<Batch>> {
        if self.shards_left == 0 {
            return Ok(None);
        }
        let (rx, _) = self
            .reader
            .as_ref()
            .ok_or(ApproxError::ProducerGone("disk"))?;
        let shard = rx.recv().map_err(|_| ApproxError::ProducerGone("disk"))??;
        let index = self.shards.len() - self.shards_left;
        self.shards_left -= 1;
        let rows = shard.batch_size().unwrap_or(0);
        let mut order: Vec<usize> = (0..rows).collect();
        order.shuffle(&mut stream_rng(
            self.seed,
            5,
            (self.epoch * self.shards.len() + index) as u64,
        ));
        Ok(Some(shard.select(&order)?))
    }
}

impl Drop for DiskDataset {
    fn drop(&mut self) {
        self.stop_reader();
    }
}

impl Dataset for DiskDataset {
    fn batches_per_epoch(&self) -> usize {
        self.rows.div_ceil(self.batch_size)
    }

    fn start_epoch(&mut self, epoch: usize) -> Result<()> {
        self.stop_reader();
        self.epoch = epoch;
        self.pending = None;
        let mut order = self.shards.clone();
        order.shuffle(&mut stream_rng(self.seed, 4, epoch as u64));
        self.shards_left = order.len();
        let (tx, rx) = sync_channel(1);
        let handle = std::thread::Builder::new()
            .name("abi-disk-reader".into())
            .spawn(move || {
                for path in order {
                    if tx.send(read_npz(&path).map_err(Into::into)).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| ApproxError::Config(format!("cannot start a thread: {e}")))?;
        self.reader = Some((rx, handle));
        Ok(())
    }

    fn next_batch(&mut self) -> Result<Batch> {
        loop {
            let have = self
                .pending
                .as_ref()
                .and_then(Batch::batch_size)
                .unwrap_or(0);
            if have >= self.batch_size {
                break;
            }
            match self.next_shard()? {
                Some(shard) => {
                    self.pending = Some(match self.pending.take() {
                        Some(p) if have > 0 => Batch::concat(&[p, shard])?,
                        _ => shard,
                    });
                }
                None if have > 0 => break,
                None => {
                    // the epoch is used up: start over so that extra calls still get data
                    self.start_epoch(self.epoch + 1)?;
                }
            }
        }
        let pending = self
            .pending
            .take()
            .ok_or(ApproxError::ProducerGone("disk"))?;
        let rows = pending.batch_size().unwrap_or(0);
        let take = self.batch_size.min(rows);
        let batch = pending.slice(0, take)?;
        if take < rows {
            self.pending = Some(pending.slice(take, rows)?);
        }
        Ok(batch)
    }

    fn kind(&self) -> DatasetKind {
        DatasetKind::Disk
    }
}
