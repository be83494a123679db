//! The same workloads on both backends, in one run on one machine: the MLP training step of
//! `mlp.rs` and one training step of the default coupling flow (2-D, batch 256), on
//! `abi-ndarray` and on libtorch's CPU kernels (`abi-tch`), each on one thread.
//! Needs libtorch: `cargo xtask libtorch`, then `cargo bench -p abi-benches --features tch
//! --bench backends` with `LD_LIBRARY_PATH=.libtorch/torch/lib` (`cargo xtask bench` does this).
#![allow(missing_docs)] // criterion_group! generates undocumented functions

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_benches::{FlowWorkload, MlpWorkload, pool};
use abi_ndarray::{Cpu, NdArray};
use abi_tch::{Tch, TchDevice};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn backends(c: &mut Criterion) {
    let pool = pool(1);
    abi_tch::set_num_threads(1);
    let device = TchDevice::Cpu;
    println!(
        "abi-tch device: {device} (CUDA available: {})",
        abi_tch::cuda_is_available()
    );

    let mut nd = MlpWorkload::<NdArray>::on(0, &Cpu).expect("workload builds");
    c.bench_function("backend/mlp_train_step/ndarray", |b| {
        b.iter(|| pool.install(|| black_box(nd.train_step().expect("step runs"))))
    });
    let mut th = MlpWorkload::<Tch>::on(0, &device).expect("workload builds");
    c.bench_function("backend/mlp_train_step/tch_cpu", |b| {
        b.iter(|| black_box(th.train_step().expect("step runs")))
    });

    let mut nd = FlowWorkload::<NdArray>::new("coupling_flow", 2, 0, &Cpu).expect("builds");
    c.bench_function("backend/coupling_flow_train_step/ndarray", |b| {
        b.iter(|| pool.install(|| black_box(nd.train_step().expect("step runs"))))
    });
    let mut th = FlowWorkload::<Tch>::new("coupling_flow", 2, 0, &device).expect("builds");
    c.bench_function("backend/coupling_flow_train_step/tch_cpu", |b| {
        b.iter(|| black_box(th.train_step().expect("step runs")))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = backends
}
criterion_main!(benches);
