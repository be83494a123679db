//! Small measurements shared by the network tests.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use abi_tensor::{Backend, Tensor};

/// `max |a − b|` over all elements.
pub fn max_abs_diff<B: Backend>(a: &Tensor<B>, b: &Tensor<B>) -> f64 {
    let d = a.sub(b).unwrap().abs().unwrap();
    let axes: Vec<usize> = (0..d.rank()).collect();
    d.max(&axes, false).unwrap().to_scalar().unwrap()
}

/// `mean |a − b|` over all elements.
pub fn mean_abs_diff<B: Backend>(a: &Tensor<B>, b: &Tensor<B>) -> f64 {
    a.sub(b)
        .unwrap()
        .abs()
        .unwrap()
        .mean_all()
        .unwrap()
        .to_scalar()
        .unwrap()
}

/// `ln |det J|` of `f` at `x0` (2 or 3 dimensions), from a central finite-difference Jacobian.
pub fn finite_difference_log_abs_det(f: impl Fn(&[f64]) -> Vec<f64>, x0: &[f64]) -> f64 {
    let dim = x0.len();
    let h = 1e-6;
    let mut jac = vec![0.0; dim * dim];
    for j in 0..dim {
        let (mut up, mut down) = (x0.to_vec(), x0.to_vec());
        up[j] += h;
        down[j] -= h;
        let (fu, fd) = (f(&up), f(&down));
        for i in 0..dim {
            jac[i * dim + j] = (fu[i] - fd[i]) / (2.0 * h);
        }
    }
    let det = match dim {
        2 => jac[0] * jac[3] - jac[1] * jac[2],
        3 => {
            jac[0] * (jac[4] * jac[8] - jac[5] * jac[7])
                - jac[1] * (jac[3] * jac[8] - jac[5] * jac[6])
                + jac[2] * (jac[3] * jac[7] - jac[4] * jac[6])
        }
        _ => panic!("determinants of 2 or 3 dimensions only, got {dim}"),
    };
    det.abs().ln()
}
