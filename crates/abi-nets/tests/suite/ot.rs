//! Mini-batch optimal-transport pairing: the Sinkhorn plan has uniform marginals, the pairing
//! shortens the paths, and flow matching trains with it.
#![allow(clippy::unwrap_used)]

use abi_ndarray::{Cpu, NdArray};
use abi_nets::Mode;
use abi_nets::inference::ot::{OtConfig, log_sinkhorn_plan, ot_pairing};
use abi_nets::inference::{FlowMatchingConfig, InferenceNetwork};
use abi_tensor::{ParamStore, Tensor};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

fn gaussian(n: usize, d: usize, shift: f64, seed: u64) -> Vec<f64> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n * d)
        .map(|_| {
            let z: f64 = StandardNormal.sample(&mut rng);
            z + shift
        })
        .collect()
}

fn mean_cost(x: &[f64], y: &[f64], pairs: &[usize], d: usize) -> f64 {
    pairs
        .iter()
        .enumerate()
        .map(|(i, &j)| {
            (0..d)
                .map(|k| (x[i * d + k] - y[j * d + k]).powi(2))
                .sum::<f64>()
        })
        .sum::<f64>()
        / pairs.len() as f64
}

#[test]
fn sinkhorn_plan_has_uniform_marginals_and_pairing_shortens_paths() {
    let (n, d) = (96, 2);
    let x = gaussian(n, d, 0.0, 1);
    let y = gaussian(n, d, 0.0, 2);
    let cfg = OtConfig {
        epsilon: 0.05,
        iterations: 300,
    };
    let plan = log_sinkhorn_plan(&x, &y, n, d, &cfg);
    for i in 0..n {
        let row: f64 = (0..n).map(|j| plan[i * n + j].exp()).sum();
        let col: f64 = (0..n).map(|j| plan[j * n + i].exp()).sum();
        assert!((row * n as f64 - 1.0).abs() < 1e-3, "row {i} sums to {row}");
        assert!(
            (col * n as f64 - 1.0).abs() < 1e-3,
            "column {i} sums to {col}"
        );
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let pairs = ot_pairing(&x, &y, n, d, &cfg, &mut rng);
    let identity: Vec<usize> = (0..n).collect();
    let (ot, random) = (
        mean_cost(&x, &y, &pairs, d),
        mean_cost(&x, &y, &identity, d),
    );
    assert!(ot < 0.5 * random, "paired cost {ot} vs unpaired {random}");
}

#[test]
fn flow_matching_trains_with_optimal_transport_pairing() {
    let store = ParamStore::<NdArray>::new(Cpu);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    let cfg = FlowMatchingConfig {
        widths: vec![16, 16],
        time_embedding_dim: 8,
        optimal_transport: Some(OtConfig::default()),
        ..FlowMatchingConfig::default()
    };
    let fm = cfg.build(&store.root(), 2, 1, &mut rng).unwrap();
    let v = Tensor::<NdArray>::randn(&[32, 2], &mut rng, &Cpu).unwrap();
    let c = Tensor::<NdArray>::randn(&[32, 1], &mut rng, &Cpu).unwrap();
    let loss = fm.loss(&v, Some(&c), Mode::Train, &mut rng).unwrap();
    assert!(loss.to_scalar().unwrap().is_finite());
    let grads = loss.backward().unwrap();
    assert!(
        store
            .trainable_params()
            .iter()
            .all(|p| grads.get(&p.value()).is_some())
    );
    let json = serde_json::to_string(&cfg).unwrap();
    assert_eq!(
        serde_json::from_str::<FlowMatchingConfig>(&json).unwrap(),
        cfg
    );
}
