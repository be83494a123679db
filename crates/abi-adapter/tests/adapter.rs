//! Adapter behaviour: inverses, log-det-Jacobians, serialisation, BayesFlow's running example,
//! and errors.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use abi_adapter::{Adapter, AdapterError, CustomTransform, DType, Data};
use abi_sim::{Array, Batch};
use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;

fn arr(shape: &[usize], data: Vec<f64>) -> ArrayD<f64> {
    ArrayD::from_shape_vec(IxDyn(shape), data).unwrap()
}

fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

fn assert_same(original: &Data, back: &Data, keys: &[&str]) {
    for k in keys {
        let a = original.f64("test", k).unwrap();
        let b = back.f64("test", k).unwrap();
        assert_eq!(a.shape(), b.shape(), "{k}");
        for (x, y) in a.iter().zip(b.iter()) {
            assert!(rel_close(*x, *y, 1e-6), "{k}: {x} came back as {y}");
        }
    }
}

/// An adapter using every invertible transform on the parameters.
fn full_adapter() -> Adapter {
    Adapter::new()
        .constrain(&["sigma"], Some(0.0), None)
        .constrain(&["p"], Some(0.0), Some(1.0))
        .constrain(&["neg"], None, Some(2.0))
        .log(&["rate"], false)
        .log(&["count"], true)
        .sqrt(&["var"])
        .standardize(&["mu"])
        .concatenate(
            &["mu", "sigma", "p", "neg", "rate", "count", "var"],
            "theta",
        )
        .split("theta", &["left", "right"], &[3, 4])
        .expand_dims(&["left"], 1)
        .squeeze(&["left"], 1)
        .concatenate(&["left", "right"], "both")
        .rename("both", "inference_variables")
        .convert_dtype(&["inference_variables"], DType::F32)
}

fn params(rows: usize, v: &[f64]) -> Data {
    // v holds, per row, 7 values in (0, 1) mapped into each transform's domain
    let col = |j: usize, f: &dyn Fn(f64) -> f64| {
        arr(&[rows, 1], (0..rows).map(|r| f(v[r * 7 + j])).collect())
    };
    Data::new()
        .with("mu", col(0, &|u| 10.0 * u - 5.0))
        .with("sigma", col(1, &|u| 0.01 + 5.0 * u))
        .with("p", col(2, &|u| 0.01 + 0.98 * u))
        .with("neg", col(3, &|u| 1.99 - 10.0 * u))
        .with("rate", col(4, &|u| 0.05 + 3.0 * u))
        .with("count", col(5, &|u| -0.9 + 20.0 * u))
        .with("var", col(6, &|u| 0.01 + 4.0 * u))
}

const KEYS: [&str; 7] = ["mu", "sigma", "p", "neg", "rate", "count", "var"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn forward_then_inverse_is_the_identity(v in proptest::collection::vec(0.001f64..0.999, 7 * 5)) {
        let data = params(5, &v);
        // in f64: the f32 conversion is the one deliberately lossy step, checked separately
        let mut adapter = without_f32(&full_adapter());
        adapter.fit(data.clone()).unwrap();
        let roles = adapter.forward(data.clone()).unwrap();
        let back = adapter.inverse(&roles).unwrap();
        assert_same(&data, &back, &KEYS);
    }

    #[test]
    fn log_det_jacobian_matches_finite_differences(v in proptest::collection::vec(0.05f64..0.95, 7)) {
        let data = params(1, &v);
        let mut adapter = full_adapter();
        adapter.fit(params(4, &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3,
            0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.2, 0.4, 0.6, 0.8, 0.1, 0.3, 0.9])).unwrap();
        let ldj = adapter.log_det_jacobian(data.clone(), "inference_variables").unwrap();
        prop_assert_eq!(ldj.shape(), &[1]);
        // numerical Jacobian of the 7 inputs -> 7 outputs (in f64, before the f32 cast)
        let f64_adapter = without_f32(&adapter);
        let out = |d: &Data| f64_adapter.forward(d.clone()).unwrap().f64("t", "inference_variables").unwrap();
        let mut jac = vec![0.0; 49];
        for (j, key) in KEYS.iter().enumerate() {
            let x = data.f64("t", key).unwrap()[[0, 0]];
            let h = 1e-6 * (1.0 + x.abs());
            let shifted = |dx: f64| data.clone().with(*key, arr(&[1, 1], vec![x + dx]));
            let (up, down) = (out(&shifted(h)), out(&shifted(-h)));
            for i in 0..7 {
                jac[i * 7 + j] = (up[[0, i]] - down[[0, i]]) / (2.0 * h);
            }
        }
        let numeric = log_abs_det(&mut jac, 7);
        prop_assert!(rel_close(ldj[[0]], numeric, 1e-4), "ldj {} vs finite differences {}", ldj[[0]], numeric);
    }
}

fn without_f32(adapter: &Adapter) -> Adapter {
    adapter
        .transforms()
        .iter()
        .filter(|t| !matches!(t, abi_adapter::Transform::ConvertDType { .. }))
        .fold(Adapter::new(), |a, t| a.push(t.clone()))
}

/// `ln |det A|` by Gaussian elimination with partial pivoting.
fn log_abs_det(a: &mut [f64], n: usize) -> f64 {
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

#[test]
fn samples_with_a_draws_axis_invert_too() {
    let data = params(
        3,
        &(0..21).map(|i| (i as f64 + 0.5) / 21.0).collect::<Vec<_>>(),
    );
    let mut adapter = full_adapter();
    adapter.fit(data.clone()).unwrap();
    let data_copy = data.clone();
    let iv = adapter
        .forward(data)
        .unwrap()
        .get("inference_variables")
        .unwrap()
        .to_f64();
    // pretend the network drew 4 samples per data set: (3, 4, 7)
    let draws = iv
        .insert_axis(ndarray::Axis(1))
        .broadcast(IxDyn(&[3, 4, 7]))
        .unwrap()
        .to_owned();
    let back = adapter
        .inverse(&Data::new().with("inference_variables", draws))
        .unwrap();
    assert_eq!(back.get("sigma").unwrap().shape(), &[3, 4, 1]);
    // each of the 4 draws of a data set returns that data set's parameters (through f32)
    for key in KEYS {
        let orig = data_copy.f64("t", key).unwrap();
        let b = back.f64("t", key).unwrap();
        for r in 0..3 {
            for s in 0..4 {
                assert!(
                    rel_close(b[[r, s, 0]], orig[[r, 0]], 1e-5),
                    "{key}: {} vs {}",
                    b[[r, s, 0]],
                    orig[[r, 0]]
                );
            }
        }
    }
    assert!(back.f64("t", "sigma").unwrap().iter().all(|v| *v > 0.0));
    assert!(
        back.f64("t", "p")
            .unwrap()
            .iter()
            .all(|v| *v > 0.0 && *v < 1.0)
    );
}

#[test]
fn json_round_trip_gives_identical_outputs() {
    let data = params(
        6,
        &(0..42)
            .map(|i| ((i * 37) % 42) as f64 / 43.0 + 0.01)
            .collect::<Vec<_>>(),
    );
    let mut adapter = full_adapter();
    adapter.fit(data.clone()).unwrap();
    let json = adapter.to_json().unwrap();
    let loaded = Adapter::from_json(&json).unwrap();
    assert_eq!(loaded.transforms(), adapter.transforms());
    assert_eq!(
        loaded.forward(data.clone()).unwrap(),
        adapter.forward(data).unwrap()
    );
    // wrong format, version or transform name are typed errors
    let e = Adapter::from_json(&json.replace("\"version\": 1", "\"version\": 7")).unwrap_err();
    assert!(
        matches!(e, AdapterError::Format(ref m) if m.contains("version")),
        "{e}"
    );
    let e = Adapter::from_json(&json.replace("\"standardize\"", "\"whiten\"")).unwrap_err();
    assert!(
        matches!(e, AdapterError::Format(ref m) if m.contains("whiten")),
        "{e}"
    );
    let e = Adapter::from_json(&json.replace("abi-adapter", "something-else")).unwrap_err();
    assert!(matches!(e, AdapterError::Format(_)), "{e}");
    assert!(matches!(
        Adapter::from_json("{"),
        Err(AdapterError::Format(_))
    ));
}

#[test]
fn bayesflow_running_example() {
    // mu, sigma -> inference variables; n -> inference conditions; x and observed -> summary
    let (b, n_obs) = (4, 5);
    let mut batch = Batch::new();
    batch
        .insert("mu", arr(&[b, 1], vec![0.1, -0.3, 1.2, 0.0]))
        .unwrap();
    batch
        .insert("sigma", arr(&[b, 1], vec![0.5, 1.0, 2.0, 0.1]))
        .unwrap();
    batch.insert("n", arr(&[b, 1], vec![5.0; b])).unwrap();
    batch
        .insert(
            "x",
            arr(
                &[b, n_obs],
                (0..b * n_obs).map(|i| i as f64 * 0.1).collect(),
            ),
        )
        .unwrap();
    batch
        .insert(
            "observed",
            arr(
                &[b, n_obs],
                (0..b * n_obs).map(|i| (i % 2) as f64).collect(),
            ),
        )
        .unwrap();
    let mut adapter = Adapter::new()
        .as_set(&["x", "observed"])
        .constrain(&["sigma"], Some(0.0), None)
        .concatenate(&["mu", "sigma"], "inference_variables")
        .rename("n", "inference_conditions")
        .concatenate(&["x", "observed"], "summary_variables")
        .convert_dtype(
            &[
                "inference_variables",
                "inference_conditions",
                "summary_variables",
            ],
            DType::F32,
        );
    adapter.fit(&batch).unwrap();
    let roles = adapter.forward(&batch).unwrap();
    let names: Vec<&str> = roles.names().collect();
    assert_eq!(
        names,
        [
            "inference_variables",
            "inference_conditions",
            "summary_variables"
        ]
    );
    assert_eq!(roles.get("inference_variables").unwrap().shape(), &[b, 2]);
    assert_eq!(roles.get("inference_conditions").unwrap().shape(), &[b, 1]);
    assert_eq!(
        roles.get("summary_variables").unwrap().shape(),
        &[b, n_obs, 2]
    );
    assert!(matches!(
        roles.get("summary_variables").unwrap(),
        Array::F32(_)
    ));
    let iv = roles.f64("t", "inference_variables").unwrap();
    assert_eq!(iv[[2, 0]], 1.2f32 as f64);
    assert!(
        (iv[[2, 1]] - 2.0f64.exp_m1().ln()).abs() < 1e-6,
        "sigma = 2 maps to ln(e² − 1)"
    );
    let back = adapter.inverse(&roles).unwrap();
    assert!((back.f64("t", "sigma").unwrap()[[3, 0]] - 0.1).abs() < 1e-6);
    assert!((back.f64("t", "mu").unwrap()[[1, 0]] + 0.3).abs() < 1e-6);
}

#[test]
fn structural_transforms() {
    let d = Data::new()
        .with(
            "k",
            ArrayD::from_shape_vec(IxDyn(&[3]), vec![0i64, 2, 1]).unwrap(),
        )
        .with("n", arr(&[1], vec![7.0]))
        .with("x", arr(&[3, 2], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
        .with("big", arr(&[3, 1], vec![-5.0, 0.5, 9.0]));
    let adapter = Adapter::new()
        .one_hot(&["k"], 3)
        .broadcast(&["n"], "x")
        .clip(&["big"], -1.0, 1.0)
        .keep(&["k", "n", "big"]);
    let out = adapter.forward(d).unwrap();
    assert_eq!(out.names().collect::<Vec<_>>(), ["k", "n", "big"]);
    assert_eq!(
        out.f64("t", "k").unwrap(),
        arr(&[3, 3], vec![1., 0., 0., 0., 0., 1., 0., 1., 0.])
    );
    assert_eq!(out.f64("t", "n").unwrap(), arr(&[3], vec![7.0; 3]));
    assert_eq!(
        out.f64("t", "big").unwrap(),
        arr(&[3, 1], vec![-1.0, 0.5, 1.0])
    );
    let back = adapter.inverse(&out).unwrap();
    assert_eq!(back.f64("t", "k").unwrap(), arr(&[3], vec![0.0, 2.0, 1.0]));
}

#[test]
fn running_standardisation_matches_a_single_fit() {
    let all = arr(
        &[6, 2],
        vec![
            1.0, 10.0, 2.0, 20.0, 3.0, 30.0, 4.0, 40.0, 5.0, 50.0, 6.0, 60.0,
        ],
    );
    let part = |a: usize, b: usize| {
        Data::new().with("z", all.slice(ndarray::s![a..b, ..]).to_owned().into_dyn())
    };
    let mut once = Adapter::new().standardize(&["z"]);
    once.fit(part(0, 6)).unwrap();
    let mut running = Adapter::new().standardize(&["z"]);
    running.partial_fit(part(0, 2)).unwrap();
    running.partial_fit(part(2, 5)).unwrap();
    running.partial_fit(part(5, 6)).unwrap();
    let (a, b) = (
        once.forward(part(0, 6)).unwrap(),
        running.forward(part(0, 6)).unwrap(),
    );
    let (a, b) = (a.f64("t", "z").unwrap(), b.f64("t", "z").unwrap());
    for (x, y) in a.iter().zip(b.iter()) {
        assert!((x - y).abs() < 1e-12);
    }
    // standardised columns have mean 0 and variance 1
    let col: Vec<f64> = a.index_axis(ndarray::Axis(1), 1).iter().copied().collect();
    assert!(col.iter().sum::<f64>().abs() < 1e-12);
    assert!((col.iter().map(|v| v * v).sum::<f64>() / 6.0 - 1.0).abs() < 1e-12);
}

struct Double;
impl CustomTransform for Double {
    fn forward(&self, x: &ArrayD<f64>) -> Result<ArrayD<f64>, String> {
        Ok(x * 2.0)
    }
    fn inverse(&self, y: &ArrayD<f64>) -> Option<Result<ArrayD<f64>, String>> {
        Some(Ok(y / 2.0))
    }
}

#[test]
fn custom_transforms_are_registered_by_name() {
    let adapter = Adapter::new().custom("double", &["x"], Double);
    let d = Data::new().with("x", arr(&[2], vec![1.0, 2.5]));
    assert_eq!(
        adapter.forward(d.clone()).unwrap().f64("t", "x").unwrap(),
        arr(&[2], vec![2.0, 5.0])
    );
    let mut loaded = Adapter::from_json(&adapter.to_json().unwrap()).unwrap();
    assert!(
        matches!(loaded.forward(d.clone()), Err(AdapterError::UnregisteredCustom(ref n)) if n == "double")
    );
    loaded.register("double", Double);
    let y = loaded.forward(d.clone()).unwrap();
    assert_eq!(
        loaded.inverse(&y).unwrap().f64("t", "x").unwrap(),
        arr(&[2], vec![1.0, 2.5])
    );
}

#[test]
fn errors_name_keys_and_shapes() {
    let d = Data::new()
        .with("a", arr(&[2, 3], vec![1.0; 6]))
        .with("b", arr(&[3, 3], vec![1.0; 9]));
    let e = Adapter::new()
        .rename("c", "z")
        .forward(d.clone())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`c`") && e.contains("\"a\"") && e.contains("\"b\""),
        "{e}"
    );
    let e = Adapter::new()
        .concatenate(&["a", "b"], "ab")
        .forward(d.clone())
        .unwrap_err()
        .to_string();
    assert!(e.contains("[2, 3]") && e.contains("[3, 3]"), "{e}");
    let bad = Data::new().with("s", arr(&[2, 1], vec![1.0, -1.0]));
    let e = Adapter::new()
        .constrain(&["s"], Some(0.0), None)
        .forward(bad)
        .unwrap_err();
    assert!(
        matches!(e, AdapterError::Domain { value, .. } if value == -1.0),
        "{e}"
    );
    let e = Adapter::new().standardize(&["a"]).forward(d).unwrap_err();
    assert!(matches!(e, AdapterError::NotFitted { .. }), "{e}");
}

#[test]
fn forward_available_maps_conditions_without_parameters() {
    let mut batch = Batch::new();
    batch
        .insert(
            "theta",
            arr(&[4, 2], vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]),
        )
        .unwrap();
    batch
        .insert(
            "x",
            arr(&[4, 2], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 9.0]),
        )
        .unwrap();
    let mut adapter = Adapter::new()
        .standardize(&["theta", "x"])
        .rename("theta", "inference_variables")
        .concatenate(&["x"], "inference_conditions");
    adapter.fit(&batch).unwrap();
    let full = adapter.forward(&batch).unwrap();
    let only_x = Data::new().with("x", batch.get("x").unwrap().clone());
    // strict forward needs every entry; the lenient one maps what is there
    assert!(adapter.forward(only_x.clone()).is_err());
    let cond = adapter.forward_available(only_x).unwrap();
    assert_eq!(cond.names().collect::<Vec<_>>(), ["inference_conditions"]);
    assert_eq!(
        cond.f64("test", "inference_conditions").unwrap(),
        full.f64("test", "inference_conditions").unwrap()
    );
    // a concatenation with only some parts present is an error naming the missing part
    let two = Adapter::new().concatenate(&["a", "b"], "c");
    let err = two
        .forward_available(Data::new().with("a", arr(&[1, 1], vec![1.0])))
        .unwrap_err();
    assert!(err.to_string().contains('b'), "{err}");
}

#[test]
fn masked_standardize_ignores_padding() {
    // two data sets of 3 slots × 1 feature; the second has one padded slot holding 100
    let x = arr(&[2, 3, 1], vec![1.0, 2.0, 3.0, 4.0, 5.0, 100.0]);
    let mask = arr(&[2, 3], vec![1.0, 1.0, 1.0, 1.0, 1.0, 0.0]);
    let data = Data::new().with("x", x).with("mask_x", mask);
    let mut adapter = Adapter::new().standardize_masked(&["x"], "mask_x");
    adapter.fit(data.clone()).unwrap();
    let y = adapter.forward(data.clone()).unwrap();
    let y = y.f64("test", "x").unwrap();
    // mean 3 and population sd √2 over the five real values; the padding stays 0
    let want = [-2.0, -1.0, 0.0, 1.0, 2.0].map(|v: f64| v / 2f64.sqrt());
    for (i, w) in want.iter().enumerate() {
        assert!((y.as_slice().unwrap()[i] - w).abs() < 1e-12);
    }
    assert_eq!(y.as_slice().unwrap()[5], 0.0);
    // a mask of the wrong shape is an error naming it
    let bad = Data::new()
        .with("x", arr(&[2, 3, 1], vec![0.0; 6]))
        .with("mask_x", arr(&[2, 2], vec![1.0; 4]));
    assert!(adapter.forward(bad).is_err());
    // the JSON keeps the mask
    let back = Adapter::from_json(&adapter.to_json().unwrap()).unwrap();
    assert_eq!(back.forward(data).unwrap().f64("t", "x").unwrap(), y);
}

#[test]
fn concatenating_one_value_per_data_set_is_an_error_with_a_hint() {
    let data = Data::new()
        .with("a", arr(&[3], vec![1.0, 2.0, 3.0]))
        .with("b", arr(&[3], vec![4.0, 5.0, 6.0]));
    let err = Adapter::new()
        .concatenate(&["a", "b"], "c")
        .forward(data)
        .unwrap_err()
        .to_string();
    assert!(err.contains("expand_dims") && err.contains("`a`"), "{err}");
}
