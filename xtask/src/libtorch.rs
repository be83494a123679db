//! `cargo xtask libtorch`: the pinned libtorch for `abi-tch`, installed into `.libtorch/`.

use crate::{root, run};
use std::path::PathBuf;

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
pub(crate) fn install() -> Result<PathBuf, String> {
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

/// The `lib` folder of the libtorch the build links: that of a `LIBTORCH` of the user's own
/// when it points elsewhere than `.libtorch/` (checked, not installed), else the pinned one
/// in `.libtorch/`, installed when missing.
pub(crate) fn lib() -> Result<PathBuf, String> {
    let default = root().join(".libtorch").join("torch");
    match std::env::var_os("LIBTORCH").map(PathBuf::from) {
        Some(own) if own != default => {
            let lib = own.join("lib");
            if lib.join("libtorch_cpu.so").is_file() {
                println!("$ libtorch: LIBTORCH={} (set by you)", own.display());
                Ok(lib)
            } else {
                Err(format!(
                    "LIBTORCH={} has no lib/libtorch_cpu.so; unset it to use `cargo xtask libtorch`",
                    own.display()
                ))
            }
        }
        _ => install(),
    }
}
