//! C2ST: chance for one distribution, the Bayes-optimal accuracy for a unit shift, agreement
//! with scikit-learn on a committed fixture, the fast variant, and typed errors.

use crate::common::gaussian_sample;
use abi_diag::{C2stConfig, DiagError, c2st, c2st_with};
use ndarray::Array2;

fn fixture_set(v: &serde_json::Value, key: &str) -> Array2<f64> {
    let rows = v[key].as_array().unwrap();
    Array2::from_shape_fn((rows.len(), 2), |(i, j)| rows[i][j].as_f64().unwrap())
}

#[test]
fn c2st_is_at_chance_for_equal_distributions_and_optimal_for_a_shift() {
    let same = c2st(
        gaussian_sample(1000, 1, 0.0, 1).view(),
        gaussian_sample(1000, 1, 0.0, 2).view(),
        0,
    )
    .unwrap();
    assert!(
        (same - 0.5).abs() < 0.035,
        "same distribution scored {same}"
    );
    // N(1, 1) against N(0, 1): the best classifier is right with probability Φ(1/2) = 0.691
    let shifted = c2st(
        gaussian_sample(1000, 1, 1.0, 3).view(),
        gaussian_sample(1000, 1, 0.0, 4).view(),
        0,
    )
    .unwrap();
    assert!(
        (shifted - 0.691).abs() < 0.03,
        "a unit shift scored {shifted}"
    );
    let again = c2st(
        gaussian_sample(1000, 1, 1.0, 3).view(),
        gaussian_sample(1000, 1, 0.0, 4).view(),
        0,
    )
    .unwrap();
    assert_eq!(shifted, again);
}

#[test]
fn c2st_matches_scikit_learn_on_the_fixture() {
    // tests/fixtures/make_c2st_fixture.py: the benchmark's c2st by scikit-learn, mean over seeds
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/c2st_fixture.json"
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let (reference, samples) = (fixture_set(&v, "reference"), fixture_set(&v, "samples"));
    let expected = v["c2st_mean"].as_f64().unwrap();
    let seeds = [1u64, 2, 3];
    let ours: f64 = seeds
        .iter()
        .map(|s| c2st(samples.view(), reference.view(), *s).unwrap())
        .sum::<f64>()
        / seeds.len() as f64;
    println!("C2ST on the fixture: abi {ours:.4}, scikit-learn {expected:.4}");
    assert!(
        (ours - expected).abs() <= 0.01,
        "abi {ours}, scikit-learn {expected}"
    );
    // the fast variant lands near it
    let fast = c2st_with(samples.view(), reference.view(), &C2stConfig::fast()).unwrap();
    assert!(
        (fast - expected).abs() <= 0.04,
        "fast {fast}, scikit-learn {expected}"
    );
}

#[test]
fn c2st_rejects_mismatched_or_non_finite_input() {
    let a = gaussian_sample(50, 2, 0.0, 1);
    let b = Array2::<f64>::zeros((50, 3));
    assert!(matches!(
        c2st(a.view(), b.view(), 0),
        Err(DiagError::Input { .. })
    ));
    let mut nan = a.clone();
    nan[[3, 1]] = f64::NAN;
    assert!(matches!(
        c2st(nan.view(), a.view(), 0),
        Err(DiagError::Input { .. })
    ));
    assert!(c2st(a.slice(ndarray::s![..3, ..]).view(), a.view(), 0).is_err());
}

#[test]
fn c2st_trains_its_classifiers_even_when_called_without_gradients() {
    let (a, b) = (
        gaussian_sample(300, 1, 1.0, 5),
        gaussian_sample(300, 1, 0.0, 6),
    );
    let cfg = C2stConfig::fast();
    let plain = c2st_with(a.view(), b.view(), &cfg).unwrap();
    let inside =
        abi_tensor::no_grad::<abi_ndarray::NdArray<f64>, _>(|| c2st_with(a.view(), b.view(), &cfg))
            .unwrap();
    assert_eq!(plain, inside);
}

#[test]
fn more_folds_than_rows_is_an_error_before_any_fold() {
    let a = gaussian_sample(4, 2, 0.0, 1);
    let cfg = C2stConfig {
        folds: 1_000_000_000_000,
        ..C2stConfig::default()
    };
    match c2st_with(a.view(), a.view(), &cfg) {
        Err(DiagError::Input { reason, .. }) => {
            assert!(reason.contains("at least 1000000000000 rows"), "{reason}")
        }
        other => panic!("expected an input error, got {other:?}"),
    }
}
