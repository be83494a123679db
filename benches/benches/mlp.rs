//! `mlp_train_step` and `mlp_forward_nograd` on the ndarray backend, 1 and 2 threads.
#![allow(missing_docs)] // criterion_group! generates undocumented functions

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_benches::{MlpWorkload, pool};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn mlp(c: &mut Criterion) {
    for threads in [1usize, 2] {
        let pool = pool(threads);
        let mut w = MlpWorkload::new(0).expect("workload builds");
        c.bench_function(&format!("mlp_train_step/threads={threads}"), |b| {
            b.iter(|| pool.install(|| black_box(w.train_step().expect("step runs"))))
        });
        c.bench_function(&format!("mlp_forward_nograd/threads={threads}"), |b| {
            b.iter(|| pool.install(|| black_box(w.forward_nograd().expect("forward runs"))))
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = mlp
}
criterion_main!(benches);
