//! Recurrent parts of the time-series summary networks: GRU and LSTM cells that run whole
//! sequences, (bidirectional) layers of them, and the step bookkeeping.

mod cell;
mod layer;
mod steps;

pub use cell::RecurrentType;
pub(crate) use layer::RecurrentLayer;
pub(crate) use steps::{mask_steps, time_major};
