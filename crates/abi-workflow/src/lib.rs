#![doc = include_str!("../README.md")]

mod builder;
mod diagnostics;
mod error;
mod estimates;
mod files;
pub mod flat;
pub mod guides;
pub mod train_file;
mod variables;
mod workflow;

pub use builder::BasicWorkflowBuilder;
pub use error::{Result, WorkflowError};
pub use estimates::{Estimate, Estimates};
pub use files::{WORKFLOW_FILE, WORKFLOW_FORMAT, WORKFLOW_FORMAT_VERSION};
pub use variables::Variables;
pub use workflow::{BasicWorkflow, WorkflowSettings};
