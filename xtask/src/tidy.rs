//! House rules that neither rustc nor clippy check, run by `cargo xtask tidy`, early in
//! `cargo xtask ci`, and as a test of the suite:
//!
//! - every library crate under `crates/` has a `README.md`, and its `lib.rs` uses it as the
//!   crate docs (`#![doc = include_str!("../README.md")]`);
//! - every workspace member's `Cargo.toml` has `[lints] workspace = true` (read as TOML);
//! - no `.unwrap()` in library code outside `#[cfg(test)]` items (binaries may).

use crate::manifest;
use std::path::{Path, PathBuf};

/// The problems found in the workspace at `root`, one line each.
pub(crate) fn problems(root: &Path) -> Result<Vec<String>, String> {
    let mut problems = Vec::new();
    let workspace = read(&root.join("Cargo.toml"))?;
    for dir in members(root, &workspace)? {
        let name = dir.strip_prefix(root).unwrap_or(&dir).display().to_string();
        let manifest = read(&dir.join("Cargo.toml"))?;
        if !manifest::has(
            &manifest::entries(&manifest),
            &["lints", "workspace"],
            "true",
        ) {
            problems.push(format!(
                "{name}: Cargo.toml lacks `[lints] workspace = true`"
            ));
        }
        let lib = dir.join("src").join("lib.rs");
        if dir.parent() == Some(&root.join("crates")) {
            if !dir.join("README.md").is_file() {
                problems.push(format!("{name}: no README.md"));
            }
            let docs = read(&lib).unwrap_or_default();
            let uses_readme = docs
                .lines()
                .any(|l| l.trim() == "#![doc = include_str!(\"../README.md\")]");
            if !uses_readme {
                problems.push(format!(
                    "{name}: src/lib.rs does not use README.md as crate docs"
                ));
            }
        }
        if lib.is_file() {
            no_unwrap(root, &dir.join("src"), &mut problems)?;
        }
    }
    Ok(problems)
}

/// The member folders named by `[workspace] members` (plain paths, as this workspace has).
fn members(root: &Path, workspace: &str) -> Result<Vec<PathBuf>, String> {
    let entries = manifest::entries(workspace);
    let list = entries
        .iter()
        .find(|e| e.path == ["workspace", "members"])
        .ok_or("Cargo.toml: no `[workspace] members`")?;
    Ok(list
        .value
        .trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|m| m.trim().trim_matches('"'))
        .filter(|m| !m.is_empty())
        .map(|m| root.join(m))
        .collect())
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `.unwrap()` calls in the library sources under `dir` (binaries, `src/main.rs` and
/// `src/bin/`, may unwrap).
fn no_unwrap(root: &Path, dir: &Path, problems: &mut Vec<String>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let is_binary = path.file_name().is_some_and(|n| n == "bin")
            || (path.file_name().is_some_and(|n| n == "main.rs")
                && path.parent().is_some_and(|p| p.ends_with("src")));
        if is_binary {
            continue;
        }
        if path.is_dir() {
            no_unwrap(root, &path, problems)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            let shown = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            for line in unwrap_lines(&read(&path)?) {
                problems.push(format!("{shown}:{line}: `.unwrap()` in library code"));
            }
        }
    }
    Ok(())
}

/// Line numbers (from 1) of `.unwrap()` outside comments and `#[cfg(test)]` items.
fn unwrap_lines(source: &str) -> Vec<usize> {
    let mut found = Vec::new();
    // inside a test item: the brace depth at which it closes, once its body has opened
    let mut skipping = false;
    let mut depth = 0i64;
    let mut test_depth: Option<i64> = None;
    for (i, line) in source.lines().enumerate() {
        let code = code_of(line);
        if code.trim_start().starts_with("#[cfg(test)]") {
            skipping = true;
            test_depth = None;
        }
        for c in code.chars() {
            match c {
                '{' => {
                    if skipping && test_depth.is_none() {
                        test_depth = Some(depth);
                    }
                    depth += 1;
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        if skipping {
            let item_ended = match test_depth {
                Some(d) => depth <= d,
                // an item without a body (`#[cfg(test)] mod tests;`)
                None => code.trim_end().ends_with(';'),
            };
            if item_ended {
                skipping = false;
            }
            continue;
        }
        if code.contains(".unwrap()") {
            found.push(i + 1);
        }
    }
    found
}

/// A line without its `//` comment and with string and char literals blanked.
fn code_of(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    in_string = false;
                    out.push('"');
                }
                _ => out.push(' '),
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push('"');
            }
            '/' if chars.peek() == Some(&'/') => break,
            // a char literal such as '{' (lifetimes have no closing quote two chars on)
            '\'' => {
                let rest: String = chars.clone().take(3).collect();
                let len = if rest.starts_with('\\') { 3 } else { 2 };
                if rest.chars().nth(len - 1) == Some('\'') {
                    for _ in 0..len {
                        chars.next();
                    }
                    out.push_str("' '");
                } else {
                    out.push('\'');
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_is_tidy() {
        let problems = problems(&crate::root()).unwrap();
        assert!(
            problems.is_empty(),
            "tidy found {} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        );
    }

    #[test]
    fn unwraps_in_tests_and_comments_do_not_count() {
        let source = r#"
fn a() -> u8 { Some(1).unwrap() }
// x.unwrap() in a comment
/// doc: y.unwrap()
fn b() { let s = "z.unwrap()"; let c = '{'; }
#[cfg(test)]
mod tests {
    fn t() { Some(1).unwrap(); }
}
fn c() { None::<u8>.unwrap(); }
#[cfg(test)]
fn helper() { Some(2).unwrap(); }
#[cfg(test)]
mod more;
fn d() { Some(3).unwrap(); }
"#;
        assert_eq!(unwrap_lines(source), vec![2, 10, 15]);
    }
}
