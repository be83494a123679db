//! The bodies of abi's fuzz targets, one per reader of outside bytes. Each takes arbitrary
//! bytes and returns the reader's typed error or nothing: a panic, an abort or an unbounded
//! allocation is a finding. `fuzz_targets/` wraps them for libFuzzer (`cargo fuzz`, nightly);
//! `tests/corpus.rs` replays every file of `corpus/<target>/` on stable, in CI.
//!
//! Inputs of [`model_folder`] pack a folder's two files into one: [`pack_model`].

use std::io::Write;
use std::path::Path;

/// The outcome of a target: `Err` with the reader's message when it rejected the input.
pub type Outcome = Result<(), String>;

/// Packs `model.json` and `model.safetensors` into one input of [`model_folder`]: the JSON's
/// length as a little-endian `u32`, the JSON, then the weights.
pub fn pack_model(json: &[u8], weights: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + json.len() + weights.len());
    out.extend_from_slice(&u32::try_from(json.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(json);
    out.extend_from_slice(weights);
    out
}

/// Splits an input of [`model_folder`] into its two files (short inputs give empty files).
fn unpack_model(data: &[u8]) -> (&[u8], &[u8]) {
    let Some((len, rest)) = data.split_first_chunk::<4>() else {
        return (data, &[]);
    };
    let len = (u32::from_le_bytes(*len) as usize).min(rest.len());
    rest.split_at(len)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Outcome {
    std::fs::File::create(dir.join(name))
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| e.to_string())
}

/// Loads a model folder of the two files packed in `data`, then samples from it.
pub fn model_folder(data: &[u8]) -> Outcome {
    let (json, weights) = unpack_model(data);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    write(dir.path(), "model.json", json)?;
    write(dir.path(), "model.safetensors", weights)?;
    let model = abi_approx::ContinuousApproximator::<abi_ndarray::NdArray>::load(
        dir.path(),
        &abi_ndarray::Cpu,
    )
    .map_err(|e| e.to_string())?;
    // a model that loads must also run: draws for two data sets of the corpus models'
    // condition `x`, a vector or (for the summary models) a set (other models reject it
    // with an error); each axis at most 64 long
    let layout = &model.spec().layout;
    let mut shape = vec![2];
    match &layout.summary_shape {
        Some(set) => shape.extend(set.iter().map(|&d| d.clamp(1, 64))),
        None => shape.push(layout.condition_dim.clamp(1, 64)),
    }
    let mut conditions = abi_sim::Batch::new();
    conditions
        .insert("x", ndarray::ArrayD::<f64>::zeros(ndarray::IxDyn(&shape)))
        .map_err(|e| e.to_string())?;
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
    model
        .sample(3, &conditions, &mut rng)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Parses `data` as an adapter's JSON.
pub fn adapter_json(data: &[u8]) -> Outcome {
    let text = std::str::from_utf8(data).map_err(|e| e.to_string())?;
    abi_adapter::Adapter::from_json(text)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Reads `data` as an `.npz` archive.
pub fn npz(data: &[u8]) -> Outcome {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    write(dir.path(), "input.npz", data)?;
    abi_sim::npz::read_npz(dir.path().join("input.npz"))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Parses `data` as a training file of `abi train`, then makes the workflow it describes
/// (the networks are built later, on the first simulations).
pub fn train_file(data: &[u8]) -> Outcome {
    let text = std::str::from_utf8(data).map_err(|e| e.to_string())?;
    let file = abi_workflow::train_file::TrainFile::parse(text, Path::new("train.toml"))
        .map_err(|e| e.to_string())?;
    let mut builder = abi_workflow::BasicWorkflow::builder()
        .variables(file.variables.clone())
        .learning_rate(file.training.learning_rate)
        .seed(file.training.seed)
        .quiet();
    if let Some(spec) = &file.networks.inference {
        builder = builder.inference_network(spec.clone());
    }
    if let Some(spec) = &file.networks.summary {
        builder = builder.summary_network(spec.clone());
    }
    if let Some(task) = &file.simulations.task {
        builder = builder
            .simulator(abi_sim::benchmarks::simulator_by_name(task).map_err(|e| e.to_string())?);
    }
    builder
        .build::<abi_ndarray::NdArray>(&abi_ndarray::Cpu)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
