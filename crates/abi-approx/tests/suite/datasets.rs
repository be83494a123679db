//! Datasets: determinism, coverage of every row, bounded buffers, and online prefetching.
#![allow(clippy::unwrap_used)]

use abi_approx::dataset::{Dataset, DiskDataset, OfflineDataset, OnlineDataset, ReplayDataset};
use abi_sim::benchmarks::{BenchmarkTask, TwoMoons};
use abi_sim::npz::ShardWriter;
use abi_sim::{Batch, Simulator};
use ndarray::{ArrayD, IxDyn};
use std::sync::Arc;

fn numbered(rows: usize, offset: usize) -> Batch {
    let mut b = Batch::new();
    let ids: Vec<f64> = (offset..offset + rows).map(|i| i as f64).collect();
    b.insert(
        "id",
        ArrayD::from_shape_vec(IxDyn(&[rows, 1]), ids).unwrap(),
    )
    .unwrap();
    b
}

fn epoch_ids(ds: &mut dyn Dataset, epoch: usize) -> Vec<usize> {
    ds.start_epoch(epoch).unwrap();
    let mut ids = Vec::new();
    for _ in 0..ds.batches_per_epoch() {
        ids.extend(
            ds.next_batch()
                .unwrap()
                .f64("id")
                .unwrap()
                .iter()
                .map(|&v| v as usize),
        );
    }
    ids
}

#[test]
fn offline_visits_every_row_once_per_epoch_in_a_seeded_order() {
    let mut ds = OfflineDataset::new(numbered(103, 0), 10, 5).unwrap();
    assert_eq!(ds.batches_per_epoch(), 11);
    let e0 = epoch_ids(&mut ds, 0);
    let e1 = epoch_ids(&mut ds, 1);
    let mut sorted = e0.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..103).collect::<Vec<_>>());
    assert_ne!(e0, e1, "not reshuffled");
    assert_eq!(
        e1,
        epoch_ids(
            &mut OfflineDataset::new(numbered(103, 0), 10, 5).unwrap(),
            1
        )
    );
}

#[test]
fn disk_streams_every_row_once_per_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = ShardWriter::new(dir.path()).unwrap();
    for s in 0..4 {
        w.write(&numbered(25 + s, s * 100)).unwrap();
    }
    let expected: Vec<usize> = (0..4).flat_map(|s| s * 100..s * 100 + 25 + s).collect();
    let mut ds = DiskDataset::new(dir.path(), 16, 3).unwrap();
    assert_eq!(ds.rows(), expected.len());
    for epoch in 0..2 {
        let mut ids = epoch_ids(&mut ds, epoch);
        ids.sort_unstable();
        assert_eq!(ids, expected, "epoch {epoch}");
    }
    let again = epoch_ids(&mut DiskDataset::new(dir.path(), 16, 3).unwrap(), 1);
    assert_eq!(again, epoch_ids(&mut ds, 1));
    assert!(DiskDataset::new(tempfile::tempdir().unwrap().path(), 16, 3).is_err());
}

#[test]
fn disk_batches_name_their_rows_across_the_shards() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = ShardWriter::new(dir.path()).unwrap();
    let mut first = 0;
    for s in 0..3 {
        // ids are the rows' numbers across the shards in name order
        w.write(&numbered(20 + 3 * s, first)).unwrap();
        first += 20 + 3 * s;
    }
    let mut ds = DiskDataset::new(dir.path(), 16, 9).unwrap();
    for epoch in 0..2 {
        ds.start_epoch(epoch).unwrap();
        for _ in 0..ds.batches_per_epoch() {
            let batch = ds.next_batch().unwrap();
            let ids: Vec<usize> = batch
                .f64("id")
                .unwrap()
                .iter()
                .map(|&v| v as usize)
                .collect();
            assert_eq!(ds.last_batch_rows().unwrap(), ids, "epoch {epoch}");
        }
    }
}

#[test]
fn online_batches_do_not_depend_on_prefetching() {
    let sim: Arc<dyn Simulator> = Arc::new(TwoMoons::new().unwrap().simulator());
    let take = |prefetch: usize| {
        let mut ds = OnlineDataset::new(Arc::clone(&sim), 32, 4, 9)
            .unwrap()
            .prefetch(prefetch);
        let mut out = Vec::new();
        for epoch in [0, 1, 3] {
            ds.start_epoch(epoch).unwrap();
            for _ in 0..4 {
                out.push(ds.next_batch().unwrap().f64("x").unwrap().clone());
            }
        }
        out
    };
    let ahead = take(3);
    assert_eq!(ahead, take(0));
    assert_ne!(ahead[0], ahead[4], "epochs repeat their batches");
    // starting an epoch again mid-way replaces the producer cleanly
    let mut ds = OnlineDataset::new(sim, 32, 4, 9).unwrap();
    ds.start_epoch(0).unwrap();
    ds.next_batch().unwrap();
    ds.start_epoch(3).unwrap();
    assert_eq!(ds.next_batch().unwrap().f64("x").unwrap(), &ahead[8]);
}

#[test]
fn replay_buffer_stays_bounded_and_mixes_old_and_new() {
    let sim: Arc<dyn Simulator> = Arc::new(TwoMoons::new().unwrap().simulator());
    let online = OnlineDataset::new(sim, 50, 10, 1).unwrap();
    let mut ds = ReplayDataset::new(online, 120, 40, 2).unwrap();
    ds.start_epoch(0).unwrap();
    for step in 0..10 {
        let b = ds.next_batch().unwrap();
        assert_eq!(b.batch_size(), Some(40));
        assert_eq!(ds.len(), (50 * (step + 1)).min(120));
    }
    let online =
        OnlineDataset::new(Arc::new(TwoMoons::new().unwrap().simulator()), 50, 10, 1).unwrap();
    assert!(ReplayDataset::new(online, 10, 40, 0).is_err());
}

/// A simulator of one's own that panics on its third batch.
#[derive(Debug)]
struct PanicsOnThirdBatch(std::sync::atomic::AtomicUsize);

impl Simulator for PanicsOnThirdBatch {
    fn sample(&self, batch_size: usize, _rng: &mut dyn rand::RngCore) -> abi_sim::Result<Batch> {
        let call = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        assert!(call < 2, "the simulator's own assertion on call {call}");
        Ok(numbered(batch_size, 0))
    }
}

#[test]
fn a_panicking_simulator_is_an_error_with_its_message_online() {
    for prefetch in [0, 2] {
        let sim = Arc::new(PanicsOnThirdBatch(std::sync::atomic::AtomicUsize::new(0)));
        let mut ds = OnlineDataset::new(sim, 8, 4, 0).unwrap().prefetch(prefetch);
        ds.start_epoch(0).unwrap();
        assert!(ds.next_batch().is_ok() && ds.next_batch().is_ok());
        let err = ds.next_batch().unwrap_err().to_string();
        assert!(
            err.contains("panicked in batch 2: the simulator's own assertion on call 2"),
            "prefetch {prefetch}: {err}"
        );
    }
}
