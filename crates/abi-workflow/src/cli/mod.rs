//! The `abi` subcommands, one file each.

pub mod bench;
pub mod diagnose;
pub mod sample;
pub mod simulate;
pub mod train;

use abi_ndarray::{Cpu, NdArray};
use abi_workflow::train_file::{TRAIN_FILE_COPY, TrainFile};
use abi_workflow::{BasicWorkflow, Result, WorkflowError};
use std::path::Path;

/// The workflow in the model folder `dir` and the training file it was made from (when
/// `abi train` made it), with the task's simulator when it names one.
pub fn load_model(dir: &Path, seed: u64) -> Result<(BasicWorkflow<NdArray>, Option<TrainFile>)> {
    let copy = dir.join(TRAIN_FILE_COPY);
    let train = if copy.exists() {
        let text = std::fs::read_to_string(&copy).map_err(|e| WorkflowError::file(&copy, e))?;
        Some(TrainFile::parse(&text, &copy)?)
    } else {
        None
    };
    let simulator = match train.as_ref().and_then(|t| t.simulations.task.as_deref()) {
        Some(task) => Some(abi_sim::benchmarks::simulator_by_name(task)?),
        None => None,
    };
    let mut workflow = BasicWorkflow::<NdArray>::load(dir, &Cpu, simulator)?;
    workflow.reseed(seed);
    Ok((workflow, train))
}
