//! `cargo xtask bench`: the criterion benchmarks, then a table of their mean times.

use crate::{cargo, library_path_with, root, run};
use std::path::Path;

/// Runs the benchmarks matching `filter` (all when empty) and prints their mean times.
pub(crate) fn bench(filter: &[String]) -> Result<(), String> {
    let cargo = cargo();
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
        // end-to-end NPE on two moons: the two_moons example prints each stage's wall time
        println!("\nNPE on two_moons, 10 000 simulations (the two_moons example without C2ST):");
        run(
            &cargo,
            &[
                "run",
                "--release",
                "--quiet",
                "-p",
                "abi-examples",
                "--example",
                "two_moons",
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
