//! Hostile settings and mangled files: every one is a typed error at load or at the first
//! use, never a panic or an allocation the process cannot survive.
#![allow(clippy::unwrap_used)]

use abi_adapter::{Adapter, Data};
use ndarray::{ArrayD, IxDyn};

fn data() -> Data {
    Data::new()
        .with(
            "k",
            ArrayD::from_shape_vec(IxDyn(&[3]), vec![0i64, 2, 1]).unwrap(),
        )
        .with(
            "x",
            ArrayD::from_shape_vec(IxDyn(&[3, 2]), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap(),
        )
}

#[test]
fn a_huge_number_of_classes_is_refused_before_allocation() {
    let err = Adapter::new()
        .one_hot(&["k"], 1 << 40)
        .forward(data())
        .unwrap_err()
        .to_string();
    assert!(err.contains("num_classes"), "{err}");
    let json = Adapter::new().one_hot(&["k"], 3).to_json().unwrap();
    let mangled = json.replace("\"num_classes\": 3", "\"num_classes\": 1000000000000");
    assert_ne!(json, mangled);
    assert!(Adapter::from_json(&mangled).is_err());
}

#[test]
fn an_infinite_clip_bound_survives_a_round_trip() {
    let adapter = Adapter::new().clip(&["x"], f64::NEG_INFINITY, 3.5);
    let loaded = Adapter::from_json(&adapter.to_json().unwrap()).unwrap();
    let (a, b) = (
        adapter.forward(data()).unwrap(),
        loaded.forward(data()).unwrap(),
    );
    assert_eq!(a.f64("t", "x").unwrap(), b.f64("t", "x").unwrap());
}

/// Every array of numbers in a JSON value, cut to its first element.
fn truncate_number_arrays(value: &mut serde_json::Value) -> usize {
    match value {
        serde_json::Value::Array(items)
            if items.len() > 1 && items.iter().all(serde_json::Value::is_number) =>
        {
            items.truncate(1);
            1
        }
        serde_json::Value::Array(items) => items.iter_mut().map(truncate_number_arrays).sum(),
        serde_json::Value::Object(map) => map.values_mut().map(truncate_number_arrays).sum(),
        _ => 0,
    }
}

#[test]
fn mangled_statistics_and_empty_key_lists_are_errors_not_panics() {
    let mut fitted = Adapter::new().standardize(&["x"]);
    fitted.fit(data()).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&fitted.to_json().unwrap()).unwrap();
    assert!(truncate_number_arrays(&mut value) > 0, "{value}");
    match Adapter::from_json(&value.to_string()) {
        Err(_) => {}
        Ok(loaded) => assert!(loaded.forward(data()).is_err()),
    }
    // concatenating nothing
    let err = Adapter::new()
        .concatenate::<&str>(&[], "joined")
        .forward(data());
    assert!(err.is_err());
}

/// The paths of every array of numbers in a JSON value.
fn number_arrays(value: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Array(items)
            if !items.is_empty() && items.iter().all(|v| v.is_number()) =>
        {
            out.push(at)
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                number_arrays(v, format!("{at}/{i}"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                number_arrays(v, format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn each_statistic_cut_short_or_lengthened_alone_is_an_error_not_a_panic() {
    let mut fitted = Adapter::new()
        .standardize(&["x"])
        .concatenate(&["x", "x2"], "joined");
    let with_x2 = data().with(
        "x2",
        ArrayD::from_shape_vec(IxDyn(&[3, 1]), vec![1.0, 0.0, 2.0]).unwrap(),
    );
    fitted.fit(with_x2.clone()).unwrap();
    let value: serde_json::Value = serde_json::from_str(&fitted.to_json().unwrap()).unwrap();
    let mut paths = Vec::new();
    number_arrays(&value, String::new(), &mut paths);
    assert!(paths.len() >= 3, "{paths:?}");
    for path in &paths {
        for change in ["cut", "grow", "huge"] {
            let mut mangled = value.clone();
            let items = mangled.pointer_mut(path).unwrap().as_array_mut().unwrap();
            match change {
                "cut" => items.truncate(items.len() - 1),
                "grow" => items.push(serde_json::json!(1.0)),
                _ => items
                    .iter_mut()
                    .for_each(|v| *v = serde_json::json!(u64::MAX)),
            }
            // an error at load, or at the first forward or inverse pass; a panic fails
            if let Ok(loaded) = Adapter::from_json(&mangled.to_string()) {
                if let Ok(out) = loaded.forward(with_x2.clone()) {
                    let _ = loaded.inverse(&out);
                }
            }
        }
    }
}
