//! C2ST: chance level for identical distributions, the Bayes-optimal accuracy for a known
//! shift, determinism, and typed errors.
#![allow(clippy::unwrap_used)]

use abi_diag::{DiagError, c2st};
use ndarray::Array2;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

fn normal(n: usize, shift: f64, seed: u64) -> Array2<f64> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_fn((n, 2), |(_, j)| {
        let z: f64 = StandardNormal.sample(&mut rng);
        z + if j == 0 { shift } else { 0.0 }
    })
}

#[test]
fn c2st_is_at_chance_for_equal_distributions_and_optimal_for_a_shift() {
    let same = c2st(normal(1500, 0.0, 1).view(), normal(1500, 0.0, 2).view(), 0).unwrap();
    assert!((same - 0.5).abs() < 0.04, "same distribution scored {same}");
    // N(0, I) against N((1, 0), I): the best classifier is right with probability Φ(1/2) = 0.691
    let shifted = c2st(normal(1500, 1.0, 3).view(), normal(1500, 0.0, 4).view(), 0).unwrap();
    assert!(
        (shifted - 0.691).abs() < 0.04,
        "a unit shift scored {shifted}"
    );
    let again = c2st(normal(1500, 1.0, 3).view(), normal(1500, 0.0, 4).view(), 0).unwrap();
    assert_eq!(shifted, again);
}

#[test]
fn c2st_rejects_mismatched_or_non_finite_input() {
    let a = normal(50, 0.0, 1);
    let b = Array2::<f64>::zeros((50, 3));
    assert!(matches!(
        c2st(a.view(), b.view(), 0),
        Err(DiagError::Input { .. })
    ));
    let mut nan = normal(50, 0.0, 2);
    nan[[3, 1]] = f64::NAN;
    assert!(matches!(
        c2st(nan.view(), a.view(), 0),
        Err(DiagError::Input { .. })
    ));
    assert!(c2st(a.slice(ndarray::s![..3, ..]).view(), a.view(), 0).is_err());
}
