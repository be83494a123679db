//! Summary networks on the ndarray backend (f32, all threads): forward + backward of a
//! scalar loss for DeepSet and SetTransformer on sets of batch 128 × 100 elements × 4
//! features, and for the GRU RecurrentNetwork on series of batch 128 × 100 steps × 4
//! features; each with BayesFlow's default settings, plus the forward pass alone without
//! gradients.
#![allow(missing_docs)] // criterion_group! generates undocumented functions

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use abi_ndarray::{Cpu, NdArray};
use abi_nets::SummaryConfig;
use abi_nets::summary::{
    DeepSetConfig, RecurrentNetworkConfig, SetTransformerConfig, SummaryNetwork,
};
use abi_tensor::{ParamStore, Tensor, no_grad};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use std::hint::black_box;

const BATCH: usize = 128;
const N: usize = 100;
const DIM: usize = 4;

fn network<C: SummaryConfig>(config: &C) -> Box<dyn SummaryNetwork<NdArray>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let store = ParamStore::<NdArray>::new(Cpu);
    config
        .build_network(&store.root().sub("summary"), &[N, DIM], &mut rng)
        .expect("network builds")
}

fn bench<C: SummaryConfig>(c: &mut Criterion, name: &str, config: C) {
    let net = network(&config);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let x = Tensor::<NdArray>::randn(&[BATCH, N, DIM], &mut rng, &Cpu).expect("data");
    c.bench_function(&format!("{name}/forward_backward"), |b| {
        b.iter(|| {
            let s = net.summarize_train(&x, None, &mut rng).expect("forward");
            let loss = s.square().and_then(|q| q.mean_all()).expect("loss");
            black_box(loss.backward().expect("backward").len())
        })
    });
    c.bench_function(&format!("{name}/forward_nograd"), |b| {
        b.iter(|| no_grad::<NdArray, _>(|| black_box(net.summarize(&x, None).expect("forward"))))
    });
}

fn summary(c: &mut Criterion) {
    bench(c, "deep_set", DeepSetConfig::default());
    bench(c, "set_transformer", SetTransformerConfig::default());
    bench(
        c,
        "recurrent_network_gru",
        RecurrentNetworkConfig::default(),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(5));
    targets = summary
}
criterion_main!(benches);
