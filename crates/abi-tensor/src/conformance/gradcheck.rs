//! Finite-difference gradient checks.

use super::{err, values};
use crate::backend::Backend;
use crate::element::{DType, Element};
use crate::tensor::Tensor;

/// Step and tolerances of the checks, chosen by element type.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    /// Finite-difference step.
    pub eps: f64,
    /// Relative tolerance on gradients.
    pub grad_rtol: f64,
    /// Absolute tolerance on gradients.
    pub grad_atol: f64,
    /// Relative tolerance on forward values.
    pub value_rtol: f64,
    /// Absolute tolerance on forward values.
    pub value_atol: f64,
}

impl Tolerance {
    /// The tolerances for backend `B`'s element type.
    pub fn for_backend<B: Backend>() -> Self {
        match B::Elem::DTYPE {
            DType::F64 => Tolerance {
                eps: 1e-6,
                grad_rtol: 1e-5,
                grad_atol: 1e-7,
                value_rtol: 1e-10,
                value_atol: 1e-12,
            },
            DType::F32 => Tolerance {
                eps: 1e-2,
                grad_rtol: 3e-2,
                grad_atol: 3e-3,
                value_rtol: 1e-5,
                value_atol: 1e-6,
            },
        }
    }
}

/// A function of several tensors, as checked by [`check_gradients`].
pub type TensorFn<'a, B> = dyn Fn(&[Tensor<B>]) -> crate::Result<Tensor<B>> + 'a;

/// Checks the gradients of `f` at `inputs` against central finite differences.
///
/// The scalar checked is `Σ w ⊙ f(inputs)` with fixed pseudo-random weights `w`, so errors in
/// any output element (and in broadcasting reductions) show up. Returns a readable message on
/// the first mismatch.
pub fn check_gradients<B: Backend>(inputs: &[Tensor<B>], f: &TensorFn<B>) -> Result<(), String> {
    let tol = Tolerance::for_backend::<B>();
    let tracked: Vec<Tensor<B>> = inputs.iter().map(|x| x.detach().track()).collect();
    let out = f(&tracked).map_err(err)?;
    if !out.is_tracked() {
        return Err("output of tracked inputs is not tracked".into());
    }
    let device = out.device();
    let w = Tensor::<B>::from_f64(
        &values(out.numel(), 17 + out.numel() as u64, 0.5, 1.5),
        &out.shape(),
        &device,
    )
    .map_err(err)?;
    let loss = out.mul(&w).and_then(|y| y.sum_all()).map_err(err)?;
    let grads = loss.backward().map_err(err)?;
    let loss_at = |xs: &[Tensor<B>]| -> Result<f64, String> {
        crate::no_grad::<B, _>(|| {
            f(xs)
                .and_then(|y| y.mul(&w))
                .and_then(|y| y.sum_all())
                .and_then(|y| y.to_scalar())
                .map_err(err)
        })
    };
    for (i, x) in tracked.iter().enumerate() {
        let analytic = match grads.get(x) {
            Some(g) => {
                if g.shape() != x.shape() {
                    return Err(format!(
                        "input {i}: gradient shape {:?}, input shape {:?}",
                        g.shape(),
                        x.shape()
                    ));
                }
                g.to_f64_vec().map_err(err)?
            }
            None => vec![0.0; x.numel()],
        };
        let base = x.to_vec().map_err(err)?;
        let shape = x.shape();
        for j in 0..base.len() {
            let shifted = |delta: f64| -> Result<f64, String> {
                let mut data = base.clone();
                data[j] = B::Elem::from_f64(base[j].to_f64() + delta);
                let xj = Tensor::<B>::from_vec(data, &shape, &device).map_err(err)?;
                let mut xs: Vec<Tensor<B>> = tracked.iter().map(|t| t.detach()).collect();
                xs[i] = xj;
                loss_at(&xs)
            };
            let numeric = (shifted(tol.eps)? - shifted(-tol.eps)?) / (2.0 * tol.eps);
            let a = analytic[j];
            if (a - numeric).abs() > tol.grad_atol + tol.grad_rtol * a.abs().max(numeric.abs()) {
                return Err(format!(
                    "input {i} element {j}: analytic gradient {a:.6e}, finite difference {numeric:.6e}"
                ));
            }
        }
    }
    Ok(())
}
