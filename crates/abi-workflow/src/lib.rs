#![doc = include_str!("../README.md")]

mod diagnostics;
mod error;
mod files;
pub mod flat;
pub mod guides;
mod variables;
mod workflow;

pub use error::{Result, WorkflowError};
pub use files::{WORKFLOW_FILE, WORKFLOW_FORMAT, WORKFLOW_FORMAT_VERSION};
pub use variables::Variables;
pub use workflow::{BasicWorkflow, BasicWorkflowBuilder, WorkflowSettings};
