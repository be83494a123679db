//! Simulation throughput of two benchmark tasks on 1 and 2 threads (batches of 10 000 draws;
//! criterion's throughput line gives draws per second).
#![allow(missing_docs)] // criterion_group! generates undocumented functions

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_benches::pool;
use abi_sim::Simulator;
use abi_sim::benchmarks::{BenchmarkTask, Sir, TwoMoons};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use std::hint::black_box;

const DRAWS: usize = 10_000;

fn simulation(c: &mut Criterion) {
    let moons = TwoMoons::new().expect("task builds").simulator();
    let sir = Sir::new().expect("task builds").simulator();
    let tasks: [(&str, &dyn Simulator); 2] = [("two_moons", &moons), ("sir", &sir)];
    let mut group = c.benchmark_group("simulate");
    group.throughput(Throughput::Elements(DRAWS as u64));
    for (name, sim) in tasks {
        for threads in [1usize, 2] {
            let pool = pool(threads);
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
            group.bench_function(format!("{name}/threads={threads}"), |b| {
                b.iter(|| {
                    pool.install(|| black_box(sim.sample(DRAWS, &mut rng).expect("simulates")))
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(3));
    targets = simulation
}
criterion_main!(benches);
