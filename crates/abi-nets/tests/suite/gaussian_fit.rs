//! Shared check: a network learns the conditional Gaussian θ | c ~ N(A c, Σ) in 2-D.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use abi_ndarray::{Cpu, NdArray};
use abi_nets::{InferenceNetwork, Mode};
use abi_tensor::optim::{AdamConfig, LrSchedule, Optimizer, clip_grad_norm};
use abi_tensor::{ParamStore, Tensor};

const A: [[f64; 2]; 2] = [[1.0, 0.5], [-0.3, 0.8]];
const L: [[f64; 2]; 2] = [[0.7, 0.0], [0.3, 0.4]];
const COV: [[f64; 2]; 2] = [[0.49, 0.21], [0.21, 0.25]];

/// Trains `net` for `steps` Adam steps (cosine schedule peaking at `lr`, clipping 1.5) on
/// fresh batches of 256 draws of (θ, c) with c ~ N(0, I).
pub fn train(
    net: &dyn InferenceNetwork<NdArray>,
    store: &ParamStore<NdArray>,
    steps: u64,
    lr: f64,
    rng: &mut rand_chacha::ChaCha8Rng,
) {
    let mut opt = AdamConfig::new(lr)
        .with_schedule(LrSchedule::cosine_with_warmup(lr, steps / 25, steps))
        .build::<NdArray>()
        .unwrap();
    let batch = 256;
    for _ in 0..steps {
        let c = Tensor::<NdArray>::randn(&[batch, 2], rng, &Cpu).unwrap();
        let z = Tensor::<NdArray>::randn(&[batch, 2], rng, &Cpu).unwrap();
        let (cv, zv) = (c.to_f64_vec().unwrap(), z.to_f64_vec().unwrap());
        let theta: Vec<f64> = (0..batch)
            .flat_map(|b| {
                let (c0, c1, z0, z1) = (cv[2 * b], cv[2 * b + 1], zv[2 * b], zv[2 * b + 1]);
                [
                    A[0][0] * c0 + A[0][1] * c1 + L[0][0] * z0,
                    A[1][0] * c0 + A[1][1] * c1 + L[1][0] * z0 + L[1][1] * z1,
                ]
            })
            .collect();
        let theta = Tensor::<NdArray>::from_f64(&theta, &[batch, 2], &Cpu).unwrap();
        let loss = net.loss(&theta, Some(&c), Mode::Train, rng).unwrap();
        let mut grads = loss.backward().unwrap();
        let params = store.trainable_params();
        clip_grad_norm(&mut grads, &params, 1.5).unwrap();
        opt.step(&params, &grads).unwrap();
    }
}

/// 4000 draws at three conditions have the mean `A c` and covariance `Σ` within `tol`.
pub fn assert_learned(
    name: &str,
    net: &dyn InferenceNetwork<NdArray>,
    tol: f64,
    rng: &mut rand_chacha::ChaCha8Rng,
) {
    for c in [[0.0, 0.0], [1.0, -1.0], [-0.5, 1.5]] {
        let ct = Tensor::<NdArray>::from_f64(&c, &[1, 2], &Cpu).unwrap();
        let draws = net
            .sample(4000, Some(&ct), rng)
            .unwrap()
            .to_f64_vec()
            .unwrap();
        let n = 4000.0;
        let m: Vec<f64> = (0..2)
            .map(|j| draws.iter().skip(j).step_by(2).sum::<f64>() / n)
            .collect();
        let want = [
            A[0][0] * c[0] + A[0][1] * c[1],
            A[1][0] * c[0] + A[1][1] * c[1],
        ];
        for j in 0..2 {
            assert!(
                (m[j] - want[j]).abs() < tol,
                "{name}, c {c:?}: mean {m:?} vs {want:?}"
            );
            for k in 0..2 {
                let ckj: f64 = draws
                    .chunks_exact(2)
                    .map(|d| (d[j] - m[j]) * (d[k] - m[k]))
                    .sum::<f64>()
                    / n;
                assert!(
                    (ckj - COV[j][k]).abs() < tol,
                    "{name}, c {c:?}: cov[{j}][{k}] {ckj} vs {}",
                    COV[j][k]
                );
            }
        }
    }
}
