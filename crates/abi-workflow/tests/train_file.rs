//! The training file of `abi train`: what it accepts and the errors for what it does not.

use abi_workflow::train_file::{MAX_BATCH_SIZE, MAX_SIMULATION_COUNT, TrainFile};
use std::path::Path;

const BASE: &str = r#"
[simulations]
task = "two_moons"
[variables]
inference_variables = ["theta"]
inference_conditions = ["x"]
[output]
model = "model/"
"#;

fn parse(text: &str) -> Result<TrainFile, String> {
    TrainFile::parse(text, Path::new("runs/train.toml")).map_err(|e| e.to_string())
}

fn with(extra: &str) -> Result<TrainFile, String> {
    parse(&format!("{BASE}{extra}"))
}

#[test]
fn the_minimal_file_takes_the_defaults() {
    let file = parse(BASE).unwrap();
    assert_eq!(file.training.epochs, 50);
    assert_eq!(file.training.batch_size, 128);
    assert!(file.networks.inference.is_none());
}

#[test]
fn read_anchors_paths_at_the_files_folder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("train.toml");
    std::fs::write(&path, BASE).unwrap();
    let file = TrainFile::read(&path).unwrap();
    assert_eq!(file.output.model, dir.path().join("model/"));
}

#[test]
fn errors_name_the_file_and_the_setting() {
    let cases = [
        (
            "[training]\nbatch_size = 0\n".to_string(),
            "`batch_size` must be in",
        ),
        (
            format!("[training]\nbatch_size = {}\n", MAX_BATCH_SIZE + 1),
            "`batch_size` must be in",
        ),
        (
            "[training]\nepochs = 0\n".into(),
            "`epochs` must be at least 1",
        ),
        (
            "[training]\nepochs = 1000000000000\n".into(),
            "at most 1000000",
        ),
        (
            "[training]\nlearning_rate = -1.0\n".into(),
            "`learning_rate` must be positive",
        ),
        (
            "[training]\nlearning_rate = nan\n".into(),
            "`learning_rate` must be positive",
        ),
        ("[training]\nbatch = 3\n".into(), "unknown field `batch`"),
        ("[training]\nepochs = -3\n".into(), "epochs"),
    ];
    for (extra, want) in cases {
        let err = with(&extra).unwrap_err();
        assert!(err.contains("runs/train.toml"), "{err}");
        assert!(err.contains(want), "{extra}: {err}");
    }
}

#[test]
fn simulations_need_exactly_one_source_and_a_bounded_count() {
    let both = BASE.replace(
        "task = \"two_moons\"",
        "task = \"two_moons\"\nnpz = \"sims/\"",
    );
    assert!(parse(&both).unwrap_err().contains("exactly one of"));
    let none = BASE.replace("task = \"two_moons\"", "");
    assert!(parse(&none).unwrap_err().contains("exactly one of"));
    let huge = BASE.replace(
        "task = \"two_moons\"",
        &format!("task = \"two_moons\"\ncount = {}", MAX_SIMULATION_COUNT + 1),
    );
    let err = parse(&huge).unwrap_err();
    assert!(
        err.contains("`count` must be in") && err.contains("abi simulate"),
        "{err}"
    );
    let npz_count = BASE.replace("task = \"two_moons\"", "npz = \"sims/\"\ncount = 10");
    assert!(
        parse(&npz_count)
            .unwrap_err()
            .contains("`count` goes with `task`")
    );
}

#[test]
fn a_file_without_inference_variables_is_refused() {
    let text = BASE.replace(
        "inference_variables = [\"theta\"]",
        "inference_variables = []",
    );
    assert!(parse(&text).unwrap_err().contains("inference_variables"));
}
