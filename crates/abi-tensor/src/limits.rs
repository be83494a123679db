//! The caps on sizes, in one place: every tensor a constructor or a network's parameter
//! creation allocates is checked against them before any memory is taken, so a size read
//! from a file (a network's width in `model.json`, an array's shape) or passed by a caller
//! (the number of draws) is an error, never an allocation failure that aborts the process.
//!
//! - [`MAX_TENSOR_ELEMENTS`]: no tensor holds more elements (2³¹: 8 GiB in `f32`).
//! - [`MAX_MODEL_ELEMENTS`] and [`MAX_PARAMETER_TENSORS`]: no [`ParamStore`](crate::ParamStore)
//!   holds more parameter elements (2³⁰: 4 GiB in `f32`) or more tensors (2¹⁶), so a network
//!   spec of absurd width or depth (from a training file, or a caller) fails while it is
//!   built, before its parameters exhaust memory.
//! - A store may carry a smaller element budget
//!   ([`ParamStore::limit_elements`](crate::ParamStore::limit_elements)): loading a saved
//!   model sets it from the size of its weights file, so that a network spec asking for more
//!   parameters than the file can hold fails before it is built.

use crate::error::{Result, TensorError};

/// The most elements one tensor may hold.
pub const MAX_TENSOR_ELEMENTS: usize = 1 << 31;

/// The most parameter and buffer elements one [`ParamStore`](crate::ParamStore) holds.
pub const MAX_MODEL_ELEMENTS: usize = 1 << 30;

/// The most parameter and buffer tensors one [`ParamStore`](crate::ParamStore) holds.
pub const MAX_PARAMETER_TENSORS: usize = 1 << 16;

/// The element count of `shape`, or [`TensorError::TooLarge`] naming `op` when it overflows
/// or exceeds [`MAX_TENSOR_ELEMENTS`].
///
/// ```
/// use abi_tensor::limits::checked_numel;
/// assert_eq!(checked_numel("zeros", &[3, 4]).unwrap(), 12);
/// assert!(checked_numel("zeros", &[1 << 20, 1 << 20]).is_err());
/// assert!(checked_numel("zeros", &[usize::MAX, 2]).is_err());
/// ```
pub fn checked_numel(op: &'static str, shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|&n| n <= MAX_TENSOR_ELEMENTS)
        .ok_or_else(|| TensorError::TooLarge {
            op,
            shape: shape.to_vec(),
            limit: MAX_TENSOR_ELEMENTS,
        })
}
