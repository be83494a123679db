//! The training file of `abi train`: where the simulations come from, the variables' roles,
//! the networks, the training settings and where the model goes.
//!
//! ```
//! use abi_workflow::train_file::TrainFile;
//! let text = r#"
//! [simulations]
//! task = "two_moons"
//! [variables]
//! inference_variables = ["theta"]
//! inference_conditions = ["x"]
//! [output]
//! model = "model/"
//! "#;
//! let file = TrainFile::parse(text, "train.toml".as_ref())?;
//! assert_eq!(file.simulations.task.as_deref(), Some("two_moons"));
//! assert!(TrainFile::parse("[simulations]\ntask = 1", "train.toml".as_ref()).is_err());
//! # Ok::<(), abi_workflow::WorkflowError>(())
//! ```

use crate::{Result, Variables, WorkflowError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// `abi train`'s TOML file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainFile {
    /// Where the simulations come from.
    pub simulations: Simulations,
    /// Which entries play which role.
    pub variables: Variables,
    /// The networks (the workflow's defaults when absent).
    #[serde(default)]
    pub networks: Networks,
    /// Training settings.
    #[serde(default)]
    pub training: Training,
    /// The model folder written.
    pub output: Output,
}

/// A built-in task or simulations from `.npz` files.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Simulations {
    /// A built-in task (`abi tasks` lists them).
    pub task: Option<String>,
    /// A folder of `.npz` shards (as `abi simulate` writes) or one `.npz` file, relative to
    /// the training file.
    pub npz: Option<PathBuf>,
    /// With `task`: simulations drawn once and trained on offline (10 000).
    pub count: Option<usize>,
}

/// Network specs as the registry reads them: `name` and optional `settings`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Networks {
    /// The inference network.
    pub inference: Option<abi_nets::NetworkSpec>,
    /// The summary network.
    pub summary: Option<abi_nets::NetworkSpec>,
}

/// Training settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Training {
    /// Epochs (50).
    pub epochs: usize,
    /// Batch size (128).
    pub batch_size: usize,
    /// Peak learning rate (1e-3).
    pub learning_rate: f64,
    /// Seed (0).
    pub seed: u64,
}

impl Default for Training {
    fn default() -> Self {
        Self {
            epochs: 50,
            batch_size: 128,
            learning_rate: 1e-3,
            seed: 0,
        }
    }
}

/// Where the model goes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// The model folder, relative to the training file.
    pub model: PathBuf,
}

/// The copy of the training file kept in the model folder.
pub const TRAIN_FILE_COPY: &str = "train.toml";

/// The most simulations `count` may ask for (10⁸): beyond it the simulations would not fit
/// in memory; simulate into shards with `abi simulate` and train from the folder instead.
pub const MAX_SIMULATION_COUNT: usize = 100_000_000;

/// The most epochs `[training]` accepts (10⁶).
pub const MAX_EPOCHS: usize = 1_000_000;

/// The largest batch size `[training]` accepts (2²⁰).
pub const MAX_BATCH_SIZE: usize = 1 << 20;

impl TrainFile {
    /// Reads and checks `path`; paths inside are made relative to its folder.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| WorkflowError::file(path, e))?;
        let mut file = Self::parse(&text, path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        if let Some(npz) = &file.simulations.npz {
            file.simulations.npz = Some(base.join(npz));
        }
        file.output.model = base.join(&file.output.model);
        Ok(file)
    }

    /// Parses and checks the text of a training file; `path` names it in errors (it is not
    /// read, and the paths inside are left as written).
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let file: TrainFile = toml::from_str(text)
            .map_err(|e| WorkflowError::file(path, e.to_string().trim_end()))?;
        file.check().map_err(|e| WorkflowError::file(path, e))?;
        Ok(file)
    }

    /// What is wrong with the settings, if anything.
    fn check(&self) -> std::result::Result<(), String> {
        let sims = &self.simulations;
        if sims.task.is_some() == sims.npz.is_some() {
            return Err("[simulations] needs exactly one of `task` and `npz`".into());
        }
        match sims.count {
            Some(_) if sims.task.is_none() => {
                return Err(
                    "[simulations] `count` goes with `task` (the shards set the count of `npz`)"
                        .into(),
                );
            }
            Some(n) if n == 0 || n > MAX_SIMULATION_COUNT => {
                return Err(format!(
                    "[simulations] `count` must be in 1..={MAX_SIMULATION_COUNT}, got {n}; for more, \
                     write shards with `abi simulate` and train from their folder"
                ));
            }
            _ => {}
        }
        let t = &self.training;
        if t.epochs == 0 || t.epochs > MAX_EPOCHS {
            return Err(format!(
                "[training] `epochs` must be at least 1 and at most {MAX_EPOCHS}, got {}",
                t.epochs
            ));
        }
        if t.batch_size == 0 || t.batch_size > MAX_BATCH_SIZE {
            return Err(format!(
                "[training] `batch_size` must be in 1..={MAX_BATCH_SIZE}, got {}",
                t.batch_size
            ));
        }
        if !(t.learning_rate > 0.0 && t.learning_rate.is_finite()) {
            return Err(format!(
                "[training] `learning_rate` must be positive and finite, got {}",
                t.learning_rate
            ));
        }
        if self.variables.inference_variables.is_empty() {
            return Err("[variables] `inference_variables` names no entry".into());
        }
        Ok(())
    }
}
