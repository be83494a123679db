//! Approximator figures: one epoch (32 batches of 32) of online training with the simulation
//! overlapped (background thread, prefetch 2) against simulate-then-step (prefetch 0), on SIR
//! with a MAF, where simulating a batch costs about as much as a training step (both parts
//! are timed alone too); and posterior draws per second of the
//! two_moons example's approximator (10 000 draws for one observation).
#![allow(missing_docs)] // criterion_group! generates undocumented functions

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_adapter::Adapter;
use abi_approx::dataset::{Dataset, OfflineDataset, OnlineDataset};
use abi_approx::{ContinuousApproximatorBuilder, SampleOptions, TrainConfig};
use abi_ndarray::{Cpu, NdArray};
use abi_nets::NetworkSpec;
use abi_sim::benchmarks::{BenchmarkTask, Sir, TwoMoons};
use abi_sim::{Simulator, simulate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use std::hint::black_box;
use std::sync::Arc;

const BATCHES: usize = 32;
const BATCH: usize = 32;

fn online(c: &mut Criterion) {
    let sim: Arc<dyn Simulator> = Arc::new(Sir::new().expect("task").simulator());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let pilot = simulate(sim.as_ref(), BATCH, BATCH, &mut rng, false).expect("pilot");
    let adapter = Adapter::new()
        .log(&["x"], true)
        .standardize(&["theta", "x"])
        .rename("theta", "inference_variables")
        .rename("x", "inference_conditions");
    let mut approx = ContinuousApproximatorBuilder::new(adapter)
        .inference_network("maf")
        .build::<NdArray>(&pilot, &Cpu)
        .expect("builds");
    let cfg = TrainConfig::new(1).patience(None).quiet();
    let mut group = c.benchmark_group("online_epoch");
    // the two parts alone: simulating the epoch's batches, and training on stored ones
    group.bench_function("simulation_only", |b| {
        b.iter(|| {
            black_box(simulate(
                sim.as_ref(),
                BATCH * BATCHES,
                BATCH,
                &mut rng,
                false,
            ))
        })
    });
    let stored = simulate(sim.as_ref(), BATCH * BATCHES, BATCH, &mut rng, false).expect("sims");
    group.bench_function("training_only", |b| {
        b.iter(|| {
            let mut ds = OfflineDataset::new(stored.clone(), BATCH, 0).expect("dataset");
            black_box(approx.fit(&mut ds, &cfg).expect("fit").len())
        })
    });
    for (name, prefetch) in [("overlapped", 2), ("sequential", 0)] {
        let mut epoch = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut ds = OnlineDataset::new(Arc::clone(&sim), BATCH, BATCHES, 1)
                    .expect("dataset")
                    .prefetch(prefetch);
                ds.start_epoch(epoch).expect("epoch");
                epoch += 1;
                black_box(approx.fit(&mut ds, &cfg).expect("fit").len())
            })
        });
    }
    group.finish();
}

fn sampling(c: &mut Criterion) {
    let task = TwoMoons::new().expect("task");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let sims = simulate(&task.simulator(), 1000, 1000, &mut rng, false).expect("sims");
    let adapter = Adapter::new()
        .standardize(&["theta", "x"])
        .rename("theta", "inference_variables")
        .rename("x", "inference_conditions");
    let approx = ContinuousApproximatorBuilder::new(adapter)
        .inference_network(abi_examples_network())
        .build::<NdArray>(&sims, &Cpu)
        .expect("builds");
    let obs = sims.slice(0, 1).expect("row");
    let opts = SampleOptions::default().quiet();
    let mut group = c.benchmark_group("posterior_draws");
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("two_moons/10000", |b| {
        b.iter(|| {
            black_box(
                approx
                    .sample_with(10_000, &obs, &opts, &mut rng)
                    .expect("draws"),
            )
        })
    });
    group.finish();
}

/// The network the two_moons example trains.
fn abi_examples_network() -> NetworkSpec {
    NetworkSpec::new("coupling_flow")
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = online, sampling
}
criterion_main!(benches);
