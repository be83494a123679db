//! The consistency model: its schedule, the boundary condition, few-step sampling of a
//! conditional Gaussian, and the absent density.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use abi_ndarray::{Cpu, NdArray};
use abi_nets::{ConsistencyModelConfig, InferenceNetwork, Mode};
use abi_tensor::{ParamStore, Tensor};
use rand::SeedableRng;

fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

#[test]
fn schedule_and_boundary_condition() {
    let cfg = ConsistencyModelConfig::default();
    // 10 doubling to 150 in 4 stages (10, 20, 40, 80) then capped: N = n + 1
    assert_eq!(cfg.discretisation_steps(0), 11);
    assert_eq!(cfg.discretisation_steps(2499), 11);
    assert_eq!(cfg.discretisation_steps(2500), 21);
    assert_eq!(cfg.discretisation_steps(7500), 81);
    assert_eq!(cfg.discretisation_steps(10_000), 151);
    assert_eq!(cfg.discretisation_steps(1_000_000), 151);
    let levels = cfg.noise_levels(11);
    assert!((levels[0] - cfg.eps).abs() < 1e-12 && (levels[10] - cfg.max_time).abs() < 1e-9);
    assert!(levels.windows(2).all(|w| w[0] < w[1]));

    // f(x, ε, c) = x whatever the network: c_skip(ε) = 1, c_out(ε) = 0
    let store = ParamStore::<NdArray>::new(Cpu);
    let small = ConsistencyModelConfig {
        widths: vec![16, 16],
        ..cfg
    };
    let cm = small.build(&store.root(), 3, 2, &mut rng(1)).unwrap();
    let x = Tensor::<NdArray>::randn(&[5, 3], &mut rng(2), &Cpu).unwrap();
    let c = Tensor::<NdArray>::randn(&[5, 2], &mut rng(3), &Cpu).unwrap();
    let t = Tensor::<NdArray>::full(&[5, 1], small.eps, &Cpu).unwrap();
    let y = cm.consistency_function(&x, &t, Some(&c)).unwrap();
    let (x, y) = (x.to_f64_vec().unwrap(), y.to_f64_vec().unwrap());
    assert!(x.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-6));
    assert!(
        cm.log_prob(&t, None).is_err(),
        "a consistency model has no density"
    );
}

#[test]
fn training_steps_advance_the_schedule_only_in_training() {
    let store = ParamStore::<NdArray>::new(Cpu);
    let cfg = ConsistencyModelConfig {
        widths: vec![8],
        ..ConsistencyModelConfig::default()
    };
    let cm = cfg.build(&store.root(), 2, 0, &mut rng(1)).unwrap();
    let v = Tensor::<NdArray>::randn(&[16, 2], &mut rng(2), &Cpu).unwrap();
    let mut r = rng(3);
    cm.loss(&v, None, Mode::Eval, &mut r).unwrap();
    assert_eq!(cm.steps_taken().unwrap(), 0);
    for _ in 0..3 {
        cm.loss(&v, None, Mode::Train, &mut r).unwrap();
    }
    assert_eq!(cm.steps_taken().unwrap(), 3);
    // the position is a frozen parameter: saved with the weights, never trained
    let step = store.get("step").unwrap();
    assert!(!step.is_trainable());
}

#[test]
fn learns_a_conditional_gaussian_and_samples_in_few_steps() {
    let steps = 3000;
    let mut r = rng(8);
    let store = ParamStore::<NdArray>::new(Cpu);
    let cfg = ConsistencyModelConfig {
        widths: vec![64, 64, 64],
        time_embedding_dim: 16,
        total_steps: steps as usize,
        ..ConsistencyModelConfig::default()
    };
    let cm = cfg.build(&store.root(), 2, 2, &mut r).unwrap();
    crate::gaussian_fit::train(&cm, &store, steps, 1e-3, &mut r);
    crate::gaussian_fit::assert_learned("consistency model", &cm, 0.1, &mut r);
}
