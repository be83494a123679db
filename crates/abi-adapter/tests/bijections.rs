//! The invertible transforms added for BayesFlow users — scale, shift, fixed standardize,
//! constrain's methods, as_simplex, as_covariance_matrix: round trips, log-dets against
//! finite differences, and typed errors for bad parameters and data.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

mod common;

use abi_adapter::{Adapter, AdapterError, ConstrainMethod, Data, SimplexMethod};
use common::{arr, assert_close, check_log_det};

const SCALARS: [&str; 9] = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];

/// Every new elementwise map (and the fixed standardize) on one scalar each.
fn scalar_adapter() -> Adapter {
    use ConstrainMethod::*;
    Adapter::new()
        .scale(&["a"], -2.5)
        .shift(&["b"], 3.0)
        .constrain_with(&["c"], Some(-1.0), Some(3.0), Tanh)
        .constrain_with(&["d"], Some(0.0), Some(1.0), Sigmoid)
        .constrain_with(&["e"], Some(1.0), None, Softplus)
        .constrain_with(&["f"], Some(1.0), None, Exp)
        .constrain_with(&["g"], None, Some(-2.0), Softplus)
        .constrain_with(&["h"], Some(f64::NEG_INFINITY), Some(-2.0), Exp)
        .standardize_fixed(&["i"], &[1.0], &[2.0])
        .scale(&["i"], 0.5)
        .concatenate(&SCALARS, "inference_variables")
}

/// `u` in (0, 1), 9 per data set, mapped into each transform's domain.
fn scalar_values(u: &[f64]) -> Vec<f64> {
    let domains: [fn(f64) -> f64; 9] = [
        |u| 10.0 * u - 5.0,
        |u| 10.0 * u - 5.0,
        |u| -1.0 + 4.0 * u,
        |u| u,
        |u| 1.0 + 5.0 * u,
        |u| 1.0 + 5.0 * u,
        |u| -2.0 - 5.0 * u,
        |u| -2.0 - 5.0 * u,
        |u| 10.0 * u - 5.0,
    ];
    u.iter()
        .enumerate()
        .map(|(i, v)| domains[i % 9](*v))
        .collect()
}

/// One row per data set from 9 values per row.
fn scalar_data(x: &[f64]) -> Data {
    let rows = x.len() / 9;
    let mut d = Data::new();
    for (j, key) in SCALARS.iter().enumerate() {
        d.set(
            *key,
            arr(&[rows, 1], (0..rows).map(|r| x[r * 9 + j]).collect()),
        );
    }
    d
}

#[test]
fn elementwise_maps_round_trip_and_match_finite_differences() {
    let u: Vec<f64> = (0..27)
        .map(|i| (i as f64 * 0.37 + 0.05) % 0.9 + 0.05)
        .collect();
    let mut adapter = scalar_adapter();
    let x = scalar_values(&u);
    let data = scalar_data(&x);
    adapter.fit(data.clone()).unwrap();
    let roles = adapter.forward(data.clone()).unwrap();
    let back = adapter.inverse(&roles).unwrap();
    for k in SCALARS {
        assert_close(
            &data.f64("t", k).unwrap(),
            &back.f64("t", k).unwrap(),
            1e-9,
            k,
        );
    }
    // tanh is half the logit; fixed standardize then scale: (x − 1) / 2 · 0.5
    let iv = roles.f64("t", "inference_variables").unwrap();
    let (c, d) = (data.f64("t", "c").unwrap(), data.f64("t", "i").unwrap());
    let p = (c[[0, 0]] + 1.0) / 4.0;
    assert!((iv[[0, 2]] - 0.5 * (p / (1.0 - p)).ln()).abs() < 1e-12);
    assert!((iv[[0, 8]] - (d[[0, 0]] - 1.0) / 4.0).abs() < 1e-12);
    for row in 0..3 {
        let theta = &x[row * 9..row * 9 + 9];
        check_log_det(&adapter, theta, scalar_data, "inference_variables");
    }
}

#[test]
fn forward_with_log_det_equals_forward_and_log_det_jacobian() {
    let adapter = scalar_adapter();
    let data = scalar_data(&scalar_values(&[0.3; 18]));
    let (out, ldj) = adapter
        .forward_with_log_det(data.clone(), "inference_variables")
        .unwrap();
    assert_eq!(out, adapter.forward(data.clone()).unwrap());
    assert_eq!(
        ldj,
        adapter
            .log_det_jacobian(data, "inference_variables")
            .unwrap()
    );
    assert_eq!(ldj.shape(), &[2]);
}

fn simplex_data(free: &[f64]) -> Data {
    let mut x = free.to_vec();
    x.push(1.0 - free.iter().sum::<f64>());
    Data::new().with("w", arr(&[1, x.len()], x))
}

#[test]
fn simplex_round_trips_and_matches_finite_differences() {
    for method in [SimplexMethod::Softmax, SimplexMethod::StickBreaking] {
        let adapter = Adapter::new().as_simplex_with(&["w"], method);
        let w = arr(
            &[2, 2, 4],
            vec![
                0.1, 0.2, 0.3, 0.4, 0.25, 0.25, 0.25, 0.25, 0.7, 0.1, 0.1, 0.1, 1e-4, 0.5, 0.4,
                0.0999,
            ],
        );
        let data = Data::new().with("w", w.clone());
        let out = adapter.forward(data).unwrap();
        let y = out.f64("t", "w").unwrap();
        assert_eq!(y.shape(), &[2, 2, 3]);
        let back = adapter.inverse(&out).unwrap().f64("t", "w").unwrap();
        assert_close(&w, &back, 1e-9, &format!("{method:?}"));
        // the centre of the simplex maps to 0 for both methods
        assert!(
            y.iter().skip(3).take(3).all(|v| v.abs() < 1e-12),
            "{method:?}: {y}"
        );
        // any real vector maps onto the simplex
        let wide = Data::new().with("w", arr(&[1, 3], vec![-40.0, 0.0, 35.0]));
        let p = adapter.inverse(&wide).unwrap().f64("t", "w").unwrap();
        assert!(
            p.iter().all(|v| *v >= 0.0) && (p.sum() - 1.0).abs() < 1e-12,
            "{p}"
        );
        for free in [[0.1, 0.2, 0.3], [0.05, 0.6, 0.1], [0.3, 0.3, 0.3]] {
            check_log_det(&adapter, &free, simplex_data, "w");
        }
    }
}

/// `Σ = A Aᵀ + I` for the 3 × 3 matrix `A` of `seed`.
fn spd(seed: f64) -> Vec<f64> {
    let a: Vec<f64> = (0..9).map(|i| ((i as f64 + 1.0) * seed).sin()).collect();
    let mut s = vec![0.0; 9];
    for i in 0..3 {
        for j in 0..3 {
            s[i * 3 + j] = (0..3).map(|m| a[i * 3 + m] * a[j * 3 + m]).sum::<f64>()
                + if i == j { 1.0 } else { 0.0 };
        }
    }
    s
}

/// The covariance matrix from its 6 lower-triangle entries (row by row).
fn covariance_data(lower: &[f64]) -> Data {
    let mut s = vec![0.0; 9];
    let mut p = 0;
    for i in 0..3 {
        for j in 0..=i {
            s[i * 3 + j] = lower[p];
            s[j * 3 + i] = lower[p];
            p += 1;
        }
    }
    Data::new().with("cov", arr(&[1, 3, 3], s))
}

#[test]
fn covariance_matrices_round_trip_and_match_finite_differences() {
    for method in [ConstrainMethod::Softplus, ConstrainMethod::Exp] {
        let adapter = Adapter::new().as_covariance_matrix_with(&["cov"], method);
        let sigma: Vec<f64> = [0.7, 1.9].iter().flat_map(|s| spd(*s)).collect();
        let data = Data::new().with("cov", arr(&[2, 3, 3], sigma.clone()));
        let out = adapter.forward(data).unwrap();
        assert_eq!(out.get("cov").unwrap().shape(), &[2, 6]);
        let back = adapter.inverse(&out).unwrap().f64("t", "cov").unwrap();
        assert_close(&arr(&[2, 3, 3], sigma), &back, 1e-9, &format!("{method:?}"));
        for seed in [0.7, 1.9, 3.1] {
            let s = spd(seed);
            let lower = [s[0], s[3], s[4], s[6], s[7], s[8]];
            check_log_det(&adapter, &lower, covariance_data, "cov");
        }
    }
    // network draws (batch, draws, 6) come back as (batch, draws, 3, 3) valid matrices
    let adapter = Adapter::new().as_covariance_matrix(&["cov"]);
    let draws = Data::new().with(
        "cov",
        arr(
            &[2, 4, 6],
            (0..48).map(|i| (i as f64 * 0.7).sin() * 3.0).collect(),
        ),
    );
    let back = adapter.inverse(&draws).unwrap().f64("t", "cov").unwrap();
    assert_eq!(back.shape(), &[2, 4, 3, 3]);
    let again = adapter.forward(Data::new().with("cov", back)).unwrap();
    assert_close(
        &draws.f64("t", "cov").unwrap(),
        &again.f64("t", "cov").unwrap(),
        1e-8,
        "draws",
    );
}

#[test]
fn fixed_standardize_ignores_fitting_and_broadcasts_one_value() {
    let x = arr(&[2, 2], vec![1.0, 10.0, 3.0, 30.0]);
    let mut adapter = Adapter::new().standardize_fixed(&["x"], &[1.0, 10.0], &[2.0, 20.0]);
    let before = adapter.transforms().to_vec();
    adapter.fit(Data::new().with("x", x.clone())).unwrap();
    assert_eq!(adapter.transforms(), &before[..]);
    let y = adapter.forward(Data::new().with("x", x.clone())).unwrap();
    assert_eq!(
        y.f64("t", "x").unwrap(),
        arr(&[2, 2], vec![0.0, 0.0, 1.0, 1.0])
    );
    let ldj = adapter
        .log_det_jacobian(Data::new().with("x", x.clone()), "x")
        .unwrap();
    assert!((ldj[[0]] + 40f64.ln()).abs() < 1e-12);
    let one = Adapter::new().standardize_fixed(&["x"], &[1.0], &[2.0]);
    let y = one
        .forward(Data::new().with("x", x))
        .unwrap()
        .f64("t", "x")
        .unwrap();
    assert_eq!(y[[1, 1]], 14.5);
}

fn invalid(e: &AdapterError, transform: &str) -> bool {
    matches!(e, AdapterError::Invalid { transform: t, .. } if t == transform)
}

#[test]
fn bad_parameters_are_typed_errors() {
    let x = || Data::new().with("x", arr(&[2, 2], vec![0.2, 0.3, 0.4, 0.5]));
    let cases = [
        (Adapter::new().scale(&["x"], 0.0), "scale"),
        (Adapter::new().scale(&["x"], f64::INFINITY), "scale"),
        (Adapter::new().shift(&["x"], f64::NAN), "shift"),
        (
            Adapter::new().standardize_fixed(&["x"], &[0.0], &[0.0]),
            "standardize",
        ),
        (
            Adapter::new().standardize_fixed(&["x"], &[0.0], &[-1.0]),
            "standardize",
        ),
        (
            Adapter::new().standardize_fixed(&["x"], &[f64::NAN], &[1.0]),
            "standardize",
        ),
        (
            Adapter::new().constrain_with(&["x"], Some(0.0), None, ConstrainMethod::Tanh),
            "constrain",
        ),
        (
            Adapter::new().constrain_with(&["x"], Some(0.0), Some(1.0), ConstrainMethod::Exp),
            "constrain",
        ),
        (
            Adapter::new().constrain(&["x"], Some(2.0), Some(1.0)),
            "constrain",
        ),
        (Adapter::new().clip(&["x"], 1.0, 0.0), "clip"),
        (
            Adapter::new().as_covariance_matrix_with(&["x"], ConstrainMethod::Sigmoid),
            "as_covariance_matrix",
        ),
    ];
    for (adapter, name) in cases {
        let e = adapter.forward(x()).unwrap_err();
        assert!(invalid(&e, name), "{name}: {e}");
        assert!(adapter.validate().is_err(), "{name}");
        // a saved file with the bad parameter is refused when loading
        let e = Adapter::from_json(&adapter.to_json().unwrap()).unwrap_err();
        assert!(invalid(&e, name), "{name}: {e}");
    }
    let e = Adapter::new()
        .standardize_fixed(&["x"], &[0.0, 1.0, 2.0], &[1.0])
        .forward(x())
        .unwrap_err();
    assert!(matches!(e, AdapterError::Shape { .. }), "{e}");
}

#[test]
fn bad_data_are_typed_errors() {
    let simplex = Adapter::new().as_simplex(&["w"]);
    let e = simplex
        .forward(Data::new().with("w", arr(&[1, 3], vec![0.2, 0.2, 0.2])))
        .unwrap_err();
    assert!(
        matches!(e, AdapterError::Domain { value, .. } if (value - 0.6).abs() < 1e-12),
        "{e}"
    );
    let e = simplex
        .forward(Data::new().with("w", arr(&[1, 3], vec![-0.2, 0.6, 0.6])))
        .unwrap_err();
    assert!(
        matches!(e, AdapterError::Domain { value, .. } if value == -0.2),
        "{e}"
    );
    let e = simplex
        .forward(Data::new().with("w", arr(&[2, 1], vec![1.0, 1.0])))
        .unwrap_err();
    assert!(matches!(e, AdapterError::Shape { .. }), "{e}");
    let e = simplex
        .forward(Data::new().with("v", arr(&[1, 2], vec![0.5, 0.5])))
        .unwrap_err();
    assert!(
        matches!(e, AdapterError::MissingKey { ref key, .. } if key == "w"),
        "{e}"
    );

    let cov = Adapter::new().as_covariance_matrix(&["c"]);
    let m = |v: Vec<f64>| Data::new().with("c", arr(&[1, 2, 2], v));
    let e = cov.forward(m(vec![1.0, 0.5, 0.4, 1.0])).unwrap_err();
    assert!(
        matches!(e, AdapterError::Domain { .. }) && e.to_string().contains("symmetric"),
        "{e}"
    );
    let e = cov.forward(m(vec![1.0, 2.0, 2.0, 1.0])).unwrap_err();
    assert!(
        matches!(e, AdapterError::Domain { .. }) && e.to_string().contains("pivot"),
        "{e}"
    );
    let e = cov
        .forward(Data::new().with("c", arr(&[1, 2, 3], vec![1.0; 6])))
        .unwrap_err();
    assert!(matches!(e, AdapterError::Shape { .. }), "{e}");
    let e = cov
        .inverse(&Data::new().with("c", arr(&[1, 4], vec![0.0; 4])))
        .unwrap_err();
    assert!(
        invalid(&e, "as_covariance_matrix") && e.to_string().contains("K (K + 1) / 2"),
        "{e}"
    );

    let e = Adapter::new()
        .scale(&["nope"], 2.0)
        .forward(m(vec![1.0; 4]))
        .unwrap_err();
    assert!(
        matches!(e, AdapterError::MissingKey { ref transform, .. } if transform == "scale"),
        "{e}"
    );
}
