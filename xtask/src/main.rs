//! abi's project automation (matklad's xtask convention): `cargo xtask <command>`.
//!
//! - `ci`: formatting, clippy with warnings denied, the test suite in the optimised `ci`
//!   profile, docs with warnings denied, and the tidy checks. Cheapest first; stops at the
//!   first failure and prints each command before it runs.
//! - `bench`: the criterion benchmarks, then a table of their mean times.
//! - `libtorch`: installs the pinned libtorch for `abi-tch` into `.libtorch/` (idempotent).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("bench") => bench(&args[1..]),
        Some("tidy") => tidy(),
        Some("libtorch") => libtorch().map(|lib| {
            println!(
                "libtorch ready; at run time: export LD_LIBRARY_PATH={}",
                lib.display()
            );
        }),
        _ => {
            eprintln!("usage: cargo xtask <ci | bench [criterion filter] | tidy | libtorch>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let shown: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v} ")).collect();
    println!("$ {}{program} {}", shown.concat(), args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{program} {}` failed with {status}",
            args.join(" ")
        ))
    }
}

fn ci() -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(&cargo, &["fmt", "--all", "--", "--check"], &[])?;
    tidy()?;
    let lib = libtorch()?;
    let library_path = library_path_with(&lib);
    // libtorch's OpenMP threads spin while idle, which starves the other test threads
    let env = [
        ("LD_LIBRARY_PATH", library_path.as_str()),
        ("OMP_WAIT_POLICY", "PASSIVE"),
    ];
    // every step in the `ci` profile, so that libtorch's C++ wrapper (built by torch-sys's
    // build script) is compiled once, not once per profile
    run(
        &cargo,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--profile",
            "ci",
            "--",
            "-D",
            "warnings",
        ],
        &env,
    )?;
    // Examples and benches are type-checked by clippy above; building them again in the
    // optimised profile would only cost time, so the tests name their targets.
    run(
        &cargo,
        &[
            "test",
            "--workspace",
            "--all-features",
            "--profile",
            "ci",
            "--lib",
            "--bins",
            "--tests",
        ],
        &env,
    )?;
    run(
        &cargo,
        &[
            "test",
            "--workspace",
            "--all-features",
            "--profile",
            "ci",
            "--doc",
        ],
        &env,
    )?;
    run(
        &cargo,
        &[
            "doc",
            "--workspace",
            "--no-deps",
            "--all-features",
            "--profile",
            "ci",
        ],
        &[env[0], env[1], ("RUSTDOCFLAGS", "-D warnings")],
    )?;
    println!("xtask ci: all checks passed");
    Ok(())
}

fn bench(filter: &[String]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // the backend comparison runs when libtorch is installed (`cargo xtask libtorch`)
    let lib = root().join(".libtorch").join("torch").join("lib");
    let with_tch = lib.join("libtorch_cpu.so").is_file();
    let library_path = library_path_with(&lib);
    let mut args = vec!["bench", "-p", "abi-benches"];
    if with_tch {
        args.extend(["--features", "tch"]);
    } else {
        println!("(no libtorch in .libtorch/: the `backends` bench is skipped)");
    }
    args.push("--");
    args.extend(filter.iter().map(String::as_str));
    run(
        &cargo,
        &args,
        &[
            ("LD_LIBRARY_PATH", library_path.as_str()),
            ("OMP_WAIT_POLICY", "PASSIVE"),
        ],
    )?;
    let dir = root().join("target").join("criterion");
    let mut rows = Vec::new();
    collect_estimates(&dir, &dir, &mut rows);
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    println!("\n{:<48} {:>14}", "benchmark", "mean");
    for (name, ns) in rows {
        println!("{name:<48} {:>11.1} µs", ns / 1e3);
    }
    if filter.is_empty() || filter.iter().any(|f| f == "npe") {
        // end-to-end NPE on two moons: the quickstart prints each stage's wall time
        println!("\nNPE on two_moons, 10 000 simulations (quickstart without C2ST):");
        run(
            &cargo,
            &[
                "run",
                "--release",
                "--quiet",
                "-p",
                "abi-examples",
                "--example",
                "quickstart",
                "--",
                "--no-c2st",
            ],
            &[],
        )?;
    }
    Ok(())
}

/// Finds `<bench>/new/estimates.json` files and reads their mean point estimate (ns).
fn collect_estimates(base: &Path, dir: &Path, rows: &mut Vec<(String, f64)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let estimates = path.join("new").join("estimates.json");
        if let Ok(text) = std::fs::read_to_string(&estimates) {
            let mean = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["mean"]["point_estimate"].as_f64());
            if let (Some(mean), Ok(rel)) = (mean, path.strip_prefix(base)) {
                rows.push((rel.display().to_string(), mean));
            }
        } else if path
            .file_name()
            .is_some_and(|n| n != "report" && n != "new" && n != "base")
        {
            collect_estimates(base, &path, rows);
        }
    }
}

/// The libtorch `tch 0.24` links against, and the wheels that carry it.
const TORCH_VERSION: &str = "2.11.0";
const TORCH_WHEELS: [&str; 3] = [
    "torch==2.11.0",
    "nvidia-cuda-runtime==13.0.96",
    "nvidia-cuda-cupti==13.0.85",
];

/// Installs libtorch into `.libtorch/` unless the pinned version is there, and returns its
/// `lib` folder. PyPI's torch wheel holds the whole libtorch (CPU and CUDA 13); the two
/// NVIDIA wheels hold the CUDA runtime libraries it names, so the CPU part loads without a
/// CUDA installation. `--no-deps` keeps the rest of PyTorch's Python stack away.
fn libtorch() -> Result<PathBuf, String> {
    let target = root().join(".libtorch");
    let torch = target.join("torch");
    let lib = torch.join("lib");
    let installed = std::fs::read_to_string(torch.join("version.py"))
        .map(|v| v.contains(&format!("__version__ = '{TORCH_VERSION}")))
        .unwrap_or(false);
    if installed && lib.join("libtorch_cpu.so").is_file() {
        println!(
            "$ libtorch {TORCH_VERSION}: already in {}",
            target.display()
        );
        return Ok(lib);
    }
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let target_arg = target.display().to_string();
    let mut args = vec![
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
        "--upgrade",
        "--target",
        target_arg.as_str(),
    ];
    args.extend(TORCH_WHEELS);
    run(&python, &args, &[("PIP_DISABLE_PIP_VERSION_CHECK", "1")])
        .map_err(|e| format!("installing libtorch {TORCH_VERSION} with pip: {e}"))?;
    if lib.join("libtorch_cpu.so").is_file() {
        Ok(lib)
    } else {
        Err(format!(
            "pip finished but {} has no libtorch_cpu.so",
            lib.display()
        ))
    }
}

/// `LD_LIBRARY_PATH` with `lib` in front of what the environment already has.
fn library_path_with(lib: &Path) -> String {
    match std::env::var("LD_LIBRARY_PATH") {
        Ok(old) if !old.is_empty() => format!("{}:{old}", lib.display()),
        _ => lib.display().to_string(),
    }
}

/// House rules that neither rustc nor clippy check.
fn tidy() -> Result<(), String> {
    println!("$ tidy");
    let root = root();
    let mut problems = Vec::new();
    let crates = std::fs::read_dir(root.join("crates")).map_err(|e| format!("crates/: {e}"))?;
    for entry in crates.flatten() {
        let dir = entry.path();
        let name = dir.display().to_string();
        if !dir.join("README.md").is_file() {
            problems.push(format!("{name}: no README.md"));
        }
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
        if !manifest.contains("[lints]") || !manifest.contains("workspace = true") {
            problems.push(format!(
                "{name}: Cargo.toml lacks `[lints] workspace = true`"
            ));
        }
        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap_or_default();
        if !lib.contains("include_str!(\"../README.md\")") {
            problems.push(format!(
                "{name}: lib.rs does not use README.md as crate docs"
            ));
        }
        check_no_unwrap(&dir.join("src"), &mut problems);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "tidy found {} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

/// No `.unwrap()` in library code outside `#[cfg(test)]` modules.
fn check_no_unwrap(dir: &Path, problems: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            check_no_unwrap(&path, problems);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (i, line) in code.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("//") {
                continue;
            }
            if line.contains(".unwrap()") {
                problems.push(format!(
                    "{}:{}: `.unwrap()` in library code",
                    path.display(),
                    i + 1
                ));
            }
        }
    }
}
