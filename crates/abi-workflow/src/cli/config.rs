//! The training file of `abi train`: where the simulations come from, the variables' roles,
//! the networks, the training settings and where the model goes.

use abi_workflow::{Result, Variables, WorkflowError};
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

impl TrainFile {
    /// Reads and checks `path`; paths inside are made relative to its folder.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| WorkflowError::file(path, e))?;
        let mut file: TrainFile = toml::from_str(&text)
            .map_err(|e| WorkflowError::file(path, e.to_string().trim_end()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        match (&file.simulations.task, &file.simulations.npz) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(WorkflowError::file(
                    path,
                    "[simulations] needs exactly one of `task` and `npz`",
                ));
            }
            _ => {}
        }
        if let Some(npz) = &file.simulations.npz {
            file.simulations.npz = Some(base.join(npz));
        }
        file.output.model = base.join(&file.output.model);
        Ok(file)
    }
}
