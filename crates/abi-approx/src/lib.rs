#![doc = include_str!("../README.md")]

mod continuous;
pub mod dataset;
mod error;
mod history;
pub mod roles;
mod sampling;
mod save;
mod train;

pub use continuous::{
    ApproximatorSpec, ContinuousApproximator, ContinuousApproximatorBuilder, SummarySpec,
};
pub use error::{ApproxError, Result};
pub use history::{EpochRecord, History};
pub use sampling::{Draws, SampleOptions, Support};
pub use save::{MODEL_FORMAT, MODEL_FORMAT_VERSION};
pub use train::{Callback, TrainConfig, Trainable, train};
