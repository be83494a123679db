//! The structural transforms added for BayesFlow users — nan_to_num, group/ungroup, take,
//! random_subsample — and custom functions missing after loading.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

mod common;

use abi_adapter::{Adapter, AdapterError, CustomTransform, Data, nan_mask_key};
use common::{arr, assert_close};
use ndarray::ArrayD;

#[test]
fn nan_to_num_fills_missing_values_and_its_mask_restores_them() {
    let x = arr(&[2, 3], vec![1.0, f64::NAN, 3.0, f64::NAN, 5.0, 6.0]);
    let plain = Adapter::new().nan_to_num(&["x"], -1.0, false);
    let out = plain.forward(Data::new().with("x", x.clone())).unwrap();
    assert_eq!(
        out.f64("t", "x").unwrap(),
        arr(&[2, 3], vec![1.0, -1.0, 3.0, -1.0, 5.0, 6.0])
    );
    assert_eq!(out.len(), 1);
    // without a mask the inverse cannot tell filled values from real ones
    assert_eq!(plain.inverse(&out).unwrap(), out);

    let masked = Adapter::new().nan_to_num(&["x"], 0.0, true);
    let out = masked.forward(Data::new().with("x", x.clone())).unwrap();
    assert_eq!(nan_mask_key("x"), "mask_x");
    assert_eq!(
        out.f64("t", "mask_x").unwrap(),
        arr(&[2, 3], vec![1.0, 0.0, 1.0, 0.0, 1.0, 1.0])
    );
    assert_eq!(out.f64("t", "x").unwrap()[[0, 1]], 0.0);
    let back = masked.inverse(&out).unwrap();
    assert_eq!(back.names().collect::<Vec<_>>(), ["x"]);
    assert_close(&x, &back.f64("t", "x").unwrap(), 0.0, "x");
    // the log-det of the observed values is unchanged
    let ldj = masked
        .log_det_jacobian(Data::new().with("x", x.clone()), "x")
        .unwrap();
    assert_eq!(ldj, arr(&[2], vec![0.0, 0.0]));

    let taken = Data::new().with("x", x.clone()).with("mask_x", x.clone());
    let e = masked.forward(taken).unwrap_err();
    assert!(
        matches!(e, AdapterError::Invalid { .. }) && e.to_string().contains("mask_x"),
        "{e}"
    );
    let e = Adapter::new()
        .nan_to_num(&["x"], f64::NAN, true)
        .forward(Data::new().with("x", x))
        .unwrap_err();
    assert!(matches!(e, AdapterError::Invalid { .. }), "{e}");
}

fn summaries() -> Data {
    Data::new()
        .with(
            "summary_x",
            arr(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
        )
        .with("summary_t", arr(&[2, 1], vec![0.5, 0.7]))
        .with("theta", arr(&[2, 1], vec![0.1, 0.2]))
}

#[test]
fn group_collects_entries_and_ungroup_takes_them_out() {
    let adapter =
        Adapter::new().group(&["summary_x", "summary_t"], "summary_variables", "summary_");
    let out = adapter.forward(summaries()).unwrap();
    assert_eq!(
        out.names().collect::<Vec<_>>(),
        ["theta", "summary_variables/x", "summary_variables/t"]
    );
    let group = out.group("summary_variables");
    assert_eq!(group.names().collect::<Vec<_>>(), ["x", "t"]);
    assert_eq!(group.get("x"), summaries().get("summary_x"));
    assert!(out.group("theta").is_empty());
    assert_eq!(
        adapter.inverse(&out).unwrap().names().collect::<Vec<_>>(),
        ["theta", "summary_x", "summary_t"]
    );

    // and back out, with another prefix; the fitted members let the inverse regroup
    let mut both = adapter.clone().ungroup("summary_variables", "s_");
    both.fit(summaries()).unwrap();
    let flat = both.forward(summaries()).unwrap();
    assert_eq!(flat.names().collect::<Vec<_>>(), ["theta", "s_x", "s_t"]);
    let back = both.inverse(&flat).unwrap();
    assert_eq!(back.len(), 3);
    for (k, a) in summaries().iter() {
        assert_eq!(back.get(k), Some(a), "{k}");
    }

    // a constrained entry keeps its log-det when grouped
    let ldj = Adapter::new()
        .constrain(&["theta"], Some(0.0), None)
        .group(&["theta"], "g", "")
        .log_det_jacobian(summaries(), "g/theta")
        .unwrap();
    assert!(ldj.iter().all(|v| *v > 0.0), "{ldj}");

    let e = Adapter::new()
        .ungroup("nothing", "")
        .forward(summaries())
        .unwrap_err();
    assert!(
        matches!(e, AdapterError::MissingKey { ref key, .. } if key == "nothing/*"),
        "{e}"
    );
    let e = Adapter::new()
        .group(&["theta"], "g", "summary_")
        .forward(summaries())
        .unwrap_err();
    assert!(
        matches!(e, AdapterError::Invalid { .. }) && e.to_string().contains("prefix"),
        "{e}"
    );
    let clash = summaries().with("g/theta", arr(&[1], vec![0.0]));
    let e = Adapter::new()
        .group(&["theta"], "g", "")
        .forward(clash)
        .unwrap_err();
    assert!(
        matches!(e, AdapterError::Invalid { .. }) && e.to_string().contains("g/theta"),
        "{e}"
    );
    let e = Adapter::new()
        .group(&["nope"], "g", "")
        .forward(summaries())
        .unwrap_err();
    assert!(matches!(e, AdapterError::MissingKey { .. }), "{e}");
    // at inference time a group of absent entries is skipped
    let only = Adapter::new()
        .group(&["summary_x"], "g", "")
        .ungroup("h", "");
    assert_eq!(
        only.forward_available(Data::new().with("theta", arr(&[1], vec![1.0])))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn take_keeps_chosen_positions() {
    let x = arr(&[2, 4], vec![0.0, 1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 13.0]);
    let d = || Data::new().with("x", x.clone());
    let last = Adapter::new().take(&["x"], &[3, 0, 0], -1);
    assert_eq!(
        last.forward(d()).unwrap().f64("t", "x").unwrap(),
        arr(&[2, 3], vec![3.0, 0.0, 0.0, 13.0, 10.0, 10.0])
    );
    let rows = Adapter::new().take(&["x"], &[1], 0);
    assert_eq!(
        rows.forward(d()).unwrap().f64("t", "x").unwrap(),
        arr(&[1, 4], vec![10.0, 11.0, 12.0, 13.0])
    );
    // not invertible: the inverse passes values through
    let out = last.forward(d()).unwrap();
    assert_eq!(last.inverse(&out).unwrap(), out);
    // the log-det follows rows taken, and refuses features dropped
    let pos = Data::new().with("x", x.mapv(|v| v + 1.0));
    let constrained = Adapter::new().constrain(&["x"], Some(0.0), None);
    let all = constrained.log_det_jacobian(pos.clone(), "x").unwrap();
    let one = constrained
        .clone()
        .take(&["x"], &[1], 0)
        .log_det_jacobian(pos.clone(), "x")
        .unwrap();
    assert_eq!(one, arr(&[1], vec![all[[1]]]));
    assert!(
        constrained
            .take(&["x"], &[1], -1)
            .log_det_jacobian(pos, "x")
            .is_err()
    );

    let e = Adapter::new()
        .take(&["x"], &[4], -1)
        .forward(d())
        .unwrap_err();
    assert!(
        matches!(e, AdapterError::Invalid { .. }) && e.to_string().contains("index 4"),
        "{e}"
    );
    let e = Adapter::new()
        .take(&["x"], &[0], 2)
        .forward(d())
        .unwrap_err();
    assert!(
        matches!(e, AdapterError::Invalid { .. }) && e.to_string().contains("axis 2"),
        "{e}"
    );
    let e = Adapter::new()
        .take(&["x"], &[], -1)
        .forward(d())
        .unwrap_err();
    assert!(matches!(e, AdapterError::Invalid { .. }), "{e}");
    let e = Adapter::new()
        .take(&["y"], &[0], -1)
        .forward(d())
        .unwrap_err();
    assert!(matches!(e, AdapterError::MissingKey { .. }), "{e}");
}

#[test]
fn random_subsample_is_seeded_aligned_and_of_fixed_size() {
    // (batch 2, set 10, features 2); the mask shares the set axis
    let x = arr(&[2, 10, 2], (0..40).map(f64::from).collect());
    let mask = x.mapv(|v| v + 1000.0);
    let d = || Data::new().with("x", x.clone()).with("mask", mask.clone());
    let adapter = Adapter::new().random_subsample(&["x", "mask"], 4, 1, 7);
    let out = adapter.forward(d()).unwrap();
    let (sx, sm) = (out.f64("t", "x").unwrap(), out.f64("t", "mask").unwrap());
    assert_eq!(sx.shape(), &[2, 4, 2]);
    assert_close(
        &sx.mapv(|v| v + 1000.0),
        &sm,
        0.0,
        "the same positions for every key",
    );
    // positions are distinct, in order, and the same for every data set of the batch
    let pos: Vec<f64> = (0..4).map(|i| sx[[0, i, 0]] / 2.0).collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{pos:?}");
    assert!((0..4).all(|i| sx[[1, i, 0]] == sx[[0, i, 0]] + 20.0));
    // reproducible; another seed or other data give another subsample
    assert_eq!(adapter.forward(d()).unwrap(), out);
    let other = (0..5u64).map(|s| {
        Adapter::new()
            .random_subsample(&["x", "mask"], 4, 1, s)
            .forward(d())
            .unwrap()
    });
    assert!(other.into_iter().any(|o| o != out));
    assert_eq!(adapter.inverse(&out).unwrap(), out);

    let e = Adapter::new()
        .random_subsample(&["x"], 11, 1, 0)
        .forward(d())
        .unwrap_err();
    assert!(
        matches!(e, AdapterError::Invalid { .. }) && e.to_string().contains("11"),
        "{e}"
    );
    let e = Adapter::new()
        .random_subsample(&["x"], 0, 1, 0)
        .forward(d())
        .unwrap_err();
    assert!(matches!(e, AdapterError::Invalid { .. }), "{e}");
    let short = d().with("mask", arr(&[2, 9, 2], vec![0.0; 36]));
    let e = adapter.forward(short).unwrap_err();
    assert!(
        matches!(e, AdapterError::Shape { ref key, .. } if key == "mask"),
        "{e}"
    );
}

struct Twice;
impl CustomTransform for Twice {
    fn forward(&self, x: &ArrayD<f64>) -> Result<ArrayD<f64>, String> {
        Ok(x * 2.0)
    }
}

#[test]
fn a_loaded_adapter_names_its_unregistered_custom_functions() {
    let adapter = Adapter::new()
        .custom("twice", &["x"], Twice)
        .custom("thrice", &["x"], Twice)
        .custom("twice", &["x"], Twice);
    assert!(adapter.missing_custom().is_empty());
    let mut loaded = Adapter::from_json(&adapter.to_json().unwrap()).unwrap();
    assert_eq!(loaded.missing_custom(), ["twice", "thrice"]);
    let d = Data::new().with("x", arr(&[1], vec![1.0]));
    let e = loaded.forward(d.clone()).unwrap_err();
    assert!(
        matches!(e, AdapterError::UnregisteredCustom(ref n) if n == "twice"),
        "{e}"
    );
    assert!(e.to_string().contains("register it again"), "{e}");
    loaded.register("twice", Twice);
    assert_eq!(loaded.missing_custom(), ["thrice"]);
    let e = loaded.inverse(&d).unwrap_err();
    assert!(
        matches!(e, AdapterError::UnregisteredCustom(ref n) if n == "thrice"),
        "{e}"
    );
    loaded.register("thrice", Twice);
    assert!(loaded.missing_custom().is_empty());
    assert_eq!(
        loaded.forward(d).unwrap().f64("t", "x").unwrap(),
        arr(&[1], vec![8.0])
    );
}
