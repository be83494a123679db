//! Reverse mode through libtorch's autograd engine, reported as abi [`Gradients`].
//!
//! libtorch computes gradients for the inputs one names, so the backend keeps a registry of
//! the live tracked leaves ([`Backend::track`](abi_tensor::Backend::track)); a backward
//! sweep asks the engine for the gradients of all of them and keeps those the output depends
//! on. The registry holds weak references: a leaf leaves it when its last clone is dropped.

use crate::tensor::{Inner, TchTensor};
use crate::{Tch, TchFloat, tch_error};
use abi_tensor::{Gradients, Result, TensorError, TensorId};
use std::sync::{Mutex, Weak};

static LEAVES: Mutex<Vec<Weak<Inner>>> = Mutex::new(Vec::new());

/// Records a new tracked leaf.
pub(crate) fn register(leaf: &TchTensor) {
    let mut leaves = LEAVES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // drop dead entries whenever the list has doubled since the last sweep
    if leaves.len() >= 64 && leaves.len().is_power_of_two() {
        leaves.retain(|w| w.strong_count() > 0);
    }
    leaves.push(leaf.downgrade());
}

fn live_leaves() -> Vec<TchTensor> {
    let mut leaves = LEAVES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    leaves.retain(|w| w.strong_count() > 0);
    leaves
        .iter()
        .filter_map(Weak::upgrade)
        .map(TchTensor::from_inner)
        .collect()
}

pub(crate) fn backward<E: TchFloat>(
    output: &TchTensor,
    seed: &TchTensor,
) -> Result<Gradients<Tch<E>>> {
    let (out_shape, seed_shape) = (output.dims(), seed.dims());
    if out_shape != seed_shape {
        return Err(TensorError::ShapeMismatch {
            op: "backward",
            lhs: out_shape,
            rhs: seed_shape,
        });
    }
    if !output.as_tch().requires_grad() {
        return Err(TensorError::NotTracked);
    }
    let leaves = live_leaves();
    let mut grads = Gradients::new();
    if leaves.is_empty() {
        return Ok(grads);
    }
    let inputs: Vec<&tch::Tensor> = leaves.iter().map(TchTensor::as_tch).collect();
    // seedᵀ output as one scalar root; the engine runs with recording on whatever the
    // caller's mode, as the ndarray backend does
    let found = tch::with_grad(|| -> std::result::Result<Vec<tch::Tensor>, tch::TchError> {
        let root = output
            .as_tch()
            .f_mul(&seed.as_tch().detach())?
            .f_sum(None::<tch::Kind>)?;
        // keep the graph: abi allows several sweeps over one output (vector-Jacobian
        // products); the graph is freed with the output
        tch::Tensor::f_run_backward(&[root], &inputs, true, false)
    })
    .map_err(|e| tch_error("backward", e))?;
    for (leaf, grad) in leaves.iter().zip(found) {
        if grad.defined() {
            grads.insert_raw(TensorId(leaf.id()), TchTensor::new(grad));
        }
    }
    Ok(grads)
}
