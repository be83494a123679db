//! Inference networks: one training step (loss, backward, Adam) on a batch of 256, and
//! sampling 40 draws for each of 256 conditions (10 240 draws; criterion's throughput line
//! gives draws per second), in 2 and 10 dimensions, on both cores.
#![allow(missing_docs)] // criterion_group! generates undocumented functions

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_ndarray::{Cpu, NdArray};
use abi_nets::{Mode, NetworkSpec, Registry};
use abi_tensor::optim::{AdamConfig, Optimizer};
use abi_tensor::{ParamStore, Tensor};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use std::hint::black_box;

fn inference(c: &mut Criterion) {
    let registry = Registry::<NdArray>::new();
    let mut train = c.benchmark_group("train_step");
    for name in registry.inference_names() {
        for dim in [2usize, 10] {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
            let store = ParamStore::<NdArray>::new(Cpu);
            let (net, _) = registry
                .build_inference(&NetworkSpec::new(name), &store.root(), dim, dim, &mut rng)
                .expect("builds");
            let mut opt = AdamConfig::new(1e-4).build::<NdArray>().expect("adam");
            let v = Tensor::<NdArray>::randn(&[256, dim], &mut rng, &Cpu).expect("data");
            let cond = Tensor::<NdArray>::randn(&[256, dim], &mut rng, &Cpu).expect("data");
            train.bench_function(format!("{name}/dim={dim}"), |b| {
                b.iter(|| {
                    let loss = net
                        .loss(&v, Some(&cond), Mode::Train, &mut rng)
                        .expect("loss");
                    let grads = loss.backward().expect("backward");
                    opt.step(&store.trainable_params(), &grads).expect("step");
                    black_box(loss)
                })
            });
        }
    }
    train.finish();
    let mut sample = c.benchmark_group("sample");
    sample.throughput(Throughput::Elements(256 * 40));
    for name in registry.inference_names() {
        for dim in [2usize, 10] {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
            let store = ParamStore::<NdArray>::new(Cpu);
            let mut spec = NetworkSpec::new(name);
            // flow matching samples with a fixed 20-step RK4 and only in 2-D here: the default
            // adaptive solver with the 5 × 256 velocity network takes minutes per iteration on a CPU
            if name == "flow_matching" {
                if dim > 2 {
                    continue;
                }
                spec = spec
                    .set(r#"solver={"method": "rk4", "steps": 20}"#)
                    .expect("override");
            }
            let (net, _) = registry
                .build_inference(&spec, &store.root(), dim, dim, &mut rng)
                .expect("builds");
            let cond = Tensor::<NdArray>::randn(&[256, dim], &mut rng, &Cpu).expect("data");
            sample.bench_function(format!("{name}/dim={dim}"), |b| {
                b.iter(|| black_box(net.sample(40, Some(&cond), &mut rng).expect("samples")))
            });
        }
    }
    sample.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_secs(1));
    targets = inference
}
criterion_main!(benches);
