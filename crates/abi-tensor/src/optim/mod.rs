//! Optimisers, learning-rate schedules and gradient clipping.
//!
//! An optimiser updates a list of [`Param`]s from a [`Gradients`] set, outside autodiff, and can
//! export and import its state so that training resumes exactly where it stopped
//! (see [`save_checkpoint`] / [`load_checkpoint`]).

mod adam;
mod checkpoint;
mod clip;
mod schedule;
mod sgd;

pub use adam::{Adam, AdamConfig};
pub use clip::clip_grad_norm;
pub use schedule::LrSchedule;
pub use sgd::{Sgd, SgdConfig};

use crate::backend::Backend;
use crate::error::Result;
use crate::grad::Gradients;
use crate::param::Param;
use crate::tensor::Tensor;
use std::collections::BTreeMap;

/// The resumable state of an optimiser: its step count and its per-parameter buffers.
#[derive(Debug, Clone)]
pub struct OptimizerState<B: Backend> {
    /// Which optimiser wrote the state (`"adam"`, `"sgd"`).
    pub kind: String,
    /// Number of updates taken.
    pub step: u64,
    /// Buffers by `<parameter name>/<buffer>`, e.g. `dense.weight/m`.
    pub buffers: BTreeMap<String, Tensor<B>>,
}

/// Something that updates parameters from their gradients.
pub trait Optimizer<B: Backend> {
    /// One update of every trainable parameter in `params` that has a gradient in `grads`.
    fn step(&mut self, params: &[Param<B>], grads: &Gradients<B>) -> Result<()>;
    /// The learning rate the next step will use.
    fn learning_rate(&self) -> f64;
    /// Number of steps taken.
    fn steps_taken(&self) -> u64;
    /// The state to save for resuming.
    fn state(&self) -> OptimizerState<B>;
    /// Restores a saved state (the kind must match).
    fn load_state(&mut self, state: OptimizerState<B>) -> Result<()>;
}

pub use checkpoint::{
    Checkpoint, load_checkpoint, read_checkpoint, save_checkpoint, write_checkpoint,
};
