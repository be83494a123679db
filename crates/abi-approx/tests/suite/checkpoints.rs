//! A checkpoint folder belongs to one run: resuming the same run picks it up, another run
//! (other data, other settings) is refused instead of returning the old model untrained.
#![allow(clippy::unwrap_used)]

use crate::tiny::moons;
use abi_approx::dataset::OfflineDataset;
use abi_approx::{ContinuousApproximator, TrainConfig};
use abi_ndarray::NdArray;

fn model() -> ContinuousApproximator<NdArray> {
    crate::tiny::model(1, 1, 8, false)
}

#[test]
fn a_finished_runs_checkpoint_serves_only_that_run() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = TrainConfig::new(2).checkpoints(dir.path(), 1).quiet();
    let (a, b) = (moons(64, 1), moons(64, 2));
    let mut first = model();
    let history = first
        .fit(&mut OfflineDataset::new(a.clone(), 16, 0).unwrap(), &cfg)
        .unwrap()
        .clone();
    // the same run again: the finished checkpoint is its result
    let mut again = model();
    let resumed = again
        .fit(&mut OfflineDataset::new(a, 16, 0).unwrap(), &cfg)
        .unwrap();
    assert_eq!(resumed, &history);
    // other data of the same size, or other settings: refused, naming the folder
    let mut other = model();
    let err = other
        .fit(&mut OfflineDataset::new(b.clone(), 16, 0).unwrap(), &cfg)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("another run") && err.contains("checkpoint"),
        "{err}"
    );
    let err = other
        .fit(
            &mut OfflineDataset::new(b, 16, 0).unwrap(),
            &cfg.clone().learning_rate(1e-3),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("another run"), "{err}");
}
