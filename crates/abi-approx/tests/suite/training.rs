//! The training loop and the approximator's life cycle: resume after an interruption,
//! early stopping, save/load, rejection sampling and bad input.
#![allow(clippy::unwrap_used)]

use abi_adapter::Adapter;
use abi_adapter::CustomTransform;
use abi_approx::dataset::{Dataset, OfflineDataset};
use abi_approx::{
    ApproxError, ContinuousApproximator, ContinuousApproximatorBuilder, EpochRecord, LoadOptions,
    SampleOptions, ScheduleChoice, TrainConfig,
};
use abi_ndarray::{Cpu, NdArray};
use abi_nets::NetworkSpec;
use abi_nets::inference::CouplingFlowConfig;
use abi_sim::benchmarks::{BenchmarkTask, TwoMoons};
use abi_sim::{Batch, Distribution, simulate};
use abi_tensor::ParamStore;
use ndarray::{ArrayD, IxDyn};
use rand::SeedableRng;
use std::ops::ControlFlow;

fn small_flow() -> NetworkSpec {
    NetworkSpec::from_config(&CouplingFlowConfig {
        depth: 2,
        subnet_widths: vec![16, 16],
        ..CouplingFlowConfig::default()
    })
    .unwrap()
}

fn moons(n: usize, seed: u64) -> Batch {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    simulate(&TwoMoons::new().unwrap().simulator(), n, n, &mut rng, false).unwrap()
}

fn adapter() -> Adapter {
    Adapter::new()
        .standardize(&["theta", "x"])
        .rename("theta", "inference_variables")
        .rename("x", "inference_conditions")
}

fn approximator(data: &Batch) -> ContinuousApproximator<NdArray> {
    ContinuousApproximatorBuilder::new(adapter())
        .inference_network(small_flow())
        .seed(1)
        .build::<NdArray>(data, &Cpu)
        .unwrap()
}

fn weights(a: &ContinuousApproximator<NdArray>) -> Vec<(String, Vec<f32>)> {
    a.parameters()
        .tensors()
        .into_iter()
        .map(|(k, t)| (k, t.to_vec().unwrap()))
        .collect()
}

#[test]
fn interrupted_training_resumes_to_the_same_result() {
    let data = moons(600, 1);
    let val = moons(200, 2);
    let dir_full = tempfile::tempdir().unwrap();
    let dir_cut = tempfile::tempdir().unwrap();
    let cfg = |dir: &std::path::Path| {
        TrainConfig::new(6)
            .patience(Some(100))
            .checkpoints(dir, 1)
            .seed(4)
            .quiet()
    };

    let mut full = approximator(&data);
    full.fit_with(
        &mut OfflineDataset::new(data.clone(), 64, 9).unwrap(),
        &cfg(dir_full.path()),
        Some(&val),
        &mut |_: &EpochRecord| ControlFlow::Continue(()),
    )
    .unwrap();

    // abort after 3 epochs, then start again from a fresh model: it resumes from the checkpoint
    let mut cut = approximator(&data);
    let history = cut
        .fit_with(
            &mut OfflineDataset::new(data.clone(), 64, 9).unwrap(),
            &cfg(dir_cut.path()),
            Some(&val),
            &mut |r: &EpochRecord| {
                if r.epoch == 2 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
        .unwrap();
    assert_eq!(history.len(), 3);
    let mut resumed = approximator(&data);
    resumed
        .fit_with(
            &mut OfflineDataset::new(data.clone(), 64, 9).unwrap(),
            &cfg(dir_cut.path()),
            Some(&val),
            &mut |_: &EpochRecord| ControlFlow::Continue(()),
        )
        .unwrap();
    let epochs: Vec<usize> = resumed.history().epochs.iter().map(|e| e.epoch).collect();
    assert_eq!(epochs, (0..6).collect::<Vec<_>>(), "history has gaps");
    assert_eq!(resumed.history().losses(), full.history().losses());
    assert_eq!(resumed.history().val_losses(), full.history().val_losses());
    assert_eq!(weights(&resumed), weights(&full));
}

#[test]
fn early_stopping_stops_and_restores_the_best_weights() {
    let data = moons(300, 3);
    let val = moons(100, 4);
    let mut a = approximator(&data);
    // a learning rate this large makes the validation loss stop improving quickly
    let cfg = TrainConfig::new(200)
        .learning_rate(5e-2)
        .patience(Some(3))
        .quiet();
    a.fit_with(
        &mut OfflineDataset::new(data, 32, 0).unwrap(),
        &cfg,
        Some(&val),
        &mut |_: &EpochRecord| ControlFlow::Continue(()),
    )
    .unwrap();
    let h = a.history();
    assert!(h.stopped_early, "ran all {} epochs", h.len());
    assert!(h.len() < 200);
    let best = h.best_epoch.unwrap();
    assert_eq!(
        h.len(),
        best + 4,
        "stopped {} epochs after the best",
        h.len() - best - 1
    );
    // the restored weights give the best validation loss again: the loss is the mean negative
    // log-density in the adapter's standardised space, log_prob adds the adapter's Jacobian
    let ldj = a
        .adapter()
        .log_det_jacobian(&val, "inference_variables")
        .unwrap();
    let lp = a.log_prob(&val).unwrap();
    let loss = -lp.iter().zip(ldj.iter()).map(|(l, j)| l - j).sum::<f64>() / lp.len() as f64;
    let best_val = h.epochs[best].val_loss.unwrap();
    assert!(
        (loss - best_val).abs() < 1e-4 * (1.0 + best_val.abs()),
        "restored weights give {loss}, the best epoch had {best_val}"
    );
    let last_val = h.epochs.last().unwrap().val_loss.unwrap();
    assert!(last_val > best_val);
}

#[test]
fn save_and_load_give_identical_samples_and_reject_bad_files() {
    let data = moons(400, 5);
    let mut a = approximator(&data);
    a.fit(
        &mut OfflineDataset::new(data.clone(), 64, 0).unwrap(),
        &TrainConfig::new(2).quiet(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    a.save(dir.path()).unwrap();
    let b = ContinuousApproximator::<NdArray>::load(dir.path(), &Cpu).unwrap();
    assert_eq!(weights(&a), weights(&b));
    assert_eq!(b.history(), a.history());
    let obs = data.slice(0, 3).unwrap();
    let draw = |m: &ContinuousApproximator<NdArray>| {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(77);
        m.sample(50, &obs, &mut rng)
            .unwrap()
            .f64("theta")
            .unwrap()
            .clone()
    };
    assert_eq!(draw(&a), draw(&b));
    assert_eq!(a.log_prob(&obs).unwrap(), b.log_prob(&obs).unwrap());

    // a newer format version, a foreign file and truncated weights are errors, not panics
    let json = std::fs::read_to_string(dir.path().join("model.json")).unwrap();
    std::fs::write(
        dir.path().join("model.json"),
        json.replace("\"format_version\": 3", "\"format_version\": 99"),
    )
    .unwrap();
    let err = ContinuousApproximator::<NdArray>::load(dir.path(), &Cpu).unwrap_err();
    assert!(err.to_string().contains("version"), "{err}");
    std::fs::write(dir.path().join("model.json"), "{\"format\": \"other\"}").unwrap();
    assert!(ContinuousApproximator::<NdArray>::load(dir.path(), &Cpu).is_err());
    std::fs::write(dir.path().join("model.json"), json).unwrap();
    let weights_path = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&weights_path).unwrap();
    std::fs::write(&weights_path, &bytes[..bytes.len() / 2]).unwrap();
    assert!(ContinuousApproximator::<NdArray>::load(dir.path(), &Cpu).is_err());
}

#[test]
fn rejection_keeps_draws_in_the_support_and_reports_acceptance() {
    let data = moons(400, 6);
    let a = approximator(&data); // untrained: much of its mass leaks out of the prior's box
    let obs = data.slice(0, 4).unwrap();
    let prior = Distribution::box_uniform(vec![-1.0; 2], vec![1.0; 2]).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
    let out = a
        .sample_with(
            300,
            &obs,
            &SampleOptions::default()
                .quiet()
                .within("theta", prior.clone()),
            &mut rng,
        )
        .unwrap();
    let theta = out.draws.f64("theta").unwrap();
    assert_eq!(theta.shape(), &[4, 300, 2]);
    assert!(theta.iter().all(|v| v.abs() <= 1.0));
    let rate = out.acceptance_rate.unwrap();
    assert!(rate > 0.0 && rate < 1.0, "acceptance {rate}");

    // a support the draws cannot reach fails after the allowed rounds instead of looping
    let far = Distribution::box_uniform(vec![50.0; 2], vec![51.0; 2]).unwrap();
    let options = SampleOptions {
        max_rounds: 3,
        ..SampleOptions::default().quiet().within("theta", far)
    };
    match a.sample_with(10, &obs, &options, &mut rng) {
        Err(ApproxError::Leakage {
            accepted, rounds, ..
        }) => assert!(accepted == 0 && rounds <= 3, "{accepted} {rounds}"),
        other => panic!("expected a leakage error, got {other:?}"),
    }
}

#[test]
fn bad_input_is_a_clear_error() {
    let data = moons(100, 7);
    let a = approximator(&data);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    // NaN in the conditions
    let mut bad = Batch::new();
    bad.insert(
        "x",
        ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![0.1, f64::NAN, 0.2, 0.3]).unwrap(),
    )
    .unwrap();
    let err = a.sample(5, &bad, &mut rng).unwrap_err();
    assert!(
        matches!(err, ApproxError::NonFiniteData { row: 0, .. }),
        "{err}"
    );
    // wrong width
    let mut wide = Batch::new();
    wide.insert("x", ArrayD::<f64>::zeros(IxDyn(&[2, 3])))
        .unwrap();
    assert!(a.sample(5, &wide, &mut rng).is_err());
    // no conditions at all: the adapter produces no inference_conditions
    let mut other = Batch::new();
    other
        .insert("y", ArrayD::<f64>::zeros(IxDyn(&[2, 2])))
        .unwrap();
    let err = a.sample(5, &other, &mut rng).unwrap_err();
    assert!(err.to_string().contains("inference_conditions"), "{err}");
    // an adapter that produces no inference_variables cannot build
    let err =
        ContinuousApproximatorBuilder::new(Adapter::new().rename("x", "inference_conditions"))
            .build::<NdArray>(&data, &Cpu)
            .unwrap_err();
    assert!(err.to_string().contains("inference_variables"), "{err}");
    // an empty offline dataset and a zero batch size are configuration errors
    assert!(OfflineDataset::new(Batch::new(), 8, 0).is_err());
    assert!(OfflineDataset::new(data.clone(), 0, 0).is_err());
    let _ = OfflineDataset::new(data, 8, 0).unwrap().batches_per_epoch();
}

/// `x ↦ x³`, a custom adapter function (saved by name only).
struct Cube;

impl CustomTransform for Cube {
    fn forward(&self, x: &ArrayD<f64>) -> Result<ArrayD<f64>, String> {
        Ok(x.mapv(|v| v * v * v))
    }
}

#[test]
fn a_model_with_a_custom_transform_names_the_function_it_needs_to_load() {
    let data = moons(300, 9);
    let adapter = Adapter::new()
        .custom("cube", &["x"], Cube)
        .standardize(&["theta", "x"])
        .rename("theta", "inference_variables")
        .rename("x", "inference_conditions");
    let model = ContinuousApproximatorBuilder::new(adapter)
        .inference_network(small_flow())
        .build::<NdArray>(&data, &Cpu)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    model.save(dir.path()).unwrap();
    let err = ContinuousApproximator::<NdArray>::load(dir.path(), &Cpu).unwrap_err();
    assert!(err.to_string().contains("cube"), "{err}");
    let loaded = ContinuousApproximator::<NdArray>::load_with(
        dir.path(),
        &Cpu,
        &LoadOptions::new().custom("cube", Cube),
    )
    .unwrap();
    let obs = data.slice(0, 2).unwrap();
    assert_eq!(
        model.log_prob(&obs).unwrap(),
        loaded.log_prob(&obs).unwrap()
    );
}

#[test]
fn the_schedule_and_optimiser_are_selectable() {
    let data = moons(256, 10);
    let lrs = |schedule: ScheduleChoice| {
        let mut a = approximator(&data);
        let cfg = TrainConfig::new(10)
            .learning_rate(1e-3)
            .patience(None)
            .schedule(schedule)
            .quiet();
        a.fit(&mut OfflineDataset::new(data.clone(), 64, 0).unwrap(), &cfg)
            .unwrap()
            .epochs
            .iter()
            .map(|e| e.learning_rate)
            .collect::<Vec<f64>>()
    };
    assert!(lrs(ScheduleChoice::Constant).iter().all(|&lr| lr == 1e-3));
    let one_cycle = lrs(ScheduleChoice::OneCycle { pct_start: 0.3 });
    let peak = one_cycle.iter().cloned().fold(0.0, f64::max);
    assert!(
        peak > 9e-4 && one_cycle[0] < peak && one_cycle[9] < 1e-6,
        "{one_cycle:?}"
    );
    let cosine = lrs(ScheduleChoice::default());
    assert!(cosine.windows(2).all(|w| w[1] <= w[0]), "{cosine:?}");
    let mut a = approximator(&data);
    let sgd = TrainConfig::new(2)
        .optimizer(abi_approx::OptimizerChoice::Sgd { momentum: 0.9 })
        .quiet();
    assert!(
        a.fit(&mut OfflineDataset::new(data.clone(), 64, 0).unwrap(), &sgd)
            .is_ok()
    );
    let bad = TrainConfig::new(2)
        .schedule(ScheduleChoice::OneCycle { pct_start: 1.5 })
        .quiet();
    assert!(
        a.fit(&mut OfflineDataset::new(data, 64, 0).unwrap(), &bad)
            .is_err()
    );
}

#[test]
fn networks_built_by_the_caller_train_and_save_once_named() {
    use abi_nets::{MafConfig, Registry};
    let data = moons(256, 12);
    let store = ParamStore::<NdArray>::new(Cpu);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let maf = MafConfig {
        hidden: 16,
        ..MafConfig::default()
    };
    let net = maf
        .build(&store.root().sub("inference"), 2, 2, &mut rng)
        .unwrap();
    // the network must fit the adapter's roles
    let wrong = MafConfig::default()
        .build(&ParamStore::<NdArray>::new(Cpu).root(), 3, 2, &mut rng)
        .unwrap();
    assert!(
        ContinuousApproximatorBuilder::new(adapter())
            .build_from_networks(&data, ParamStore::new(Cpu), Box::new(wrong), None)
            .is_err()
    );
    let mut a = ContinuousApproximatorBuilder::new(adapter())
        .build_from_networks(&data, store, Box::new(net), None)
        .unwrap();
    a.fit(
        &mut OfflineDataset::new(data.clone(), 64, 0).unwrap(),
        &TrainConfig::new(2).quiet(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = a.save(dir.path()).unwrap_err().to_string();
    assert!(err.contains("with_network_specs"), "{err}");
    let spec = NetworkSpec::from_config(&maf).unwrap();
    let a = a.with_network_specs(&Registry::new(), &spec, None).unwrap();
    a.save(dir.path()).unwrap();
    let b = ContinuousApproximator::<NdArray>::load(dir.path(), &Cpu).unwrap();
    let obs = data.slice(0, 2).unwrap();
    assert_eq!(a.log_prob(&obs).unwrap(), b.log_prob(&obs).unwrap());
}
