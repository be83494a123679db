//! abi's project automation (matklad's xtask convention): `cargo xtask <command>`.
//!
//! - `ci [--no-tch]`: the checks of CI, cheapest first, stopping at the first failure and
//!   printing each command before it runs (module `ci`).
//! - `tidy`: the house rules that rustc and clippy do not check (module `tidy`).
//! - `bench [filter]`: the criterion benchmarks, then a table of their mean times.
//! - `libtorch`: installs the pinned libtorch for `abi-tch` into `.libtorch/` (idempotent).

mod bench;
mod ci;
mod libtorch;
mod manifest;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => match &args[1..] {
            [] => ci::ci(true),
            [flag] if flag == "--no-tch" => ci::ci(false),
            _ => Err(usage()),
        },
        Some("bench") => bench::bench(&args[1..]),
        Some("tidy") => tidy(),
        Some("libtorch") => libtorch::install().map(|lib| {
            println!(
                "libtorch ready in {}; binaries built here find it through their RUNPATH",
                lib.display()
            );
        }),
        _ => Err(usage()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> String {
    "usage: cargo xtask <ci [--no-tch] | bench [criterion filter] | tidy | libtorch>".into()
}

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The cargo that runs this xtask.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Runs `program` in the workspace root with `env` added, printing the command first.
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

/// `LD_LIBRARY_PATH` with `lib` in front of what the environment already has.
fn library_path_with(lib: &Path) -> String {
    match std::env::var("LD_LIBRARY_PATH") {
        Ok(old) if !old.is_empty() => format!("{}:{old}", lib.display()),
        _ => lib.display().to_string(),
    }
}

/// The tidy checks, as a step of `ci` or on their own.
fn tidy() -> Result<(), String> {
    println!("$ tidy");
    let problems = tidy::problems(&root())?;
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
