//! abi's project automation (matklad's xtask convention): `cargo xtask <command>`.
//!
//! - `ci`: formatting, clippy with warnings denied, the test suite in the optimised `ci`
//!   profile, docs with warnings denied, and the tidy checks. Cheapest first; stops at the
//!   first failure and prints each command before it runs.
//! - `bench`: the criterion benchmarks, then a table of their mean times.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("bench") => bench(&args[1..]),
        Some("tidy") => tidy(),
        _ => {
            eprintln!("usage: cargo xtask <ci | bench [criterion filter] | tidy>");
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
    run(
        &cargo,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
        &[],
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
        &[],
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
        &[],
    )?;
    run(
        &cargo,
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    println!("xtask ci: all checks passed");
    Ok(())
}

fn bench(filter: &[String]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut args = vec!["bench", "-p", "abi-benches", "--"];
    args.extend(filter.iter().map(String::as_str));
    run(&cargo, &args, &[])?;
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
