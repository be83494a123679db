#![doc = include_str!("../README.md")]

mod array;
mod batch;
pub mod benchmarks;
mod compose;
mod distribution;
mod error;
pub mod limits;
mod model_comparison;
pub mod models;
pub mod npz;
mod padding;
mod panics;
mod run;
mod simulator;
mod vars;

pub use array::Array;
pub use batch::Batch;
pub use compose::{
    ComposedSimulator, FnError, VectorizedSimulator, make_simulator, make_vectorized,
};
pub use distribution::{Distribution, cholesky, invert_spd};
pub use error::{Result, SimError};
pub use model_comparison::ModelComparisonSimulator;
pub use padding::{mask_name, pad_ragged};
pub use panics::panic_message;
pub use run::{PilotReport, pilot_run, progress_bar, simulate};
pub use simulator::{Checked, NonFinitePolicy, Simulator, check_finite, draw_rng, non_finite_rows};
pub use vars::{Value, Vars};
