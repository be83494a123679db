//! Fused optimiser updates: one pass over parameter, gradient and moments.

use crate::NdFloat;
use crate::tensor::NdTensor;
use abi_tensor::{AdamStep, Element, Result};
use ndarray::Zip;

pub(crate) fn adam_update<F: NdFloat>(
    param: &NdTensor<F>,
    grad: &NdTensor<F>,
    m: NdTensor<F>,
    v: NdTensor<F>,
    s: &AdamStep,
) -> Result<(NdTensor<F>, NdTensor<F>, NdTensor<F>)> {
    let c = |x: f64| <F as Element>::from_f64(x);
    let (b1, b2, one) = (c(s.beta1), c(s.beta2), F::one());
    let (l2, eps) = (c(s.l2), c(s.eps));
    let inv_bias2 = c(1.0 / s.bias2);
    let step = c(s.lr / s.bias1);
    let decay = c(s.lr * s.decoupled);
    let mut p_new = param.array().to_owned();
    // the moments are normally held only by the optimiser: update their storage in place
    let mut m_new = m.into_array();
    let mut v_new = v.into_array();
    Zip::from(&mut p_new)
        .and(&mut m_new)
        .and(&mut v_new)
        .and(grad.array())
        .for_each(|p, m, v, &g| {
            let w = *p;
            let g = g + l2 * w;
            *m = b1 * *m + (one - b1) * g;
            *v = b2 * *v + (one - b2) * g * g;
            *p = w - step * *m / ((*v * inv_bias2).sqrt() + eps) - decay * w;
        });
    Ok((
        NdTensor::constant(p_new),
        NdTensor::constant(m_new),
        NdTensor::constant(v_new),
    ))
}
