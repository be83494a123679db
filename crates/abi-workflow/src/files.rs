//! A workflow's folder: the approximator's model files and `workflow.json` (format, version,
//! the variables' roles and the settings) beside them.

use crate::error::{Result, WorkflowError};
use crate::variables::Variables;
use crate::workflow::{BasicWorkflow, WorkflowSettings};
use abi_approx::ContinuousApproximator;
use abi_sim::Simulator;
use abi_tensor::Backend;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// The `format` of `workflow.json`.
pub const WORKFLOW_FORMAT: &str = "abi-workflow";
/// The version of `workflow.json` this build writes and reads.
pub const WORKFLOW_FORMAT_VERSION: u32 = 1;
/// The file beside the model files.
pub const WORKFLOW_FILE: &str = "workflow.json";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkflowFile {
    format: String,
    version: u32,
    variables: Variables,
    settings: WorkflowSettings,
}

impl<B: Backend> BasicWorkflow<B> {
    /// Writes the trained workflow into the folder `dir` (created if missing), as one unit:
    /// the approximator's model files and `workflow.json`.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        let file = WorkflowFile {
            format: WORKFLOW_FORMAT.into(),
            version: WORKFLOW_FORMAT_VERSION,
            variables: self.variables().clone(),
            settings: self.settings().clone(),
        };
        let path = dir.join(WORKFLOW_FILE);
        let text =
            serde_json::to_string_pretty(&file).map_err(|e| WorkflowError::file(&path, e))?;
        self.approximator()?
            .save_with(dir, &[(WORKFLOW_FILE, text.as_bytes())])?;
        Ok(())
    }

    /// Loads a workflow saved by [`save`](Self::save), with `simulator` for online training,
    /// simulation and diagnostics (or none).
    pub fn load(
        dir: impl AsRef<Path>,
        device: &B::Device,
        simulator: Option<Arc<dyn Simulator>>,
    ) -> Result<Self> {
        let dir = dir.as_ref();
        abi_approx::parts::folder::recover(dir)?;
        let path = dir.join(WORKFLOW_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| WorkflowError::file(&path, e))?;
        let file: WorkflowFile =
            serde_json::from_str(&text).map_err(|e| WorkflowError::file(&path, e))?;
        if file.format != WORKFLOW_FORMAT {
            return Err(WorkflowError::file(
                &path,
                format!("format `{}`, not `{WORKFLOW_FORMAT}`", file.format),
            ));
        }
        if file.version != WORKFLOW_FORMAT_VERSION {
            return Err(WorkflowError::file(
                &path,
                format!(
                    "format version {} (this build reads version {WORKFLOW_FORMAT_VERSION})",
                    file.version
                ),
            ));
        }
        let approximator = ContinuousApproximator::load(dir, device)?;
        Ok(Self::from_parts(
            simulator,
            file.variables,
            approximator,
            file.settings,
            device.clone(),
        ))
    }
}
