//! The fault policy of training: bad steps (non-finite or exploding loss) are skipped and
//! counted, a run of them stops training with epoch, batch and data set rows while the
//! weights stay those of the last good step and the history keeps the finished epochs; a NaN
//! in the data is reported by its row in the data set.
#![allow(clippy::unwrap_used)]

use crate::tiny::moons;
use abi_approx::dataset::OfflineDataset;
use abi_approx::{
    ApproxError, EpochRecord, FaultPolicy, History, TrainConfig, Trainable, train, train_into,
};
use abi_ndarray::{Cpu, NdArray};
use abi_nets::Mode;
use abi_sim::Batch;
use abi_tensor::{ParamStore, Tensor};
use rand::RngCore;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A quadratic loss in `w` that turns bad (times `bad`) at the calls `is_bad` picks.
struct Faulty {
    store: ParamStore<NdArray>,
    calls: AtomicUsize,
    is_bad: fn(usize) -> bool,
    bad: f64,
}

impl Faulty {
    fn new(is_bad: fn(usize) -> bool, bad: f64) -> Self {
        let store = ParamStore::<NdArray>::new(Cpu);
        store
            .insert(
                "w",
                Tensor::from_f64(&[1.0, 2.0], &[2], &Cpu).unwrap(),
                true,
            )
            .unwrap();
        Self {
            store,
            calls: AtomicUsize::new(0),
            is_bad,
            bad,
        }
    }

    fn w(&self) -> Vec<f32> {
        self.store.get("w").unwrap().value().to_vec().unwrap()
    }
}

impl Trainable<NdArray> for Faulty {
    fn parameters(&self) -> &ParamStore<NdArray> {
        &self.store
    }
    fn batch_loss(
        &self,
        _batch: &Batch,
        _mode: Mode,
        _rng: &mut dyn RngCore,
    ) -> abi_approx::Result<Tensor<NdArray>> {
        let w = self.store.get("w").unwrap().value();
        let call = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        let loss = w.square()?.sum_all()?.add_scalar(1.0)?;
        Ok(if (self.is_bad)(call) {
            loss.mul_scalar(self.bad)?
        } else {
            loss
        })
    }
}

fn quiet() -> impl FnMut(&EpochRecord) -> ControlFlow<()> {
    |_: &EpochRecord| ControlFlow::Continue(())
}

#[test]
fn a_single_nan_step_is_skipped_and_counted() {
    // 20 rows in batches of 5: call 7 is epoch 1, batch 2
    let model = Faulty::new(|call| call == 7, f64::NAN);
    let mut data = OfflineDataset::new(moons(20, 0), 5, 0).unwrap();
    let cfg = TrainConfig::new(3).patience(None).quiet();
    let (history, _) = train(&model, &mut data, &cfg, None, &mut quiet()).unwrap();
    let skipped: Vec<usize> = history.epochs.iter().map(|e| e.skipped_steps).collect();
    assert_eq!(skipped, vec![0, 1, 0]);
    assert!(history.losses().iter().all(|l| l.is_finite()));
    assert!(model.w().iter().all(|w| w.is_finite()));
}

#[test]
fn a_run_of_bad_steps_stops_training_and_keeps_the_history() {
    // NaN from call 11 on (epoch 2, batch 2)
    let model = Faulty::new(|call| call >= 11, f64::NAN);
    let mut data = OfflineDataset::new(moons(20, 0), 5, 0).unwrap();
    let cfg = TrainConfig::new(5)
        .patience(None)
        .faults(FaultPolicy {
            max_bad_steps: 4,
            ..FaultPolicy::default()
        })
        .quiet();
    let mut weights_before = Vec::new();
    let mut history = History::default();
    let mut record_weights = |_: &EpochRecord| {
        weights_before = model.w();
        ControlFlow::Continue(())
    };
    let err = train_into(
        &model,
        &mut data,
        &cfg,
        None,
        &mut record_weights,
        &mut history,
    )
    .map(|_| ())
    .unwrap_err();
    match &err {
        ApproxError::TrainingFault {
            epoch,
            batch,
            steps,
            rows,
            epochs_finished,
            ..
        } => {
            // calls 11..14 are epoch 2, batch 2, 3 and epoch 3, batch 0, 1
            assert_eq!((*epoch, *batch, *steps, *epochs_finished), (3, 1, 4, 3));
            let rows = rows.as_deref().unwrap();
            assert_eq!(rows.split(", ").count(), 5, "{rows}");
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(err.to_string().contains("the loss is NaN"), "{err}");
    assert_eq!(history.len(), 3);
    assert_eq!(history.epochs[2].skipped_steps, 2);
    // the weights of the last good step (epoch 2, batch 1), which ended epoch 2 too: no bad
    // step moved them
    let w = model.w();
    assert!(w.iter().all(|v| v.is_finite()));
    assert_eq!(w, weights_before);
}

#[test]
fn an_exploding_finite_loss_is_caught() {
    // 200 rows in batches of 5: 40 steps an epoch; from call 60 on the loss is 1e15 times
    // larger but finite (and so is its gradient, in f32)
    let model = Faulty::new(|call| call >= 60, 1e15);
    let mut data = OfflineDataset::new(moons(200, 0), 5, 0).unwrap();
    let cfg = TrainConfig::new(4).patience(None).quiet();
    let err = train(&model, &mut data, &cfg, None, &mut quiet())
        .map(|_| ())
        .unwrap_err();
    match &err {
        ApproxError::TrainingFault { epoch, reason, .. } => {
            assert_eq!(*epoch, 1);
            assert!(reason.contains("exceeds"), "{reason}");
        }
        other => panic!("unexpected error {other}"),
    }
    // a policy that rejects its own settings
    let bad = TrainConfig::new(1).faults(FaultPolicy {
        max_bad_steps: 0,
        ..FaultPolicy::default()
    });
    assert!(matches!(
        train(&model, &mut data, &bad, None, &mut quiet()),
        Err(ApproxError::Config(_))
    ));
}

#[test]
fn a_nan_in_the_data_is_named_by_its_row_in_the_data_set() {
    let clean = moons(40, 3);
    let mut x = clean.f64("x").unwrap().clone();
    x[[13, 1]] = f64::NAN;
    let mut sims = Batch::new();
    sims.insert("theta", clean.f64("theta").unwrap().clone())
        .unwrap();
    sims.insert("x", x).unwrap();
    let mut model = crate::tiny::model(4, 1, 8, false);
    for shards in [1, 2] {
        let mut data = OfflineDataset::new(sims.clone(), 8, 5).unwrap();
        let cfg = TrainConfig::new(2).shards(shards).quiet();
        match model.fit(&mut data, &cfg) {
            Err(ApproxError::NonFiniteData { row, role, .. }) => {
                assert_eq!(
                    (row, role.as_str()),
                    (13, "inference_conditions"),
                    "{shards}"
                )
            }
            other => panic!("expected a non-finite data error, got {other:?}"),
        }
    }
}

#[test]
fn a_nan_in_shards_on_disk_is_named_by_its_row_across_the_shards() {
    let clean = moons(60, 4);
    let mut x = clean.f64("x").unwrap().clone();
    // row 47: the third shard's row 7
    x[[47, 0]] = f64::INFINITY;
    let mut sims = Batch::new();
    sims.insert("theta", clean.f64("theta").unwrap().clone())
        .unwrap();
    sims.insert("x", x).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut writer = abi_sim::npz::ShardWriter::new(dir.path()).unwrap();
    for start in [0, 20, 40] {
        writer
            .write(&sims.slice(start, start + 20).unwrap())
            .unwrap();
    }
    let mut model = crate::tiny::model(4, 1, 8, false);
    let mut data = abi_approx::dataset::DiskDataset::new(dir.path(), 8, 5).unwrap();
    match model.fit(&mut data, &TrainConfig::new(2).quiet()) {
        Err(ApproxError::NonFiniteData { row, role, .. }) => {
            assert_eq!((row, role.as_str()), (47, "inference_conditions"))
        }
        other => panic!("expected a non-finite data error, got {other:?}"),
    }
}
