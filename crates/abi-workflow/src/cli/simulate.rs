//! `abi simulate`: a built-in task's simulations as an `.npz` shard of a folder.

use abi_workflow::{Result, WorkflowError};
use std::path::Path;
use std::time::Instant;

/// Parses `k/K` (0 ≤ k < K).
pub fn parse_shard(text: &str) -> Result<(usize, usize)> {
    let bad = || {
        WorkflowError::Config(format!(
            "--shard `{text}`: expected k/K with 0 ≤ k < K, e.g. 0/4"
        ))
    };
    let (k, of) = text.split_once('/').ok_or_else(bad)?;
    let (k, of): (usize, usize) = (
        k.trim().parse().map_err(|_| bad())?,
        of.trim().parse().map_err(|_| bad())?,
    );
    if of == 0 || k >= of {
        return Err(bad());
    }
    Ok((k, of))
}

/// Simulates shard `k` of `K` (all of `n` without `--shard`) of `task` into `out`.
pub fn run(
    task: &str,
    n: usize,
    out: &Path,
    shard: Option<&str>,
    seed: u64,
    progress: bool,
) -> Result<()> {
    let (k, of) = shard.map(parse_shard).transpose()?.unwrap_or((0, 1));
    // in 128 bits: k · n cannot overflow, and the bounds are at most n
    let bound = |i: usize| (i as u128 * n as u128 / of as u128) as usize;
    let (start, end) = (bound(k), bound(k + 1));
    if end == start {
        return Err(WorkflowError::Config(format!(
            "shard {k}/{of} of {n} simulations holds none"
        )));
    }
    let simulator = abi_sim::benchmarks::simulator_by_name(task)?;
    std::fs::create_dir_all(out).map_err(|e| WorkflowError::file(out, e))?;
    let mut rng = abi_sim::draw_rng(seed, k as u64);
    let t = Instant::now();
    let sims = abi_sim::simulate(&*simulator, end - start, 1_000, &mut rng, progress)?;
    let path = out.join(format!("shard-{k:06}-of-{of:06}.npz"));
    abi_sim::npz::write_npz(&sims, &path)?;
    println!(
        "simulated {} draws of {task} (shard {k}/{of}) in {:.2} s: {}",
        end - start,
        t.elapsed().as_secs_f64(),
        path.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_shard;

    #[test]
    fn shards_parse_and_bad_ones_say_what_is_expected() {
        assert_eq!(parse_shard("0/4").ok(), Some((0, 4)));
        assert_eq!(parse_shard("3/4").ok(), Some((3, 4)));
        for bad in ["4/4", "1/0", "a/2", "3", "-1/2"] {
            let e = parse_shard(bad)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(e.contains("k/K"), "{bad}: {e}");
        }
    }
}
