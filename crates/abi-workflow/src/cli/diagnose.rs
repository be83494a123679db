//! `abi diagnose`: the diagnostics report of a model on held-out or fresh simulations.

use abi_workflow::{Result, WorkflowError};
use std::path::Path;

/// Writes the report of the model in `model` into `out`.
pub fn run(
    model: &Path,
    out: &Path,
    data: Option<&Path>,
    data_sets: usize,
    draws: usize,
    seed: u64,
) -> Result<()> {
    let (mut workflow, _) = super::load_model(model, seed)?;
    workflow.set_progress(false);
    let test = match data {
        Some(path) => abi_sim::npz::read_npz(path)?,
        None => workflow.simulate(data_sets).map_err(|e| {
            WorkflowError::Config(format!(
                "{e}: the model names no built-in task, so give held-out simulations with --data"
            ))
        })?,
    };
    let report = workflow.report_on(out, &test, draws)?;
    println!(
        "{} data sets × {draws} draws; parameter: calibration error, contraction, SBC ECDF",
        report.table.data_sets
    );
    for row in &report.table.rows {
        println!(
            "  {:<12} {:.3}  {:.3}  {}",
            row.name,
            row.calibration_error,
            row.contraction,
            if row.ecdf_pass {
                "inside its band"
            } else {
                "OUTSIDE its band"
            }
        );
    }
    println!("report: {}", report.index.display());
    Ok(())
}
