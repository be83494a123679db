//! Reverse mode through libtorch's autograd engine, reported as abi [`Gradients`].
//!
//! libtorch computes gradients for the inputs one names. Every tracked tensor carries the set
//! of tracked leaves it was computed from ([`TchTensor`]), so a backward sweep names exactly
//! the leaves of its own graph: two models in one process, or on two threads, never see each
//! other's tensors and share no lock.

use crate::tensor::TchTensor;
use crate::{Tch, TchFloat, tch_error};
use abi_tensor::{Gradients, Result, TensorId};

/// `seedᵀ ∂output/∂leaf` for every live tracked leaf `output` was computed from. That
/// `output` is tracked and `seed` has its shape was checked by `Tensor::backward_with`.
pub(crate) fn backward<E: TchFloat>(
    output: &TchTensor,
    seed: &TchTensor,
) -> Result<Gradients<Tch<E>>> {
    let mut grads = Gradients::new();
    let leaves = output.leaves().map(|set| set.live()).unwrap_or_default();
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
