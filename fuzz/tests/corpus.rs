//! Every file of `corpus/<target>/` through its target: the smoke run of the fuzz targets in
//! CI (seconds). A panic fails the test; a typed error is a rejection, which is fine.
//! `write_seed_corpus` (ignored) writes the seeds from real files.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

fn replay(target: &str, run: fn(&[u8]) -> abi_fuzz::Outcome) -> (usize, usize) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus(target))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut rejected = 0;
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        if run(&bytes).is_err() {
            rejected += 1;
        }
    }
    (files.len(), rejected)
}

#[test]
fn model_folder_corpus() {
    let (files, rejected) = replay("model_folder", abi_fuzz::model_folder);
    assert!(files >= 3 && rejected < files, "{files} {rejected}");
    // the real models among the seeds load and sample
    for seed in ["fixture", "deep_set", "set_transformer"] {
        let bytes = std::fs::read(corpus("model_folder").join(seed)).unwrap();
        assert_eq!(abi_fuzz::model_folder(&bytes), Ok(()), "{seed}");
    }
}

#[test]
fn adapter_json_corpus() {
    let (files, rejected) = replay("adapter_json", abi_fuzz::adapter_json);
    assert!(files >= 3 && rejected < files, "{files} {rejected}");
}

#[test]
fn npz_corpus() {
    let (files, rejected) = replay("npz", abi_fuzz::npz);
    assert!(files >= 3 && rejected < files, "{files} {rejected}");
}

#[test]
fn train_file_corpus() {
    let (files, rejected) = replay("train_file", abi_fuzz::train_file);
    assert!(files >= 3 && rejected < files, "{files} {rejected}");
}

fn put(target: &str, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(corpus(target)).unwrap();
    std::fs::write(corpus(target).join(name), bytes).unwrap();
}

#[test]
#[ignore = "writes the seed corpora under fuzz/corpus/"]
fn write_seed_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // model folders: the committed fixture, and it with mangled parts
    let fixture = root.join("crates/abi-approx/tests/fixtures/two_moons_coupling_flow");
    let json = std::fs::read(fixture.join("model.json")).unwrap();
    let weights = std::fs::read(fixture.join("model.safetensors")).unwrap();
    put(
        "model_folder",
        "fixture",
        &abi_fuzz::pack_model(&json, &weights),
    );
    put(
        "model_folder",
        "truncated_weights",
        &abi_fuzz::pack_model(&json, &weights[..weights.len() / 2]),
    );
    let text = String::from_utf8(json.clone()).unwrap();
    put(
        "model_folder",
        "huge_width",
        &abi_fuzz::pack_model(
            text.replacen("16,", "1000000000000,", 1).as_bytes(),
            &weights,
        ),
    );
    // a set-summary model (a small DeepSet and, apart, a small SetTransformer): sets of
    // five 2-vectors in `x`
    for (name, summary) in [
        (
            "deep_set",
            abi_nets::NetworkSpec::new("deep_set")
                .set("summary_dim=4")
                .unwrap()
                .set("mlp_widths_equivariant=[8, 8]")
                .unwrap(),
        ),
        (
            "set_transformer",
            abi_nets::NetworkSpec::new("set_transformer")
                .set("summary_dim=4")
                .unwrap()
                .set("embed_dims=[8]")
                .unwrap()
                .set("num_heads=[2]")
                .unwrap()
                .set("mlp_depths=[1]")
                .unwrap()
                .set("mlp_widths=[8]")
                .unwrap()
                .set("num_inducing_points=3")
                .unwrap(),
        ),
    ] {
        let mut sims = abi_sim::Batch::new();
        sims.insert("theta", ndarray::Array2::<f64>::zeros((16, 2)).into_dyn())
            .unwrap();
        sims.insert(
            "x",
            ndarray::Array3::<f64>::from_shape_fn((16, 5, 2), |(i, j, k)| (i + j + k) as f64 * 0.1)
                .into_dyn(),
        )
        .unwrap();
        let adapter = abi_adapter::Adapter::new()
            .rename("theta", "inference_variables")
            .rename("x", "summary_variables");
        let model = abi_approx::ContinuousApproximatorBuilder::new(adapter)
            .summary_network(summary)
            .inference_network(
                abi_nets::NetworkSpec::new("coupling_flow")
                    .set("depth=2")
                    .unwrap()
                    .set("subnet_widths=[8]")
                    .unwrap(),
            )
            .build::<abi_ndarray::NdArray>(&sims, &abi_ndarray::Cpu)
            .unwrap();
        let folder = tempfile::tempdir().unwrap();
        model.save(folder.path()).unwrap();
        put(
            "model_folder",
            name,
            &abi_fuzz::pack_model(
                &std::fs::read(folder.path().join("model.json")).unwrap(),
                &std::fs::read(folder.path().join("model.safetensors")).unwrap(),
            ),
        );
    }
    // adapters: the fixture's, and the builder's transforms written out
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    put(
        "adapter_json",
        "fixture",
        value["adapter"].to_string().as_bytes(),
    );
    let adapter = abi_adapter::Adapter::new()
        .one_hot(&["k"], 3)
        .clip(&["x"], f64::NEG_INFINITY, 2.0)
        .standardize(&["theta"])
        .concatenate(&["theta", "x"], "inference_variables");
    put(
        "adapter_json",
        "transforms",
        adapter.to_json().unwrap().as_bytes(),
    );
    put(
        "adapter_json",
        "not_json",
        b"{\"format\": \"abi-adapter\", \"version\": 1, \"transforms\": [",
    );
    // archives: NumPy's, ours, and a crafted header
    let numpy =
        std::fs::read(root.join("crates/abi-sim/tests/fixtures/numpy_written.npz")).unwrap();
    put("npz", "numpy_written", &numpy);
    let dir = tempfile::tempdir().unwrap();
    let mut batch = abi_sim::Batch::new();
    batch
        .insert("theta", ndarray::Array2::<f64>::zeros((3, 2)).into_dyn())
        .unwrap();
    batch
        .insert("x", ndarray::Array3::<f32>::zeros((3, 4, 2)).into_dyn())
        .unwrap();
    let path = abi_sim::npz::ShardWriter::new(dir.path())
        .unwrap()
        .write(&batch)
        .unwrap();
    put("npz", "shard", &std::fs::read(path).unwrap());
    put("npz", "not_a_zip", b"PK\x03\x04 not really");
    // training files: a full one, a minimal one, one with a set summary, and a broken one
    put(
        "train_file",
        "full",
        b"[simulations]\ntask = \"two_moons\"\ncount = 10000\n\n[variables]\n\
          inference_variables = [\"theta\"]\ninference_conditions = [\"x\"]\n\n[networks]\n\
          inference = { name = \"coupling_flow\", settings = { depth = 6 } }\n\n[training]\n\
          epochs = 50\nbatch_size = 128\nlearning_rate = 1e-3\nseed = 0\n\n[output]\n\
          model = \"model/\"\n",
    );
    put(
        "train_file",
        "minimal_npz",
        b"[simulations]\nnpz = \"sims/\"\n[variables]\ninference_variables = [\"theta\"]\n\
          [output]\nmodel = \"m\"\n",
    );
    put(
        "train_file",
        "set_summary",
        b"[simulations]\ntask = \"gaussian_linear\"\n[variables]\n\
          inference_variables = [\"theta\"]\nsummary_variables = [\"x\"]\n[networks]\n\
          summary = { name = \"deep_set\", settings = { summary_dim = 8 } }\n[output]\n\
          model = \"m\"\n",
    );
    put("train_file", "broken", b"[simulations\ntask = ");
}
