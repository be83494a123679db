//! The masked autoregressive flow: invertibility, exact log-determinant, normalised density,
//! and learning a conditional Gaussian.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use abi_ndarray::{Cpu, NdArray};
use abi_nets::{InferenceNetwork, Maf, MafConfig, Mode};
use abi_tensor::optim::{AdamConfig, LrSchedule, Optimizer, clip_grad_norm};
use abi_tensor::{Backend, ParamStore, Tensor};
use rand::SeedableRng;

fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

fn random_maf<B: Backend>(
    dim: usize,
    cond: usize,
    scale: f64,
    seed: u64,
) -> (ParamStore<B>, Maf<B>) {
    let mut r = rng(seed);
    let store = ParamStore::<B>::new(B::Device::default());
    let cfg = MafConfig {
        transforms: 3,
        hidden: 16,
        ..MafConfig::default()
    };
    let maf = cfg.build(&store.root(), dim, cond, &mut r).unwrap();
    for p in store.params() {
        let v = Tensor::<B>::randn(&p.shape(), &mut r, &B::Device::default())
            .unwrap()
            .mul_scalar(scale)
            .unwrap();
        p.set_value(v).unwrap();
    }
    (store, maf)
}

#[test]
fn inverse_undoes_forward() {
    let (_s, maf) = random_maf::<NdArray>(4, 2, 0.3, 1);
    let mut r = rng(2);
    let x = Tensor::<NdArray>::randn(&[128, 4], &mut r, &Cpu).unwrap();
    let c = Tensor::<NdArray>::randn(&[128, 2], &mut r, &Cpu).unwrap();
    let (z, _) = maf.forward(&x, Some(&c)).unwrap();
    let back = maf.inverse(&z, Some(&c)).unwrap();
    let err = x
        .sub(&back)
        .unwrap()
        .abs()
        .unwrap()
        .max(&[0, 1], false)
        .unwrap()
        .to_scalar()
        .unwrap();
    assert!(err < 1e-4, "max inversion error {err}");
    let moved = x
        .sub(&z)
        .unwrap()
        .abs()
        .unwrap()
        .mean_all()
        .unwrap()
        .to_scalar()
        .unwrap();
    assert!(moved > 0.1, "random MAF barely moves points ({moved})");
}

#[test]
fn log_determinant_matches_a_finite_difference_jacobian() {
    type B64 = NdArray<f64>;
    for dim in [2usize, 3] {
        let (_s, maf) = random_maf::<B64>(dim, 1, 0.4, 20 + dim as u64);
        let x0 = [0.2, -0.4, 0.9];
        let c = Tensor::<B64>::from_f64(&[-0.3], &[1, 1], &Cpu).unwrap();
        let at = |x: &[f64]| {
            maf.forward(
                &Tensor::<B64>::from_f64(x, &[1, dim], &Cpu).unwrap(),
                Some(&c),
            )
            .unwrap()
            .0
            .to_f64_vec()
            .unwrap()
        };
        let h = 1e-6;
        let mut jac = vec![0.0; dim * dim];
        for j in 0..dim {
            let (mut up, mut down) = (x0[..dim].to_vec(), x0[..dim].to_vec());
            up[j] += h;
            down[j] -= h;
            let (fu, fd) = (at(&up), at(&down));
            for i in 0..dim {
                jac[i * dim + j] = (fu[i] - fd[i]) / (2.0 * h);
            }
        }
        let det: f64 = if dim == 2 {
            jac[0] * jac[3] - jac[1] * jac[2]
        } else {
            jac[0] * (jac[4] * jac[8] - jac[5] * jac[7])
                - jac[1] * (jac[3] * jac[8] - jac[5] * jac[6])
                + jac[2] * (jac[3] * jac[7] - jac[4] * jac[6])
        };
        let x = Tensor::<B64>::from_f64(&x0[..dim], &[1, dim], &Cpu).unwrap();
        let log_det = maf.forward(&x, Some(&c)).unwrap().1.to_scalar().unwrap();
        assert!(
            (log_det - det.abs().ln()).abs() < 1e-6,
            "dim {dim}: {log_det} vs {}",
            det.abs().ln()
        );
    }
}

#[test]
fn density_integrates_to_one() {
    let (_s, maf) = random_maf::<NdArray<f64>>(2, 0, 0.3, 5);
    let (n, lo, hi) = (300usize, -10.0, 10.0);
    let h = (hi - lo) / n as f64;
    let mut pts = Vec::with_capacity(2 * n * n);
    for i in 0..n {
        for j in 0..n {
            pts.push(lo + (i as f64 + 0.5) * h);
            pts.push(lo + (j as f64 + 0.5) * h);
        }
    }
    let grid = Tensor::<NdArray<f64>>::from_f64(&pts, &[n * n, 2], &Cpu).unwrap();
    let total: f64 = maf
        .log_prob(&grid, None)
        .unwrap()
        .to_f64_vec()
        .unwrap()
        .iter()
        .map(|v| v.exp() * h * h)
        .sum();
    assert!((total - 1.0).abs() < 0.02, "density integrates to {total}");
}

#[test]
fn learns_a_conditional_gaussian() {
    let a = [[1.0, 0.5], [-0.3, 0.8]];
    let l = [[0.7, 0.0], [0.3, 0.4]];
    let cov = [[0.49, 0.21], [0.21, 0.25]];
    let mut r = rng(9);
    let store = ParamStore::<NdArray>::new(Cpu);
    let maf = MafConfig::default()
        .build(&store.root(), 2, 2, &mut r)
        .unwrap();
    let steps = 1500u64;
    let mut opt = AdamConfig::new(1e-3)
        .with_schedule(LrSchedule::cosine_with_warmup(3e-3, 75, steps))
        .build::<NdArray>()
        .unwrap();
    let batch = 256;
    for _ in 0..steps {
        let c = Tensor::<NdArray>::randn(&[batch, 2], &mut r, &Cpu).unwrap();
        let z = Tensor::<NdArray>::randn(&[batch, 2], &mut r, &Cpu).unwrap();
        let (cv, zv) = (c.to_f64_vec().unwrap(), z.to_f64_vec().unwrap());
        let theta: Vec<f64> = (0..batch)
            .flat_map(|b| {
                let (c0, c1, z0, z1) = (cv[2 * b], cv[2 * b + 1], zv[2 * b], zv[2 * b + 1]);
                [
                    a[0][0] * c0 + a[0][1] * c1 + l[0][0] * z0,
                    a[1][0] * c0 + a[1][1] * c1 + l[1][0] * z0 + l[1][1] * z1,
                ]
            })
            .collect();
        let theta = Tensor::<NdArray>::from_f64(&theta, &[batch, 2], &Cpu).unwrap();
        let loss = maf.loss(&theta, Some(&c), Mode::Train, &mut r).unwrap();
        let mut grads = loss.backward().unwrap();
        let params = store.trainable_params();
        clip_grad_norm(&mut grads, &params, 1.5).unwrap();
        opt.step(&params, &grads).unwrap();
    }
    for c in [[0.0, 0.0], [1.0, -1.0], [-0.5, 1.5]] {
        let ct = Tensor::<NdArray>::from_f64(&c, &[1, 2], &Cpu).unwrap();
        let draws = maf
            .sample(4000, Some(&ct), &mut r)
            .unwrap()
            .to_f64_vec()
            .unwrap();
        let n = 4000.0;
        let m: Vec<f64> = (0..2)
            .map(|j| draws.iter().skip(j).step_by(2).sum::<f64>() / n)
            .collect();
        let want = [
            a[0][0] * c[0] + a[0][1] * c[1],
            a[1][0] * c[0] + a[1][1] * c[1],
        ];
        for j in 0..2 {
            assert!(
                (m[j] - want[j]).abs() < 0.1,
                "c {c:?}: mean {m:?} vs {want:?}"
            );
            for k in 0..2 {
                let ckj: f64 = draws
                    .chunks_exact(2)
                    .map(|d| (d[j] - m[j]) * (d[k] - m[k]))
                    .sum::<f64>()
                    / n;
                assert!(
                    (ckj - cov[j][k]).abs() < 0.1,
                    "c {c:?}: cov[{j}][{k}] {ckj} vs {}",
                    cov[j][k]
                );
            }
        }
    }
}
