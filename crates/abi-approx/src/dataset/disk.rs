use super::{Dataset, DatasetKind, check_batch_size, stream_rng};
use crate::error::{ApproxError, Result};
use abi_sim::Batch;
use abi_sim::npz::{read_npz, shard_paths};
use rand::seq::SliceRandom;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

/// A shard read by the background thread: its number in name order and its rows.
type ReadShard = (usize, Result<Batch>);

/// Simulations in a folder of `.npz` shards (as written by
/// [`ShardWriter`](abi_sim::npz::ShardWriter)), streamed with bounded memory: each epoch
/// visits the shards in a shuffled order, a background thread reads the next shard while
/// the current one is trained on, and rows are shuffled within each shard (rows left over at
/// the end of a shard carry into the next).
///
/// Rows are numbered across the shards in the order [`shard_paths`] lists them (a training
/// error names a bad row by that number).
#[derive(Debug)]
pub struct DiskDataset {
    shards: Vec<PathBuf>,
    /// the number of each shard's first row
    offsets: Vec<usize>,
    rows: usize,
    batch_size: usize,
    seed: u64,
    epoch: usize,
    pending: Option<Batch>,
    /// the row numbers of `pending`'s rows
    pending_rows: Vec<usize>,
    /// the row numbers of the last batch
    last_rows: Vec<usize>,
    reader: Option<(Receiver<ReadShard>, JoinHandle<()>)>,
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
        let mut rows = 0usize;
        let mut offsets = Vec::with_capacity(shards.len());
        for s in &shards {
            offsets.push(rows);
            rows = rows.saturating_add(read_npz(s)?.batch_size().unwrap_or(0));
        }
        if rows == 0 {
            return Err(ApproxError::file(dir, "the shards hold no rows"));
        }
        Ok(Self {
            shards,
            offsets,
            rows,
            batch_size,
            seed,
            epoch: 0,
            pending: None,
            pending_rows: Vec::new(),
            last_rows: Vec::new(),
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

    /// The next shard, its rows shuffled, and their row numbers.
    fn next_shard(&mut self) -> Result<Option<(Batch, Vec<usize>)>> {
        if self.shards_left == 0 {
            return Ok(None);
        }
        let (rx, _) = self
            .reader
            .as_ref()
            .ok_or(ApproxError::ProducerGone("disk"))?;
        let (shard_index, shard) = rx.recv().map_err(|_| ApproxError::ProducerGone("disk"))?;
        let shard = shard?;
        let first = self.offsets.get(shard_index).copied().unwrap_or(0);
        let index = self.shards.len() - self.shards_left;
        self.shards_left -= 1;
        let rows = shard.batch_size().unwrap_or(0);
        let mut order: Vec<usize> = (0..rows).collect();
        order.shuffle(&mut stream_rng(
            self.seed,
            5,
            (self.epoch * self.shards.len() + index) as u64,
        ));
        let numbers = order.iter().map(|&r| first + r).collect();
        Ok(Some((shard.select(&order)?, numbers)))
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
        self.pending_rows.clear();
        let mut order: Vec<(usize, PathBuf)> = self.shards.iter().cloned().enumerate().collect();
        order.shuffle(&mut stream_rng(self.seed, 4, epoch as u64));
        self.shards_left = order.len();
        let (tx, rx) = sync_channel(1);
        let handle = std::thread::Builder::new()
            .name("abi-disk-reader".into())
            .spawn(move || {
                for (index, path) in order {
                    if tx
                        .send((index, read_npz(&path).map_err(Into::into)))
                        .is_err()
                    {
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
                Some((shard, numbers)) => {
                    self.pending = Some(match self.pending.take() {
                        Some(p) if have > 0 => Batch::concat(&[p, shard])?,
                        _ => {
                            self.pending_rows.clear();
                            shard
                        }
                    });
                    self.pending_rows.extend(numbers);
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
        let rest = self
            .pending_rows
            .split_off(take.min(self.pending_rows.len()));
        self.last_rows = std::mem::replace(&mut self.pending_rows, rest);
        if take < rows {
            self.pending = Some(pending.slice(take, rows)?);
        }
        Ok(batch)
    }

    fn kind(&self) -> DatasetKind {
        DatasetKind::Disk
    }

    fn last_batch_rows(&self) -> Option<Vec<usize>> {
        Some(self.last_rows.clone())
    }
}
