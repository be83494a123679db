//! Checks of a model-comparison approximator: accuracy, calibration of the predicted model
//! probabilities, Brier score and the confusion matrix.

use crate::checks;
use crate::error::{Result, input};
use ndarray::{Array2, ArrayView2};

/// A reliability curve for one model: in each non-empty bin of predicted probability, the
/// mean predicted probability and the fraction of data sets that truly came from the model.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationCurve {
    /// Mean predicted probability per non-empty bin.
    pub predicted: Vec<f64>,
    /// Observed frequency of the model per non-empty bin.
    pub observed: Vec<f64>,
    /// Data sets per non-empty bin.
    pub counts: Vec<usize>,
}

/// Model-comparison diagnostics for `K` models over `N` data sets.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelComparison {
    /// Fraction of data sets whose most probable model is the true one.
    pub accuracy: f64,
    /// Multi-class Brier score `mean_i Σ_k (p_ik − 1[y_i = k])²` (Brier 1950): 0 is perfect,
    /// `1 − 1/K` is what uniform guessing scores.
    pub brier: f64,
    /// Expected calibration error per model (Naeini, Cooper & Hauskrecht 2015):
    /// `Σ_b (n_b / N) |freq_b − conf_b|` over equal-width bins `b` of `p_ik`, with `freq_b`
    /// the fraction of the bin's data sets from model `k` and `conf_b` their mean `p_ik`.
    pub ece: Vec<f64>,
    /// `confusion[[true, predicted]]`: data sets of each true model by most probable model.
    pub confusion: Array2<usize>,
    /// Reliability curve per model.
    pub curves: Vec<CalibrationCurve>,
}

/// Scores predicted model probabilities `probs` `(data sets, models)` (rows sum to 1) against
/// the indices of the `true_models` that simulated each data set, with `bins` equal-width
/// probability bins for the calibration error and curves.
pub fn model_comparison(
    true_models: &[usize],
    probs: ArrayView2<f64>,
    bins: usize,
) -> Result<ModelComparison> {
    const WHAT: &str = "model_comparison";
    let (n, k) = probs.dim();
    if true_models.len() != n || n == 0 || k < 2 || bins == 0 || bins > super::MAX_BINS {
        return Err(input(
            WHAT,
            format!(
                "need one true model per row of probs (data sets, models) with ≥ 2 models and 1 to 10⁶ bins, got {} labels, probs {:?}, {bins} bins",
                true_models.len(),
                probs.shape()
            ),
        ));
    }
    checks::finite(WHAT, "probabilities", probs.iter())?;
    if let Some(m) = true_models.iter().find(|m| **m >= k) {
        return Err(input(WHAT, format!("true model {m} is not below {k}")));
    }
    if let Some(i) = probs
        .rows()
        .into_iter()
        .position(|r| r.iter().any(|p| *p < 0.0) || (r.sum() - 1.0).abs() > 1e-3)
    {
        return Err(input(
            WHAT,
            format!("row {i} of probs is not a probability vector"),
        ));
    }
    let mut confusion = Array2::zeros((k, k));
    let (mut correct, mut brier) = (0usize, 0.0);
    for (i, row) in probs.rows().into_iter().enumerate() {
        let pred = row
            .iter()
            .enumerate()
            .fold(
                (0, f64::NEG_INFINITY),
                |b, (j, p)| if *p > b.1 { (j, *p) } else { b },
            )
            .0;
        confusion[[true_models[i], pred]] += 1;
        correct += usize::from(pred == true_models[i]);
        brier += row
            .iter()
            .enumerate()
            .map(|(j, p)| {
                let y = if j == true_models[i] { 1.0 } else { 0.0 };
                (p - y) * (p - y)
            })
            .sum::<f64>();
    }
    let mut ece = Vec::with_capacity(k);
    let mut curves = Vec::with_capacity(k);
    for model in 0..k {
        let mut sum_p = vec![0.0; bins];
        let mut hits = vec![0usize; bins];
        let mut count = vec![0usize; bins];
        for (i, p) in probs.column(model).iter().enumerate() {
            let b = ((p * bins as f64) as usize).min(bins - 1);
            sum_p[b] += p;
            count[b] += 1;
            hits[b] += usize::from(true_models[i] == model);
        }
        let mut curve = CalibrationCurve {
            predicted: Vec::new(),
            observed: Vec::new(),
            counts: Vec::new(),
        };
        let mut err = 0.0;
        for b in (0..bins).filter(|b| count[*b] > 0) {
            let conf = sum_p[b] / count[b] as f64;
            let freq = hits[b] as f64 / count[b] as f64;
            err += count[b] as f64 / n as f64 * (freq - conf).abs();
            curve.predicted.push(conf);
            curve.observed.push(freq);
            curve.counts.push(count[b]);
        }
        ece.push(err);
        curves.push(curve);
    }
    Ok(ModelComparison {
        accuracy: correct as f64 / n as f64,
        brier: brier / n as f64,
        ece,
        confusion,
        curves,
    })
}
