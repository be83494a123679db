//! `abi train`: a model from a TOML training file.

use abi_ndarray::{Cpu, NdArray};
use abi_workflow::train_file::{TRAIN_FILE_COPY, TrainFile};
use abi_workflow::{BasicWorkflow, Result, WorkflowError};
use rand::SeedableRng;
use std::path::Path;
use std::time::Instant;

/// The training file shown by `abi train --help`.
pub const EXAMPLE_HELP: &str = r#"A training file:

  [simulations]
  task = "two_moons"        # a built-in task (`abi tasks`), simulated once ...
  count = 10000
  # npz = "sims/"           # ... or a folder of .npz shards, or one .npz file

  [variables]
  inference_variables = ["theta"]
  inference_conditions = ["x"]
  # summary_variables = ["x"]   # sets or series, through the summary network

  [networks]                # optional: the defaults are a coupling flow (and a DeepSet)
  inference = { name = "coupling_flow", settings = { depth = 6 } }

  [training]                # optional
  epochs = 50
  batch_size = 128
  learning_rate = 1e-3
  seed = 0

  [output]
  model = "model/"

Paths are relative to the training file."#;

/// Trains the model of the training file `config`.
pub fn run(config: &Path, progress: bool) -> Result<()> {
    let file = TrainFile::read(config)?;
    let mut builder = BasicWorkflow::builder()
        .variables(file.variables.clone())
        .learning_rate(file.training.learning_rate)
        .seed(file.training.seed);
    if !progress {
        builder = builder.quiet();
    }
    if let Some(spec) = &file.networks.inference {
        builder = builder.inference_network(spec.clone());
    }
    if let Some(spec) = &file.networks.summary {
        builder = builder.summary_network(spec.clone());
    }
    if let Some(task) = &file.simulations.task {
        builder = builder.simulator(abi_sim::benchmarks::simulator_by_name(task)?);
    }
    let mut workflow = builder.build::<NdArray>(&Cpu)?;
    let (epochs, batch) = (file.training.epochs, file.training.batch_size);
    let t = Instant::now();
    let history = match (&file.simulations.task, &file.simulations.npz) {
        (Some(task), _) => {
            let count = file.simulations.count.unwrap_or(10_000);
            let simulator = abi_sim::benchmarks::simulator_by_name(task)?;
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(file.training.seed);
            let sims = abi_sim::simulate(&*simulator, count, 1_000, &mut rng, progress)?;
            workflow.fit_offline(&sims, epochs, batch)?.clone()
        }
        (None, Some(path)) if path.is_dir() => workflow.fit_disk(path, epochs, batch)?.clone(),
        (None, Some(path)) => {
            let sims = abi_sim::npz::read_npz(path)?;
            workflow.fit_offline(&sims, epochs, batch)?.clone()
        }
        (None, None) => {
            return Err(WorkflowError::file(
                config,
                "[simulations] needs `task` or `npz`",
            ));
        }
    };
    let model = &file.output.model;
    workflow.save(model)?;
    let copy = model.join(TRAIN_FILE_COPY);
    let text = toml::to_string(&file).map_err(|e| WorkflowError::file(&copy, e))?;
    std::fs::write(&copy, text).map_err(|e| WorkflowError::file(&copy, e))?;
    let last = history.epochs.last();
    println!(
        "trained {} epochs in {:.1} s: loss {:.4}{}; model: {}",
        history.len(),
        t.elapsed().as_secs_f64(),
        last.map_or(f64::NAN, |r| r.loss),
        last.and_then(|r| r.val_loss)
            .map(|v| format!(", validation {v:.4}"))
            .unwrap_or_default(),
        model.display()
    );
    Ok(())
}
