//! The GRU state update as one operation ([`Tensor::gru_update`]) and its composed default.

use crate::backend::Backend;
use crate::error::Result;
use crate::tensor::Tensor;

/// [`Tensor::gru_update`] composed of slices and elementwise operations (about a dozen graph
/// nodes): the default of [`Backend::gru_update`] and the reference fused kernels are tested
/// against.
pub fn gru_update_composite<B: Backend>(
    h: &Tensor<B>,
    xp: &Tensor<B>,
    hp: &Tensor<B>,
    mask: Option<&Tensor<B>>,
) -> Result<Tensor<B>> {
    let n = h.dim(1)?;
    let gates = xp
        .narrow(1, 0, 2 * n)?
        .add(&hp.narrow(1, 0, 2 * n)?)?
        .sigmoid()?;
    let reset = gates.narrow(1, n, n)?;
    let candidate = xp
        .narrow(1, 2 * n, n)?
        .add(&reset.mul(&hp.narrow(1, 2 * n, n)?)?)?
        .tanh()?;
    let mut update = gates.narrow(1, 0, n)?;
    if let Some(m) = mask {
        update = update.mul(m)?;
    }
    h.add(&update.mul(&candidate.sub(h)?)?)
}
