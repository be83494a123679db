#![doc = include_str!("../README.md")]

mod array;
mod batch;
pub mod benchmarks;
mod compose;
mod distribution;
mod error;
mod model_comparison;
pub mod npz;
mod run;
mod simulator;
mod vars;

pub use array::Array;
pub use batch::Batch;
pub use compose::{
    make_simulator, make_vectorized, ComposedSimulator, FnError, VectorizedSimulator,
};
pub use distribution::{cholesky, invert_spd, Distribution};
pub use error::{Result, SimError};
pub use model_comparison::ModelComparisonSimulator;
pub use run::{pilot_run, progress_bar, simulate, PilotReport};
pub use simulator::{check_finite, draw_rng, non_finite_rows, Checked, NonFinitePolicy, Simulator};
pub use vars::{Value, Vars};
