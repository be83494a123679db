//! The network roles an adapter produces, and moving them between arrays and tensors.

use crate::error::{ApproxError, Result};
use abi_adapter::Data;
use abi_tensor::{Backend, Tensor};
use ndarray::{ArrayD, IxDyn};

/// The parameters a posterior approximator learns, `(batch, dim)`.
pub const INFERENCE_VARIABLES: &str = "inference_variables";
/// Conditions passed straight to the inference network, `(batch, k)`.
pub const INFERENCE_CONDITIONS: &str = "inference_conditions";
/// Raw data for the summary network, `(batch, ...)`.
pub const SUMMARY_VARIABLES: &str = "summary_variables";
/// For padded `summary_variables` `(batch, n, ...)`: `(batch, n)`, 1 for a real element and
/// 0 for padding; passed to the summary network as its mask.
pub const SUMMARY_MASK: &str = "summary_mask";

/// The entry `role` of adapted data as an `f64` array, or `None` when absent.
pub(crate) fn role_array(data: &Data, role: &str) -> Option<ArrayD<f64>> {
    data.get(role).map(|a| a.to_f64())
}

/// The entry `role`, or an error listing what the adapter produced.
pub(crate) fn required(data: &Data, role: &str, hint: &str) -> Result<ArrayD<f64>> {
    role_array(data, role).ok_or_else(|| ApproxError::MissingRole {
        role: role.to_string(),
        available: data.names().map(String::from).collect(),
        hint: hint.to_string(),
    })
}

/// Checks an array for NaN or infinity, naming the role, row and value.
pub(crate) fn check_finite(role: &str, a: &ArrayD<f64>) -> Result<()> {
    let width = a.shape().iter().skip(1).product::<usize>().max(1);
    if let Some((i, v)) = a.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(ApproxError::NonFiniteData {
            role: role.to_string(),
            row: i / width,
            value: *v,
        });
    }
    Ok(())
}

/// An array as a tensor on `device`.
pub(crate) fn to_tensor<B: Backend>(a: &ArrayD<f64>, device: &B::Device) -> Result<Tensor<B>> {
    let a = a.as_standard_layout();
    let data = a
        .as_slice()
        .ok_or_else(|| ApproxError::Config("array is not contiguous".into()))?;
    Ok(Tensor::from_f64(data, a.shape(), device)?)
}

/// A tensor as an `f64` array.
pub(crate) fn to_array<B: Backend>(t: &Tensor<B>) -> Result<ArrayD<f64>> {
    let shape = t.shape();
    ArrayD::from_shape_vec(IxDyn(&shape), t.to_f64_vec()?)
        .map_err(|e| ApproxError::Config(format!("tensor of shape {shape:?}: {e}")))
}
