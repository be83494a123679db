//! Gradients of a network's output with respect to its inputs, for gradient-based MCMC on
//! learned likelihoods.

use super::ContinuousApproximator;
use crate::error::{ApproxError, Result};
use abi_sim::Batch;
use abi_tensor::Backend;

impl<B: Backend> ContinuousApproximator<B> {
    /// The network's `log_prob` of every row of `data` (without the adapter's Jacobian) and
    /// its gradient with respect to the network-space `inference_conditions` (or, with
    /// `wrt_conditions` false, `inference_variables`), `(rows, width)`, by the backend's
    /// reverse mode.
    pub(crate) fn network_log_prob_gradient(
        &self,
        data: &Batch,
        wrt_conditions: bool,
    ) -> Result<(Vec<f64>, ndarray::Array2<f64>)> {
        let roles = self.adapter.forward(data)?;
        abi_tensor::enable_grad::<B, _>(|| {
            let v = self.variables(&roles)?.detach();
            let c = self.conditions(&roles, None)?.map(|c| c.detach());
            let (v, c) = if wrt_conditions {
                (v, c.map(|c| c.track()))
            } else {
                (v.track(), c)
            };
            let leaf = if wrt_conditions {
                c.clone()
            } else {
                Some(v.clone())
            };
            let leaf = leaf.ok_or_else(|| {
                ApproxError::Config("the network has no conditions to differentiate".into())
            })?;
            let lp = self.inference.log_prob(&v, c.as_ref())?;
            let gradients = lp.sum_all()?.backward()?;
            let shape = leaf.shape();
            let g = match gradients.get(&leaf) {
                Some(g) => g.to_f64_vec()?,
                None => vec![0.0; shape.iter().product()],
            };
            let g = ndarray::Array2::from_shape_vec((shape[0], shape[1]), g)
                .map_err(|e| ApproxError::Config(e.to_string()))?;
            Ok((lp.to_f64_vec()?, g))
        })
    }
}
