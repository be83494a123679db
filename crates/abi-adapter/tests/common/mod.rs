//! Helpers shared by the behaviour tests: arrays, closeness, finite-difference log-dets.
#![allow(dead_code, clippy::unwrap_used)] // each test file uses some of them; they panic by design

use abi_adapter::{Adapter, Data};
use ndarray::{ArrayD, IxDyn};

pub fn arr(shape: &[usize], data: Vec<f64>) -> ArrayD<f64> {
    ArrayD::from_shape_vec(IxDyn(shape), data).unwrap()
}

pub fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

/// Asserts two arrays agree in shape and, within `tol`, in value (NaN matches NaN).
pub fn assert_close(a: &ArrayD<f64>, b: &ArrayD<f64>, tol: f64, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}");
    for (x, y) in a.iter().zip(b.iter()) {
        let same = (x.is_nan() && y.is_nan()) || rel_close(*x, *y, tol);
        assert!(same, "{what}: {x} vs {y}");
    }
}

/// `ln |det A|` by Gaussian elimination with partial pivoting (`a` is `n × n`, row-major).
pub fn log_abs_det(a: &mut [f64], n: usize) -> f64 {
    let mut total = 0.0;
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| a[i * n + c].abs().total_cmp(&a[j * n + c].abs()))
            .unwrap();
        for k in 0..n {
            a.swap(c * n + k, p * n + k);
        }
        let pivot = a[c * n + c];
        total += pivot.abs().ln();
        for r in c + 1..n {
            let f = a[r * n + c] / pivot;
            for k in c..n {
                a[r * n + k] -= f * a[c * n + k];
            }
        }
    }
    total
}

/// Checks `Adapter::forward_with_log_det` for one data set against `ln |det J|` of central
/// finite differences: `data(θ)` builds the input from `n` free values `θ`, the output is the
/// entry `key` flattened (it must hold `n` values).
pub fn check_log_det(adapter: &Adapter, theta: &[f64], data: impl Fn(&[f64]) -> Data, key: &str) {
    let n = theta.len();
    let (out, ldj) = adapter.forward_with_log_det(data(theta), key).unwrap();
    assert_eq!(ldj.len(), 1, "one data set, one log-det");
    let y = |t: &[f64]| -> Vec<f64> {
        let d = adapter.forward(data(t)).unwrap();
        d.f64("test", key).unwrap().iter().copied().collect()
    };
    assert_eq!(out.f64("test", key).unwrap().len(), n, "square Jacobian");
    let mut jac = vec![0.0; n * n];
    for j in 0..n {
        let h = 1e-6 * (1.0 + theta[j].abs());
        let (mut up, mut down) = (theta.to_vec(), theta.to_vec());
        up[j] += h;
        down[j] -= h;
        let (yu, yd) = (y(&up), y(&down));
        for i in 0..n {
            jac[i * n + j] = (yu[i] - yd[i]) / (2.0 * h);
        }
    }
    let numeric = log_abs_det(&mut jac, n);
    let exact = ldj.iter().next().copied().unwrap();
    assert!(
        rel_close(exact, numeric, 1e-5),
        "{key}: log-det {exact} vs finite differences {numeric}"
    );
}
