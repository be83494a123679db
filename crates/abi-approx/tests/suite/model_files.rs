//! A saved model is one unit: another save's weights, non-finite weights and the leftovers of
//! an interrupted save never load silently; a save replaces the model's files but keeps what
//! else the folder holds.
#![allow(clippy::unwrap_used)]

use crate::tiny::{entries, weights};
use abi_approx::ContinuousApproximator;
use abi_ndarray::{Cpu, NdArray};
use abi_tensor::Tensor;

fn model(seed: u64) -> ContinuousApproximator<NdArray> {
    crate::tiny::model(seed, 1, 8, true)
}

fn load(dir: &std::path::Path) -> abi_approx::Result<ContinuousApproximator<NdArray>> {
    ContinuousApproximator::<NdArray>::load(dir, &Cpu)
}

#[test]
fn weights_of_another_save_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = (root.path().join("a"), root.path().join("b"));
    model(1).save(&a).unwrap();
    model(2).save(&b).unwrap();
    std::fs::copy(b.join("model.safetensors"), a.join("model.safetensors")).unwrap();
    let err = load(&a).unwrap_err().to_string();
    assert!(
        err.contains("model.safetensors") && err.contains("belong to another save"),
        "{err}"
    );
    assert!(load(&b).is_ok());
}

#[test]
fn non_finite_weights_are_refused_by_name() {
    let root = tempfile::tempdir().unwrap();
    let m = model(3);
    let param = m
        .parameters()
        .trainable_params()
        .into_iter()
        .next()
        .unwrap();
    let name = param.name().to_string();
    let shape = param.shape();
    let mut values = param.value().to_f64_vec().unwrap();
    values[1] = f64::INFINITY;
    param
        .set_value(Tensor::from_f64(&values, &shape, &Cpu).unwrap())
        .unwrap();
    m.save(root.path().join("m")).unwrap();
    let err = load(&root.path().join("m")).unwrap_err().to_string();
    assert!(
        err.contains(&format!("tensor `{name}`")) && err.contains("inf at flat index 1"),
        "{err}"
    );
}

#[test]
fn a_save_replaces_the_model_and_keeps_the_folders_other_files() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("model");
    let (first, second) = (model(4), model(5));
    first.save(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "kept").unwrap();
    second.save(&dir).unwrap();
    let loaded = load(&dir).unwrap();
    assert_eq!(weights(&loaded), weights(&second));
    assert_ne!(weights(&loaded), weights(&first));
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "kept"
    );
    // nothing but the model folder is left beside it
    assert_eq!(entries(root.path()), vec!["model".to_string()]);
}

#[test]
fn a_save_killed_between_its_renames_leaves_the_previous_model() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("model");
    let old = model(6);
    old.save(&dir).unwrap();
    // the state a kill after the first rename leaves: the old folder aside, a complete new
    // one staged, no folder under the name
    model(7)
        .save(root.path().join(".model.saving-1-0"))
        .unwrap();
    std::fs::rename(&dir, root.path().join(".model.previous-1-0")).unwrap();
    let loaded = load(&dir).unwrap();
    assert_eq!(weights(&loaded), weights(&old));
    assert_eq!(entries(root.path()), vec!["model".to_string()]);
}

#[test]
fn a_network_size_in_model_json_is_checked_before_allocation() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("model");
    model(8).save(&dir).unwrap();
    let json = std::fs::read_to_string(dir.join("model.json")).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let widths = value
        .pointer_mut("/spec/inference_network/settings/subnet_widths")
        .unwrap();
    *widths = serde_json::json!([1_000_000_000_000u64]);
    std::fs::write(dir.join("model.json"), value.to_string()).unwrap();
    let err = load(&dir).unwrap_err().to_string();
    assert!(
        err.contains("exceeds the limit") || err.contains("over the store's limit"),
        "{err}"
    );
    // a width the per-tensor cap allows but the weights file cannot hold
    *value
        .pointer_mut("/spec/inference_network/settings/subnet_widths")
        .unwrap() = serde_json::json!([20_000]);
    std::fs::write(dir.join("model.json"), value.to_string()).unwrap();
    let err = load(&dir).unwrap_err().to_string();
    assert!(err.contains("over the store's limit"), "{err}");
}

#[test]
fn summary_network_sizes_in_model_json_are_checked_before_allocation() {
    use abi_approx::ContinuousApproximatorBuilder;
    use abi_nets::NetworkSpec;
    let mut sims = abi_sim::Batch::new();
    sims.insert("theta", ndarray::Array2::<f64>::zeros((8, 2)).into_dyn())
        .unwrap();
    sims.insert(
        "x",
        ndarray::Array3::<f64>::from_shape_fn((8, 5, 2), |(i, j, k)| (i + j * k) as f64).into_dyn(),
    )
    .unwrap();
    let adapter = abi_adapter::Adapter::new()
        .rename("theta", "inference_variables")
        .rename("x", "summary_variables");
    let summary = NetworkSpec::new("set_transformer")
        .set("embed_dims=[8]")
        .and_then(|s| s.set("num_heads=[2]"))
        .and_then(|s| s.set("mlp_depths=[1]"))
        .and_then(|s| s.set("mlp_widths=[8]"))
        .and_then(|s| s.set("num_inducing_points=3"))
        .unwrap();
    let flow = NetworkSpec::new("coupling_flow")
        .set("depth=2")
        .and_then(|s| s.set("subnet_widths=[8]"))
        .unwrap();
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("model");
    ContinuousApproximatorBuilder::new(adapter)
        .summary_network(summary)
        .inference_network(flow)
        .build::<NdArray>(&sims, &Cpu)
        .unwrap()
        .save(&dir)
        .unwrap();
    assert!(load(&dir).is_ok());
    let json = std::fs::read_to_string(dir.join("model.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    // inducing points and attention widths the weights file cannot hold
    for (key, absurd) in [
        ("num_inducing_points", serde_json::json!(1_000_000_000u64)),
        ("embed_dims", serde_json::json!([100_000u64])),
        ("mlp_depths", serde_json::json!([1_000_000_000_000u64])),
    ] {
        let mut mangled = value.clone();
        *mangled
            .pointer_mut(&format!("/spec/summary_network/settings/{key}"))
            .unwrap() = absurd;
        std::fs::write(dir.join("model.json"), mangled.to_string()).unwrap();
        let err = load(&dir).unwrap_err().to_string();
        assert!(
            err.contains("over the store's limit")
                || err.contains("exceeds the cap")
                || err.contains("exceeds the limit"),
            "{key}: {err}"
        );
    }
}
