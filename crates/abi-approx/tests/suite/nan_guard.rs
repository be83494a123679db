//! The NaN guard: a loss that turns non-finite stops training with the epoch and batch, and
//! the best weights so far are put back.
#![allow(clippy::unwrap_used)]

use abi_approx::dataset::OfflineDataset;
use abi_approx::{ApproxError, EpochRecord, TrainConfig, Trainable, train};
use abi_ndarray::{Cpu, NdArray};
use abi_nets::Mode;
use abi_sim::Batch;
use abi_sim::benchmarks::{BenchmarkTask, TwoMoons};
use abi_tensor::{ParamStore, Tensor};
use rand::{RngCore, SeedableRng};
use std::ops::ControlFlow;

fn moons(n: usize, seed: u64) -> Batch {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    abi_sim::simulate(&TwoMoons::new().unwrap().simulator(), n, n, &mut rng, false).unwrap()
}

/// A model whose loss turns NaN in its second epoch.
struct Exploding {
    store: ParamStore<NdArray>,
    calls: std::sync::atomic::AtomicUsize,
}

impl Trainable<NdArray> for Exploding {
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
        let calls = self
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        let loss = w.square()?.sum_all()?;
        Ok(if calls == 7 {
            loss.mul_scalar(f64::NAN)?
        } else {
            loss
        })
    }
}

#[test]
fn a_nan_loss_stops_training_with_epoch_and_batch() {
    let store = ParamStore::<NdArray>::new(Cpu);
    store
        .insert(
            "w",
            Tensor::from_f64(&[1.0, 2.0], &[2], &Cpu).unwrap(),
            true,
        )
        .unwrap();
    let model = Exploding {
        store,
        calls: std::sync::atomic::AtomicUsize::new(0),
    };
    let mut data = OfflineDataset::new(moons(20, 0), 5, 0).unwrap();
    let err = train(
        &model,
        &mut data,
        &TrainConfig::new(5).quiet(),
        None,
        &mut |_: &EpochRecord| ControlFlow::Continue(()),
    )
    .map(|_| ())
    .unwrap_err();
    match err {
        ApproxError::NonFiniteLoss { epoch, batch, .. } => assert_eq!((epoch, batch), (1, 2)),
        other => panic!("unexpected error {other}"),
    }
    // the best weights (end of epoch 0) are back in place
    assert!(model.store.get("w").unwrap().value().to_vec().unwrap()[0].is_finite());
}
