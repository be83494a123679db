//! Saving and loading: every transform survives a JSON round trip with the same outputs, and
//! every float in a saved adapter — fitted statistics and infinite bounds included — comes
//! back with the same bits.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

mod common;

use abi_adapter::{Adapter, AdapterError, ConstrainMethod, Data, SimplexMethod, Transform};
use common::arr;

/// Outputs compared bit by bit (NaN included).
fn bits(d: &Data) -> Vec<(String, Vec<usize>, Vec<u64>)> {
    d.iter()
        .map(|(n, a)| {
            (
                n.to_string(),
                a.shape().to_vec(),
                a.to_f64().iter().map(|v| v.to_bits()).collect(),
            )
        })
        .collect()
}

fn data() -> Data {
    let w: Vec<f64> = (0..3)
        .flat_map(|r| {
            let v = [1.0 + r as f64, 2.0, 3.0];
            let s: f64 = v.iter().sum();
            v.map(|x| x / s)
        })
        .collect();
    Data::new()
        .with("a", arr(&[3, 1], vec![0.3, -1.7, 2.9]))
        .with("p", arr(&[3, 1], vec![0.1, 0.5, 0.8]))
        .with("w", arr(&[3, 3], w))
        .with(
            "cov",
            arr(
                &[3, 2, 2],
                vec![2.0, 0.3, 0.3, 1.0, 1.0, -0.2, -0.2, 0.5, 4.0, 1.0, 1.0, 3.0],
            ),
        )
        .with(
            "x",
            arr(
                &[3, 5, 2],
                (0..30)
                    .map(|i| if i % 7 == 3 { f64::NAN } else { i as f64 / 3.0 })
                    .collect(),
            ),
        )
        .with("big", arr(&[3, 1], vec![-1e300, 5.0, 1e300]))
}

/// Every transform added in this version, fitted.
fn adapter() -> Adapter {
    let mut a = Adapter::new()
        .scale(&["a"], 1.0 / 3.0)
        .shift(&["a"], -0.1)
        .constrain_with(&["p"], Some(0.0), Some(1.0), ConstrainMethod::Tanh)
        .clip(&["big"], f64::NEG_INFINITY, 1e299)
        .constrain(&["big"], Some(f64::NEG_INFINITY), Some(f64::INFINITY))
        .as_simplex_with(&["w"], SimplexMethod::StickBreaking)
        .as_covariance_matrix_with(&["cov"], ConstrainMethod::Exp)
        .nan_to_num(&["x"], -0.5, true)
        .random_subsample(&["x", "mask_x"], 3, 1, 11)
        .take(&["x"], &[1, 0], -1)
        .standardize(&["x"])
        .standardize_fixed(&["a"], &[0.25], &[1.5])
        .group(&["x", "mask_x"], "summary_variables", "")
        .ungroup("summary_variables", "s_")
        .group(&["s_x", "s_mask_x"], "summary_variables", "s_")
        .concatenate(&["a", "p", "w", "cov"], "inference_variables");
    a.fit(data()).unwrap();
    a
}

#[test]
fn every_new_transform_survives_a_json_round_trip() {
    let a = adapter();
    let json = a.to_json().unwrap();
    let loaded = Adapter::from_json(&json).unwrap();
    assert_eq!(loaded.transforms(), a.transforms());
    assert_eq!(
        bits(&loaded.forward(data()).unwrap()),
        bits(&a.forward(data()).unwrap())
    );
    let (roles, ldj) = loaded
        .forward_with_log_det(data(), "inference_variables")
        .unwrap();
    assert_eq!(ldj.shape(), &[3]);
    let back = loaded.inverse(&roles).unwrap();
    for k in ["a", "p", "w", "cov"] {
        common::assert_close(
            &data().f64("t", k).unwrap(),
            &back.f64("t", k).unwrap(),
            1e-9,
            k,
        );
    }
    // written again, the file is the same
    assert_eq!(loaded.to_json().unwrap(), json);
}

#[test]
fn infinite_parameters_are_saved_as_strings_and_read_back_exactly() {
    let a = Adapter::new()
        .clip(&["x"], f64::NEG_INFINITY, f64::INFINITY)
        .constrain(&["y"], Some(f64::NEG_INFINITY), Some(1.0));
    let json = a.to_json().unwrap();
    assert!(
        json.contains(r#""lower": "-inf""#) && json.contains(r#""upper": "inf""#),
        "{json}"
    );
    assert!(
        !json.contains("null") || json.contains(r#""upper": 1.0"#),
        "{json}"
    );
    let loaded = Adapter::from_json(&json).unwrap();
    assert_eq!(loaded.transforms(), a.transforms());
    // through a serde_json::Value, as an approximator embeds its adapter in model.json
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        Adapter::from_json(&value.to_string()).unwrap().transforms(),
        a.transforms()
    );
}

#[test]
fn fitted_standardize_statistics_come_back_bit_exact() {
    // awkward values: thirds, tiny and huge numbers; the last feature's m2 overflows to inf
    let z = arr(
        &[4, 3],
        vec![
            1.0 / 3.0,
            1e-300,
            1e200,
            2.0 / 3.0,
            3e-300,
            -1e200,
            0.1,
            7e-301,
            1e200,
            1.7,
            5e-324,
            -1e200,
        ],
    );
    let mut a = Adapter::new().standardize(&["z"]);
    a.fit(Data::new().with("z", z.clone())).unwrap();
    a.partial_fit(Data::new().with("z", z.mapv(|v| v * 0.7)))
        .unwrap();
    let stats = |a: &Adapter| match &a.transforms()[0] {
        Transform::Standardize(s) => {
            let s = &s.stats["z"];
            let mut b = vec![s.count.to_bits()];
            b.extend(s.mean.iter().chain(&s.m2).map(|v| v.to_bits()));
            b
        }
        other => panic!("not a standardize: {other:?}"),
    };
    let before = stats(&a);
    assert!(
        f64::from_bits(before[6]).is_infinite(),
        "the test needs an infinite m2"
    );
    let json = a.to_json().unwrap();
    let loaded = Adapter::from_json(&json).unwrap();
    assert_eq!(stats(&loaded), before);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        stats(&Adapter::from_json(&value.to_string()).unwrap()),
        before
    );
    let d = Data::new().with("z", z);
    assert_eq!(
        bits(&loaded.forward(d.clone()).unwrap()),
        bits(&a.forward(d).unwrap())
    );
}

#[test]
fn malformed_files_are_typed_errors() {
    let json = adapter().to_json().unwrap();
    let e = Adapter::from_json(&json.replace(
        r#""transform": "as_simplex""#,
        r#""transform": "as_polytope""#,
    ))
    .unwrap_err();
    assert!(
        matches!(e, AdapterError::Format(ref m) if m.contains("as_polytope")),
        "{e}"
    );
    let e = Adapter::from_json(&json.replace(
        r#""sample_size": 3"#,
        r#""sample_size": 3, "replace": true"#,
    ))
    .unwrap_err();
    assert!(
        matches!(e, AdapterError::Format(ref m) if m.contains("replace")),
        "{e}"
    );
    let e = Adapter::from_json(&json.replace(r#""method": "tanh""#, r#""method": "cubic""#))
        .unwrap_err();
    assert!(
        matches!(e, AdapterError::Format(ref m) if m.contains("cubic")),
        "{e}"
    );
    let e = Adapter::from_json(&json.replace(r#""by": -0.1"#, r#""by": "lots""#)).unwrap_err();
    assert!(
        matches!(e, AdapterError::Format(ref m) if m.contains("lots")),
        "{e}"
    );
    let e = Adapter::from_json(&json.replace(r#""sample_size": 3"#, r#""sample_size": 0"#))
        .unwrap_err();
    assert!(
        matches!(e, AdapterError::Invalid { ref transform, .. } if transform == "random_subsample"),
        "{e}"
    );
}
