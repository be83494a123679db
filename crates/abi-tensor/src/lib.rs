#![doc = include_str!("../README.md")]

pub mod backend;
mod check;
pub mod element;
pub mod error;
pub mod grad;
pub mod init;
pub mod io;
pub mod limits;
pub mod ops;
pub mod optim;
pub mod parallel;
pub mod param;
pub mod recurrent;
pub mod shape;
pub mod spline;
mod tensor;
mod tensor_elementwise;
mod tensor_nn;
mod tensor_reduce;
mod tensor_shape;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use backend::Backend;
pub use element::{DType, Element};
pub use error::{Result, TensorError};
pub use grad::{GradMode, Gradients, TensorId, enable_grad, no_grad};
pub use init::Init;
pub use ops::{AdamStep, BinaryOp, CmpOp, ReduceOp, UnaryOp};
pub use param::{Param, ParamPath, ParamStore};
pub use spline::RqSpline;
pub use tensor::Tensor;
pub use tensor_nn::Conv1dOptions;
