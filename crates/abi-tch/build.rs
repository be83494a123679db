//! Gives abi-tch's own binaries (its tests and its doc tests, which rustdoc links in a
//! temporary folder) a run-time search path (RUNPATH) to libtorch's `lib` folder, so that
//! `cargo test -p abi-tch` runs without `LD_LIBRARY_PATH`.
//!
//! The folder is `$LIBTORCH/lib`, with `LIBTORCH` as torch-sys reads it: the workspace's
//! `.cargo/config.toml` points it at `.libtorch/torch` (`cargo xtask libtorch`), and a value
//! set in the environment wins. Link arguments of a build script reach only the binaries of
//! its own package, so binaries of other packages get the relative RUNPATH that
//! `.cargo/config.toml` sets for every binary instead.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let Some(root) = std::env::var_os("LIBTORCH") else {
        return;
    };
    let lib = PathBuf::from(root).join("lib");
    // torch-sys resolves a relative LIBTORCH against its own folder; only an absolute one
    // names the same libtorch here
    if lib.is_absolute() && lib.is_dir() {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    }
}
