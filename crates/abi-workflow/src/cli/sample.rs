//! `abi sample`: posterior draws for the data sets of an `.npz` file.

use abi_workflow::Result;
use std::path::Path;
use std::time::Instant;

/// Draws `n` samples for every row of `data` with the model in `model` into `out`.
pub fn run(
    model: &Path,
    data: &Path,
    n: usize,
    out: &Path,
    seed: u64,
    progress: bool,
) -> Result<()> {
    let (mut workflow, _) = super::load_model(model, seed)?;
    workflow.set_progress(progress);
    let conditions = abi_sim::npz::read_npz(data)?;
    let t = Instant::now();
    let draws = workflow.sample(n, &conditions)?;
    abi_sim::npz::write_npz(&draws, out)?;
    let shapes: Vec<String> = draws
        .iter()
        .map(|(name, a)| format!("{name} {:?}", a.shape()))
        .collect();
    println!(
        "sampled in {:.3} s: {} → {}",
        t.elapsed().as_secs_f64(),
        shapes.join(", "),
        out.display()
    );
    Ok(())
}
