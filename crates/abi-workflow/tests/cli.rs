//! The `abi` binary end to end: simulate shards → train from disk → sample → diagnose on a
//! built-in task, training on `.npz` files written by NumPy, and errors that name the file,
//! key and line.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

fn abi(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_abi"))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn ok(args: &[&str]) -> String {
    let (success, text) = abi(args);
    assert!(success, "abi {args:?} failed:\n{text}");
    text
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const SMALL_FLOW: &str =
    r#"inference = { name = "coupling_flow", settings = { depth = 2, subnet_widths = [32, 32] } }"#;

#[test]
fn simulate_train_sample_and_diagnose_a_built_in_task() {
    let dir = tempfile::tempdir().unwrap();
    let sims = dir.path().join("sims");
    for shard in ["0/2", "1/2"] {
        let text = ok(&[
            "simulate",
            "two_moons",
            "--n",
            "3000",
            "--out",
            s(&sims),
            "--shard",
            shard,
            "--quiet",
        ]);
        assert!(text.contains("1500 draws"), "{text}");
    }
    assert_eq!(abi_sim::npz::shard_paths(&sims).unwrap().len(), 2);
    let config = dir.path().join("train.toml");
    std::fs::write(
        &config,
        format!(
            "[simulations]\nnpz = \"sims\"\n\n[variables]\ninference_variables = [\"theta\"]\n\
             inference_conditions = [\"x\"]\n\n[networks]\n{SMALL_FLOW}\n\n[training]\nepochs = 3\n\
             batch_size = 64\n\n[output]\nmodel = \"model\"\n"
        ),
    )
    .unwrap();
    let text = ok(&["train", s(&config), "--quiet"]);
    assert!(text.contains("trained 3 epochs"), "{text}");
    let model = dir.path().join("model");
    assert!(model.join("workflow.json").exists() && model.join("train.toml").exists());

    // observations: the first rows of a shard
    let shard = abi_sim::npz::read_npz(&abi_sim::npz::shard_paths(&sims).unwrap()[0]).unwrap();
    let observed = dir.path().join("observed.npz");
    abi_sim::npz::write_npz(&shard.slice(0, 3).unwrap(), &observed).unwrap();
    let draws = dir.path().join("draws.npz");
    ok(&[
        "sample",
        s(&model),
        "--data",
        s(&observed),
        "--n",
        "200",
        "--out",
        s(&draws),
        "--quiet",
    ]);
    let back = abi_sim::npz::read_npz(&draws).unwrap();
    assert_eq!(back.f64("theta").unwrap().shape(), &[3, 200, 2]);
    // the same seed gives the same draws
    let again = dir.path().join("again.npz");
    ok(&[
        "sample",
        s(&model),
        "--data",
        s(&observed),
        "--n",
        "200",
        "--out",
        s(&again),
        "--quiet",
    ]);
    assert_eq!(abi_sim::npz::read_npz(&again).unwrap(), back);

    // the training file names no task, so diagnostics need held-out simulations
    let report = dir.path().join("report");
    let (success, text) = abi(&["diagnose", s(&model), "--out", s(&report)]);
    assert!(!success && text.contains("--data"), "{text}");
    let held_out = dir.path().join("held_out.npz");
    abi_sim::npz::write_npz(&shard.slice(0, 40).unwrap(), &held_out).unwrap();
    let text = ok(&[
        "diagnose",
        s(&model),
        "--out",
        s(&report),
        "--data",
        s(&held_out),
        "--draws",
        "50",
    ]);
    assert!(
        text.contains("theta[0]") && text.contains("theta[1]"),
        "{text}"
    );
    assert!(report.join("index.html").exists());
}

#[test]
fn a_model_trained_on_numpy_simulations_recovers_the_linear_gaussian_posterior() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("train.toml");
    std::fs::write(
        &config,
        format!(
            "[simulations]\nnpz = \"{fixtures}/linear_sims.npz\"\n\n[variables]\n\
             inference_variables = [\"theta\"]\ninference_conditions = [\"x\"]\n\n[training]\n\
             epochs = 40\nbatch_size = 64\n\n[output]\nmodel = \"model\"\n"
        ),
    )
    .unwrap();
    ok(&["train", s(&config), "--quiet"]);
    let draws = dir.path().join("draws.npz");
    ok(&[
        "sample",
        s(&dir.path().join("model")),
        "--data",
        &format!("{fixtures}/linear_observed.npz"),
        "--n",
        "2000",
        "--out",
        s(&draws),
        "--quiet",
    ]);
    let theta = abi_sim::npz::read_npz(&draws).unwrap();
    let theta = theta.f64("theta").unwrap();
    // x = θ + 1 + 0.1 ε inside the prior's box: the posterior is N(x − 1, 0.1²)
    let expected = [[-0.5, 0.5], [1.0, -1.5]];
    for (set, means) in expected.iter().enumerate() {
        for (j, &m) in means.iter().enumerate() {
            let col = theta.slice(ndarray::s![set, .., j]);
            let mean = col.mean().unwrap();
            let sd = col.std(1.0);
            assert!(
                (mean - m).abs() < 0.05,
                "set {set}, θ{j}: mean {mean} vs {m}"
            );
            assert!(
                (sd / 0.1 - 1.0).abs() < 0.35,
                "set {set}, θ{j}: sd {sd} vs 0.1"
            );
        }
    }
}

#[test]
fn errors_name_the_file_the_key_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("train.toml");
    std::fs::write(
        &config,
        "[simulations]\ntask = \"two_moons\"\n\n[variables]\ninference_variables = [\"theta\"]\n\
         inference_conditons = [\"x\"]\n\n[output]\nmodel = \"model\"\n",
    )
    .unwrap();
    let (success, text) = abi(&["train", s(&config)]);
    assert!(!success);
    assert!(
        text.contains("train.toml")
            && text.contains("inference_conditons")
            && text.contains("line 6"),
        "{text}"
    );
    std::fs::write(
        &config,
        "[simulations]\ntask = \"three_moons\"\n\n[variables]\ninference_variables = [\"theta\"]\n\n[output]\nmodel = \"model\"\n",
    )
    .unwrap();
    let (success, text) = abi(&["train", s(&config)]);
    assert!(
        !success && text.contains("three_moons") && text.contains("two_moons"),
        "{text}"
    );
    let (success, text) = abi(&[
        "simulate",
        "two_moons",
        "--n",
        "10",
        "--out",
        s(dir.path()),
        "--shard",
        "2/2",
    ]);
    assert!(!success && text.contains("k/K"), "{text}");
    let (success, text) = abi(&[
        "sample",
        s(&dir.path().join("nowhere")),
        "--data",
        "x.npz",
        "--out",
        "y.npz",
    ]);
    assert!(!success && text.contains("workflow.json"), "{text}");
    let (success, text) = abi(&["--help"]);
    assert!(success && text.contains("abi simulate two_moons"), "{text}");
}

#[test]
fn bench_scores_a_task_against_its_reference_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench");
    let args = [
        "bench",
        "gaussian_linear",
        "--simulations",
        "2000",
        "--observations",
        "2",
        "--draws",
        "1000",
        "--epochs",
        "30",
        "--out",
        s(&out),
        "--quiet",
    ];
    let text = ok(&args);
    assert!(text.contains("mean C2ST"), "{text}");
    let cell: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("gaussian_linear-2000.json")).unwrap(),
    )
    .unwrap();
    let c2st: Vec<f64> = cell["c2st"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(c2st.len(), 2);
    // a trained NPE on the Gaussian task is close to its posterior; a network that ignored
    // the data would score near 1
    for c in &c2st {
        assert!((0.45..0.75).contains(c), "C2ST {c}");
    }
    assert!(cell["draws_per_second"].as_f64().unwrap() > 0.0);
    let table = std::fs::read_to_string(out.join("results.md")).unwrap();
    assert!(table.contains("| gaussian_linear | 2000 |"), "{table}");
    // a second run keeps the finished cell
    assert!(ok(&args).contains("kept"));
    let (success, text) = abi(&["bench", "three_moons", "--out", s(&out)]);
    assert!(!success && text.contains("three_moons"), "{text}");
}
