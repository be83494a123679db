//! Model-comparison scores on hand-checked and simulated probabilities.

use abi_diag::model_comparison;
use ndarray::{Array2, array};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[test]
fn scores_match_hand_computed_values() {
    let probs = array![[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]];
    let truth = [0, 1, 1, 0];
    let mc = model_comparison(&truth, probs.view(), 10).unwrap();
    assert!((mc.accuracy - 0.5).abs() < 1e-12);
    // Brier, per row Σ_k (p_k − y_k)²: 0.02, 0.08, 0.72, 0.98
    let brier = (0.02 + 0.08 + 0.72 + 0.98) / 4.0;
    assert!((mc.brier - brier).abs() < 1e-12, "{}", mc.brier);
    assert_eq!(mc.confusion, array![[1, 1], [1, 1]]);
    assert!(model_comparison(&[0, 2], probs.slice(ndarray::s![..2, ..]), 10).is_err());
}

#[test]
fn calibrated_probabilities_have_small_ece_and_overconfident_ones_large() {
    // draw p ~ U(0, 1), the true model is 0 with probability p: calibrated by construction
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let n = 4000;
    let p: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
    let truth: Vec<usize> = p
        .iter()
        .map(|q| usize::from(rng.random::<f64>() >= *q))
        .collect();
    let probs = Array2::from_shape_fn((n, 2), |(i, k)| if k == 0 { p[i] } else { 1.0 - p[i] });
    let mc = model_comparison(&truth, probs.view(), 10).unwrap();
    assert!(mc.ece.iter().all(|e| *e < 0.03), "{:?}", mc.ece);
    // push every probability towards 0 or 1: over-confident
    let sharp = probs.mapv(|q: f64| {
        if q > 0.5 {
            0.5 + (q - 0.5).sqrt() / 2f64.sqrt()
        } else {
            0.5 - (0.5 - q).sqrt() / 2f64.sqrt()
        }
    });
    let mc = model_comparison(&truth, sharp.view(), 10).unwrap();
    assert!(mc.ece.iter().all(|e| *e > 0.08), "{:?}", mc.ece);
}

#[test]
fn an_absurd_number_of_bins_is_an_error_before_allocation() {
    let probs = array![[0.7, 0.3], [0.2, 0.8]];
    let err = model_comparison(&[0, 1], probs.view(), 1 << 40).unwrap_err();
    assert!(err.to_string().contains("1 to 10⁶ bins"), "{err}");
    let draws = ndarray::Array3::<f64>::zeros((3, 10, 1));
    let truths = ndarray::Array2::<f64>::zeros((3, 1));
    let cfg = abi_diag::TarpConfig {
        bins: 1 << 40,
        ..abi_diag::TarpConfig::default()
    };
    let err = abi_diag::tarp(draws.view(), truths.view(), &cfg).unwrap_err();
    assert!(err.to_string().contains("need 2 to 1000000 bins"), "{err}");
}
