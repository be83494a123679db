//! The gradient mode reaches work run on rayon's threads through `abi_tensor::parallel`,
//! whatever mode the worker threads themselves are in.
#![allow(clippy::unwrap_used)] // tests panic on failure by design

use abi_ndarray::{Cpu, NdArray};
use abi_tensor::{Backend, GradMode, Result, Tensor, enable_grad, no_grad, parallel};

type B = NdArray<f64>;

/// A pool of four threads (more than this machine's cores, so several workers really run)
/// whose workers are all left in `worker_mode`.
fn pool_with_workers_in(worker_mode: bool) -> rayon::ThreadPool {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap();
    pool.broadcast(|_| B::set_grad_enabled(worker_mode));
    pool
}

fn leaf() -> Tensor<B> {
    Tensor::<B>::from_f64(&[0.5, -1.0, 2.0], &[3], &Cpu)
        .unwrap()
        .track()
}

/// 64 small products of the tracked leaf, computed in parallel.
fn products(x: &Tensor<B>) -> Vec<Tensor<B>> {
    parallel::try_par_map::<B, _, _, _>(0..64usize, |i| x.mul_scalar(i as f64)?.exp()).unwrap()
}

#[test]
fn no_grad_work_inside_par_iter_is_untracked() {
    // the workers record by default; the caller's `no_grad` must win on every one of them
    let pool = pool_with_workers_in(true);
    let x = leaf();
    let ys = pool.install(|| no_grad::<B, _>(|| products(&x)));
    assert_eq!(ys.len(), 64);
    assert!(
        ys.iter().all(|y| !y.is_tracked()),
        "a worker recorded a graph"
    );
    // and the calling thread's mode is restored
    assert!(pool.install(B::grad_enabled));
}

#[test]
fn recording_work_inside_par_iter_is_tracked_on_no_grad_workers() {
    // a worker left inside `no_grad` (e.g. one that stole this job while waiting) must not
    // drop the caller's graph
    let pool = pool_with_workers_in(false);
    let x = leaf();
    let ys = pool.install(|| enable_grad::<B, _>(|| products(&x)));
    assert!(
        ys.iter().all(Tensor::is_tracked),
        "a worker dropped the graph"
    );
    let loss = Tensor::stack(&ys, 0).unwrap().sum_all().unwrap();
    let g = loss
        .backward()
        .unwrap()
        .get(&x)
        .unwrap()
        .to_f64_vec()
        .unwrap();
    let want: Vec<f64> = [0.5f64, -1.0, 2.0]
        .iter()
        .map(|&v| (0..64).map(|i| i as f64 * (i as f64 * v).exp()).sum())
        .collect();
    for (g, w) in g.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0), "{g} vs {w}");
    }
}

#[test]
fn join_and_wrap_keep_the_callers_mode() -> Result<()> {
    let pool = pool_with_workers_in(true);
    let x = leaf();
    let (a, b) =
        pool.install(|| no_grad::<B, _>(|| parallel::join::<B, _, _>(|| x.exp(), || x.sin())));
    assert!(!a?.is_tracked() && !b?.is_tracked());
    let wrapped = no_grad::<B, _>(|| GradMode::<B>::current().wrap(|v: f64| x.mul_scalar(v)));
    let y = pool.install(|| {
        use rayon::prelude::*;
        (0..8)
            .into_par_iter()
            .map(|i| wrapped(i as f64))
            .collect::<Vec<_>>()
    });
    assert!(y.iter().all(|t| t.as_ref().is_ok_and(|t| !t.is_tracked())));
    Ok(())
}
