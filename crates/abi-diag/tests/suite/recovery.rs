//! Contraction, z-scores, NRMSE and correlation against the conjugate Gaussian's closed forms.

use crate::common::{Distortion, EXACT, gaussian_posterior};
use abi_diag::{
    PosteriorSummary, correlation, posterior_contraction, posterior_z_score,
    root_mean_squared_error,
};

#[test]
fn contraction_and_z_scores_match_the_conjugate_gaussian() {
    // prior N(0, 1), 3 observations: posterior variance 1/4, so contraction 1 − 1/4 = 0.75
    let (draws, truths) = gaussian_posterior(2000, 400, 2, 3, EXACT, 21);
    let s = PosteriorSummary::new(draws.view(), truths.view()).unwrap();
    let c = posterior_contraction(&s);
    for col in c.columns() {
        let mean = col.mean().unwrap();
        assert!((mean - 0.75).abs() < 0.03, "contraction {mean}");
    }
    // z = (E[θ|x] − θ) / sd: standard normal for the exact posterior
    let z = posterior_z_score(&s);
    for col in z.columns() {
        let (m, sd) = (col.mean().unwrap(), col.std(1.0));
        assert!(
            m.abs() < 0.08 && (sd - 1.0).abs() < 0.06,
            "z mean {m}, sd {sd}"
        );
    }
    // a posterior twice as wide: contraction 1 − 4/4 = 0, z-scores of sd 1/2
    let wide = Distortion {
        scale: 2.0,
        shift: 0.0,
    };
    let (draws, truths) = gaussian_posterior(2000, 400, 1, 3, wide, 22);
    let s = PosteriorSummary::new(draws.view(), truths.view()).unwrap();
    let c = posterior_contraction(&s).mean().unwrap();
    assert!(c.abs() < 0.06, "wide contraction {c}");
    let zsd = posterior_z_score(&s).std(1.0);
    assert!((zsd - 0.5).abs() < 0.04, "wide z sd {zsd}");
}

#[test]
fn rmse_and_correlation_match_their_closed_forms() {
    // E[(θ_draw − θ)²] = 2 · posterior variance = 0.5 for 3 observations; the median over
    // data sets of sqrt(mean) is close to sqrt(0.5 · χ²-ish) ≈ its root-mean value
    let (draws, truths) = gaussian_posterior(2000, 400, 1, 3, EXACT, 23);
    let s = PosteriorSummary::new(draws.view(), truths.view()).unwrap();
    let rmse = root_mean_squared_error(&s, false)[0];
    assert!(rmse > 0.5 && rmse < 0.75, "rmse {rmse}");
    let range = truths.iter().copied().fold(f64::MIN, f64::max)
        - truths.iter().copied().fold(f64::MAX, f64::min);
    let nrmse = root_mean_squared_error(&s, true)[0];
    assert!((nrmse - rmse / range).abs() < 1e-12);
    // corr(E[θ|x], θ) = sqrt(Var E[θ|x] / Var θ) = sqrt(0.75)
    let r = correlation(&s)[0];
    assert!((r - 0.75f64.sqrt()).abs() < 0.03, "r {r}");
}
