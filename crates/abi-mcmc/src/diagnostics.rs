//! Convergence diagnostics of several chains: the rank-normalised split-R̂ and the bulk
//! effective sample size of Vehtari, Gelman, Simpson, Carpenter and Bürkner (2021),
//! "Rank-normalization, folding, and localization: an improved R̂", as Stan and ArviZ report
//! them.

use ndarray::{Array2, ArrayView2, Axis};
use statrs::distribution::{ContinuousCDF, Normal};

/// Split-R̂ of one coordinate from `draws` `(chains, draws per chain)`: the larger of the
/// rank-normalised R̂ of the split chains and that of their folded values (|x − median|), so
/// that chains disagreeing in location or in scale both show. Near 1 for chains that mix;
/// above 1.01 is the usual warning. NaN when there are fewer than 4 draws per chain.
///
/// ```
/// use abi_mcmc::diagnostics::split_rhat;
/// let mixed = ndarray::Array2::from_shape_fn((4, 100), |(c, i)| ((c * 37 + i * 91) % 101) as f64);
/// assert!(split_rhat(mixed.view()) < 1.05);
/// let stuck = ndarray::Array2::from_shape_fn((4, 100), |(c, i)| c as f64 + (i % 7) as f64 * 0.01);
/// assert!(split_rhat(stuck.view()) > 2.0);
/// ```
pub fn split_rhat(draws: ArrayView2<'_, f64>) -> f64 {
    let Some(split) = split_chains(draws) else {
        return f64::NAN;
    };
    let bulk = rhat_of(rank_normalise(split.view()).view());
    let median = median(split.iter().copied().collect());
    let folded = split.mapv(|v| (v - median).abs());
    let tail = rhat_of(rank_normalise(folded.view()).view());
    bulk.max(tail)
}

/// Bulk effective sample size of one coordinate from `draws` `(chains, draws per chain)`:
/// the ESS of the rank-normalised split chains, with autocorrelations combined over chains
/// and truncated by Geyer's initial monotone sequence. About the number of draws for
/// independent draws, far fewer for sticky chains. NaN when there are fewer than 4 draws
/// per chain.
///
/// ```
/// use abi_mcmc::diagnostics::ess_bulk;
/// use rand::{Rng, SeedableRng};
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
/// let iid = ndarray::Array2::from_shape_fn((4, 500), |_| rng.random::<f64>());
/// let ess = ess_bulk(iid.view());
/// assert!(ess > 1_500.0 && ess < 2_600.0, "{ess}");
/// ```
pub fn ess_bulk(draws: ArrayView2<'_, f64>) -> f64 {
    match split_chains(draws) {
        Some(split) => ess_of(rank_normalise(split.view()).view()),
        None => f64::NAN,
    }
}

/// Each chain cut into its first and second half (the middle draw of an odd length dropped).
fn split_chains(draws: ArrayView2<'_, f64>) -> Option<Array2<f64>> {
    let (chains, n) = draws.dim();
    let half = n / 2;
    if chains == 0 || half < 2 {
        return None;
    }
    let mut out = Array2::zeros((2 * chains, half));
    for (c, chain) in draws.axis_iter(Axis(0)).enumerate() {
        for i in 0..half {
            out[[2 * c, i]] = chain[i];
            out[[2 * c + 1, i]] = chain[n - half + i];
        }
    }
    Some(out)
}

/// Normal scores of the pooled ranks (average ranks for ties, Blom's offset 3/8).
fn rank_normalise(draws: ArrayView2<'_, f64>) -> Array2<f64> {
    let values: Vec<f64> = draws.iter().copied().collect();
    let total = values.len();
    let mut order: Vec<usize> = (0..total).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; total];
    let mut start = 0;
    while start < total {
        let mut end = start + 1;
        while end < total && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // 1-based ranks start + 1 ..= end share their average
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    let normal = Normal::standard();
    let scores: Vec<f64> = ranks
        .iter()
        .map(|r| normal.inverse_cdf((r - 0.375) / (total as f64 + 0.25)))
        .collect();
    Array2::from_shape_vec(draws.dim(), scores).unwrap_or_else(|_| Array2::zeros(draws.dim()))
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn variance(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() as f64 - 1.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Gelman–Rubin R̂ of equal-length chains `(chains, n)`.
fn rhat_of(draws: ArrayView2<'_, f64>) -> f64 {
    let n = draws.ncols() as f64;
    let rows: Vec<Vec<f64>> = draws.rows().into_iter().map(|r| r.to_vec()).collect();
    let means: Vec<f64> = rows.iter().map(|r| mean(r)).collect();
    let within = mean(&rows.iter().map(|r| variance(r)).collect::<Vec<_>>());
    let between = n * variance(&means);
    if !(within > 0.0) {
        return if between > 0.0 { f64::INFINITY } else { 1.0 };
    }
    let pooled = (n - 1.0) / n * within + between / n;
    (pooled / within).sqrt()
}

/// Effective sample size of equal-length chains `(chains, n)` (Stan's estimator).
fn ess_of(draws: ArrayView2<'_, f64>) -> f64 {
    let (chains, n) = draws.dim();
    let rows: Vec<Vec<f64>> = draws
        .rows()
        .into_iter()
        .map(|r| {
            let m = mean(r.as_slice().unwrap_or(&r.to_vec()));
            r.iter().map(|x| x - m).collect()
        })
        .collect();
    let autocov = |lag: usize| -> f64 {
        let per_chain: f64 = rows
            .iter()
            .map(|r| (0..n - lag).map(|i| r[i] * r[i + lag]).sum::<f64>() / n as f64)
            .sum();
        per_chain / chains as f64
    };
    let means: Vec<f64> = draws
        .rows()
        .into_iter()
        .map(|r| r.mean().unwrap_or(0.0))
        .collect();
    let gamma0 = autocov(0);
    let within = gamma0 * n as f64 / (n as f64 - 1.0);
    let pooled = if chains > 1 {
        within * (n as f64 - 1.0) / n as f64 + variance(&means)
    } else {
        within
    };
    if !(pooled > 0.0) {
        return f64::NAN;
    }
    let rho = |lag: usize| 1.0 - (within - autocov(lag)) / pooled;
    // Geyer's initial positive and monotone sequence over pairs of lags
    let mut tau = -1.0;
    let mut previous = f64::INFINITY;
    let mut lag = 0;
    while lag + 1 < n {
        let pair = rho(lag) + rho(lag + 1);
        if !(pair > 0.0) {
            break;
        }
        let pair = pair.min(previous);
        tau += 2.0 * pair;
        previous = pair;
        lag += 2;
    }
    let total = (chains * n) as f64;
    let ess = total / tau.max(1.0 / total.log10());
    ess.min(total * total.log10())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn ties_share_their_average_rank() {
        let a = ndarray::array![[1.0, 2.0, 2.0, 3.0]];
        let z = rank_normalise(a.view());
        assert_eq!(z[[0, 1]], z[[0, 2]]);
        assert!(z[[0, 0]] < z[[0, 1]] && z[[0, 1]] < z[[0, 3]]);
        assert!((z[[0, 0]] + z[[0, 3]]).abs() < 1e-12);
    }

    #[test]
    fn ess_of_an_ar1_chain_matches_its_integrated_autocorrelation() {
        // x_t = ρ x_{t−1} + ε: ESS = n (1 − ρ) / (1 + ρ)
        let rho = 0.8;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let (chains, n) = (4, 20_000);
        let mut draws = Array2::zeros((chains, n));
        for c in 0..chains {
            let mut x = 0.0;
            for i in 0..n {
                let e: f64 =
                    rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut rng);
                x = rho * x + e;
                draws[[c, i]] = x;
            }
        }
        let want = (chains * n) as f64 * (1.0 - rho) / (1.0 + rho);
        let got = ess_bulk(draws.view());
        assert!(
            (got / want - 1.0).abs() < 0.15,
            "ESS {got}, expected {want}"
        );
    }

    #[test]
    fn rhat_flags_chains_with_different_scales() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
        let draws = Array2::from_shape_fn((4, 400), |(c, _)| {
            let e: f64 = rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut rng);
            e * if c == 0 { 5.0 } else { 1.0 }
        });
        // same location, so only the folded R̂ sees it
        assert!(split_rhat(draws.view()) > 1.05);
    }

    #[test]
    fn short_chains_give_nan() {
        let a = Array2::<f64>::zeros((3, 3));
        assert!(split_rhat(a.view()).is_nan());
        assert!(ess_bulk(a.view()).is_nan());
    }
}
