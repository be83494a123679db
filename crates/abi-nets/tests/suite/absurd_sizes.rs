//! Every registered network built with each of its size settings made absurd (10¹², or
//! lists of it): the build is an error raised before the memory is taken, or a network
//! within the store's caps — never an allocation failure that aborts the process.
#![allow(clippy::unwrap_used)]

use abi_ndarray::{Cpu, NdArray};
use abi_nets::{NetworkSpec, Registry};
use abi_tensor::ParamStore;
use abi_tensor::limits::MAX_MODEL_ELEMENTS;
use rand::SeedableRng;
use serde_json::Value;

const ABSURD: u64 = 1_000_000_000_000;

/// The settings of `resolved`, each in turn with its integers made absurd.
fn absurd_variants(resolved: &NetworkSpec) -> Vec<(String, NetworkSpec)> {
    let mut out = Vec::new();
    for (key, value) in &resolved.settings {
        let absurd = match value {
            Value::Number(n) if n.is_u64() => Value::from(ABSURD),
            Value::Array(items) if items.iter().all(Value::is_u64) && !items.is_empty() => {
                Value::Array(items.iter().map(|_| Value::from(ABSURD)).collect())
            }
            _ => continue,
        };
        let mut spec = resolved.clone();
        spec.settings.insert(key.clone(), absurd);
        out.push((key.clone(), spec));
    }
    out
}

fn within_caps(store: &ParamStore<NdArray>, what: &str) {
    assert!(
        store.num_elements() <= MAX_MODEL_ELEMENTS,
        "{what}: {} elements",
        store.num_elements()
    );
}

#[test]
fn inference_networks_of_absurd_sizes_are_errors_before_allocation() {
    let registry = Registry::<NdArray>::new();
    let mut refused = 0;
    for name in registry.inference_names() {
        let resolved = registry.resolve_inference(&NetworkSpec::new(name)).unwrap();
        for (key, spec) in absurd_variants(&resolved) {
            let store = ParamStore::<NdArray>::new(Cpu);
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
            let built = registry.build_inference(&spec, &store.root(), 2, 3, &mut rng);
            refused += usize::from(built.is_err());
            within_caps(&store, &format!("{name}.{key}"));
        }
    }
    assert!(refused >= 5, "only {refused} absurd settings were refused");
}

#[test]
fn summary_networks_of_absurd_sizes_are_errors_before_allocation() {
    let registry = Registry::<NdArray>::new();
    let mut refused = 0;
    for name in registry.summary_names() {
        let Ok(resolved) = registry.resolve_summary(&NetworkSpec::new(name)) else {
            continue;
        };
        for (key, spec) in absurd_variants(&resolved) {
            let store = ParamStore::<NdArray>::new(Cpu);
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
            let built = registry.build_summary(&spec, &store.root(), &[10, 3], &mut rng);
            refused += usize::from(built.is_err());
            within_caps(&store, &format!("{name}.{key}"));
        }
    }
    assert!(refused >= 5, "only {refused} absurd settings were refused");
}
