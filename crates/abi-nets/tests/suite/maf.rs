//! The masked autoregressive flow: invertibility, exact log-determinant, normalised density,
//! and learning a conditional Gaussian.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use crate::helpers::{finite_difference_log_abs_det, max_abs_diff, mean_abs_diff};
use abi_ndarray::{Cpu, NdArray};
use abi_nets::{InferenceNetwork, Maf, MafConfig};
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
    for p in store.params().into_iter().filter(|p| !p.is_buffer()) {
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
    let err = max_abs_diff(&x, &back);
    assert!(err < 1e-4, "max inversion error {err}");
    let moved = mean_abs_diff(&x, &z);
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
        let want = finite_difference_log_abs_det(at, &x0[..dim]);
        let x = Tensor::<B64>::from_f64(&x0[..dim], &[1, dim], &Cpu).unwrap();
        let log_det = maf.forward(&x, Some(&c)).unwrap().1.to_scalar().unwrap();
        assert!(
            (log_det - want).abs() < 1e-6,
            "dim {dim}: {log_det} vs {want}"
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
    let mut r = rng(9);
    let store = ParamStore::<NdArray>::new(Cpu);
    let maf = MafConfig::default()
        .build(&store.root(), 2, 2, &mut r)
        .unwrap();
    crate::gaussian_fit::train(&maf, &store, 1500, 3e-3, &mut r);
    crate::gaussian_fit::assert_learned("MAF", &maf, 0.1, &mut r);
}

#[test]
fn a_one_dimensional_maf_learns_a_mean_nonlinear_in_its_condition() {
    // x | c ~ N(c², 0.1²): in one dimension only the hidden units (which see the conditions
    // alone) can make the shift nonlinear in c; the direct path from the conditions is linear
    use abi_nets::Mode;
    use abi_tensor::optim::{AdamConfig, LrSchedule, Optimizer};
    let mut r = rng(11);
    let store = ParamStore::<NdArray>::new(Cpu);
    let maf = MafConfig::default()
        .build(&store.root(), 1, 1, &mut r)
        .unwrap();
    let steps = 800;
    let mut opt = AdamConfig::new(3e-3)
        .with_schedule(LrSchedule::cosine_with_warmup(3e-3, 30, steps))
        .build::<NdArray>()
        .unwrap();
    for _ in 0..steps {
        let c = Tensor::<NdArray>::rand_uniform(&[256, 1], -1.5, 1.5, &mut r, &Cpu).unwrap();
        let z = Tensor::<NdArray>::randn(&[256, 1], &mut r, &Cpu).unwrap();
        let x = c.mul(&c).unwrap().add(&z.mul_scalar(0.1).unwrap()).unwrap();
        let loss = maf.loss(&x, Some(&c), Mode::Train, &mut r).unwrap();
        let grads = loss.backward().unwrap();
        opt.step(&store.trainable_params(), &grads).unwrap();
    }
    for c in [-1.2, 0.0, 1.2] {
        let ct = Tensor::<NdArray>::from_f64(&[c], &[1, 1], &Cpu).unwrap();
        let draws = maf
            .sample(2000, Some(&ct), &mut r)
            .unwrap()
            .to_f64_vec()
            .unwrap();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!(
            (mean - c * c).abs() < 0.1,
            "at c = {c}: mean {mean}, expected {}",
            c * c
        );
    }
}
