//! Recovery and sharpness: posterior contraction, posterior z-scores, (normalised) RMSE and
//! the correlation of point estimates with the truths.

use super::coverage::median;
use super::summary::PosteriorSummary;
use ndarray::Array2;

/// Posterior contraction `(data sets, parameters)`: `1 − Var_post(θ_j) / Var_prior(θ_j)`, the
/// prior variance estimated by the variance of the truths over data sets (divisor `N − 1`), as
/// in BayesFlow's `posterior_contraction` (Schad, Betancourt & Vasishth 2021, "Toward a
/// principled Bayesian workflow in cognitive science"). 1 means the data pin the parameter
/// down; 0 means the posterior is as wide as the prior; negative values mean it is wider.
pub fn posterior_contraction(summary: &PosteriorSummary) -> Array2<f64> {
    let prior_var = truth_variances(summary);
    let mut out = summary.var.clone();
    for mut row in out.rows_mut() {
        row.iter_mut()
            .zip(&prior_var)
            .for_each(|(v, pv)| *v = 1.0 - *v / pv);
    }
    out
}

/// Posterior z-scores `(data sets, parameters)`: `(E_post[θ] − θ*) / sd_post(θ)`. Calibrated
/// posteriors give z-scores of mean 0 and standard deviation about 1; a mean away from 0 is
/// bias, a spread above 1 over-confidence (Schad et al. 2021).
pub fn posterior_z_score(summary: &PosteriorSummary) -> Array2<f64> {
    let mut out = summary.mean.clone() - &summary.truths;
    out.zip_mut_with(&summary.var, |z, v| *z /= v.sqrt());
    out
}

/// The root mean squared error per parameter, `median_i sqrt(mean_k (θ_ik − θ*_i)²)` over
/// draws `k` of data set `i` (BayesFlow's `root_mean_squared_error`); with `normalize` each
/// parameter is divided by the range of its truths, `max θ* − min θ*`.
pub fn root_mean_squared_error(summary: &PosteriorSummary, normalize: bool) -> Vec<f64> {
    let (n, p) = (summary.num_datasets(), summary.num_parameters());
    (0..p)
        .map(|j| {
            let mut per_set: Vec<f64> = (0..n)
                .map(|i| {
                    let t = summary.truths[[i, j]];
                    let x = summary.sorted_draws(i, j);
                    (x.iter().map(|v| (v - t) * (v - t)).sum::<f64>() / x.len() as f64).sqrt()
                })
                .collect();
            let rmse = median(&mut per_set);
            if normalize {
                let col = summary.truths.column(j);
                let hi = col.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let lo = col.iter().copied().fold(f64::INFINITY, f64::min);
                rmse / (hi - lo)
            } else {
                rmse
            }
        })
        .collect()
}

/// Pearson's correlation per parameter between the posterior medians and the truths over
/// data sets (the `r` of a recovery plot).
pub fn correlation(summary: &PosteriorSummary) -> Vec<f64> {
    (0..summary.num_parameters())
        .map(|j| {
            pearson(
                summary.median.column(j).iter().copied(),
                summary.truths.column(j).iter().copied(),
            )
        })
        .collect()
}

/// The variance of each parameter's truths over data sets (divisor `N − 1`).
pub(crate) fn truth_variances(summary: &PosteriorSummary) -> Vec<f64> {
    summary
        .truths
        .columns()
        .into_iter()
        .map(|c| {
            let n = c.len() as f64;
            let m = c.sum() / n;
            c.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0)
        })
        .collect()
}

/// Pearson's correlation of two equally long sequences (NaN when either is constant).
pub(crate) fn pearson(x: impl Iterator<Item = f64>, y: impl Iterator<Item = f64>) -> f64 {
    let pairs: Vec<(f64, f64)> = x.zip(y).collect();
    let n = pairs.len() as f64;
    let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in &pairs {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}
