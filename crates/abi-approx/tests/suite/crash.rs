//! Processes killed with SIGKILL at random points: while saving a model over and over, and
//! while training with checkpoints. After every kill the folder loads (as one of the models
//! saved, never a mix), and training resumed from the checkpoint completes with a history
//! without gaps. The children are this test binary itself, running an ignored test.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use crate::tiny::{entries, moons, weights};
use abi_approx::dataset::OfflineDataset;
use abi_approx::{ContinuousApproximator, TrainConfig};
use abi_ndarray::{Cpu, NdArray};
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DIR_VAR: &str = "ABI_CRASH_TEST_DIR";
const KILLS: usize = 100;

fn model(seed: u64) -> ContinuousApproximator<NdArray> {
    crate::tiny::model(seed, 2, 32, false)
}

fn child_dir() -> Option<PathBuf> {
    std::env::var_os(DIR_VAR).map(PathBuf::from)
}

/// Runs the ignored test `name` of this binary as a child working in `dir`.
fn spawn(name: &str, dir: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--ignored", "--test-threads", "1"])
        .env(DIR_VAR, dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until `path` exists (the child's first save or epoch is done).
fn wait_for(path: &Path, child: &mut std::process::Child) {
    let started = Instant::now();
    while !path.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child ended before {}",
            path.display()
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the child is stuck"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
#[ignore = "a child of saves_survive_sigkill_at_random_points"]
fn child_saves_forever() {
    let Some(dir) = child_dir() else { return };
    let models = [model(1), model(2)];
    for i in 0.. {
        models[i % 2].save(dir.join("model")).unwrap();
        if i == 0 {
            std::fs::write(dir.join("saved"), "").unwrap();
        }
    }
}

#[test]
fn saves_survive_sigkill_at_random_points() {
    let root = tempfile::tempdir().unwrap();
    let expected = [weights(&model(1)), weights(&model(2))];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    for kill in 0..KILLS {
        let dir = root.path().join(format!("run{kill}"));
        std::fs::create_dir(&dir).unwrap();
        let mut child = spawn("crash::child_saves_forever", &dir);
        wait_for(&dir.join("saved"), &mut child);
        std::thread::sleep(Duration::from_micros(rng.random_range(0..30_000)));
        child.kill().unwrap();
        child.wait().unwrap();
        let loaded = ContinuousApproximator::<NdArray>::load(dir.join("model"), &Cpu)
            .unwrap_or_else(|e| panic!("kill {kill}: {e}"));
        assert!(expected.contains(&weights(&loaded)), "kill {kill}");
        let left: Vec<_> = entries(&dir)
            .into_iter()
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(left.is_empty(), "kill {kill}: leftovers {left:?}");
    }
}

fn checkpointed(dir: &Path) -> TrainConfig {
    TrainConfig::new(40)
        .patience(None)
        .checkpoints(dir.join("checkpoints"), 1)
        .quiet()
}

#[test]
#[ignore = "a child of training_checkpoints_survive_sigkill_at_random_points"]
fn child_trains_with_checkpoints() {
    let Some(dir) = child_dir() else { return };
    let mut m = model(3);
    let mut data = OfflineDataset::new(moons(256, 4), 32, 0).unwrap();
    let marker = dir.join("epoch");
    let mut first = |_: &abi_approx::EpochRecord| {
        let _ = std::fs::write(&marker, "");
        std::ops::ControlFlow::Continue(())
    };
    m.fit_with(&mut data, &checkpointed(&dir), None, &mut first)
        .unwrap();
}

#[test]
fn training_checkpoints_survive_sigkill_at_random_points() {
    let root = tempfile::tempdir().unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
    for kill in 0..KILLS {
        let dir = root.path().join(format!("run{kill}"));
        std::fs::create_dir(&dir).unwrap();
        let mut child = spawn("crash::child_trains_with_checkpoints", &dir);
        wait_for(&dir.join("epoch"), &mut child);
        std::thread::sleep(Duration::from_micros(rng.random_range(0..40_000)));
        child.kill().unwrap();
        child.wait().unwrap();
        // the same run resumes from the last checkpoint and finishes
        let mut m = model(3);
        let mut data = OfflineDataset::new(moons(256, 4), 32, 0).unwrap();
        let history = m
            .fit(&mut data, &checkpointed(&dir))
            .unwrap_or_else(|e| panic!("kill {kill}: {e}"));
        let epochs: Vec<usize> = history.epochs.iter().map(|e| e.epoch).collect();
        assert_eq!(epochs, (0..40).collect::<Vec<_>>(), "kill {kill}");
    }
}
