//! SBC ranks and their histogram with a binomial band (Talts, Betancourt, Simpson, Vehtari &
//! Gelman 2018, "Validating Bayesian inference algorithms with simulation-based calibration").

use super::binomial;
use super::summary::PosteriorSummary;
use crate::checks;
use crate::error::{Result, input};
use ndarray::{Array2, ArrayView2, ArrayView3};

/// SBC ranks `(data sets, parameters)` of the truths among their posterior draws
/// `(data sets, draws, parameters)`: `r_ij = #{k : θ_ijk < θ*_ij}`, in `0..=draws`. Under an
/// exact posterior each rank is uniform on `0..=draws`.
pub fn sbc_ranks(draws: ArrayView3<f64>, truths: ArrayView2<f64>) -> Result<Array2<usize>> {
    checks::draws_truths("sbc_ranks", &draws, &truths)?;
    let (n, m, p) = draws.dim();
    Ok(Array2::from_shape_fn((n, p), |(i, j)| {
        let t = truths[[i, j]];
        (0..m).filter(|&k| draws[[i, k, j]] < t).count()
    }))
}

/// Fractional ranks `r / draws` in `[0, 1]` (BayesFlow's convention for ECDF plots).
pub fn fractional_ranks(ranks: &Array2<usize>, num_draws: usize) -> Array2<f64> {
    ranks.mapv(|r| r as f64 / num_draws as f64)
}

/// A rank histogram with its per-bin binomial band.
#[derive(Debug, Clone, PartialEq)]
pub struct RankHistogram {
    /// Counts `(bins, parameters)`.
    pub counts: Array2<usize>,
    /// Expected count per bin under uniform ranks.
    pub expected: Vec<f64>,
    /// Lower edge of the pointwise band per bin.
    pub lower: Vec<f64>,
    /// Upper edge of the pointwise band per bin.
    pub upper: Vec<f64>,
    /// Pointwise coverage of the band.
    pub level: f64,
    /// Ranks lie in `0..=num_draws`.
    pub num_draws: usize,
}

impl RankHistogram {
    /// Number of bins.
    pub fn bins(&self) -> usize {
        self.counts.nrows()
    }
}

/// The default number of rank bins: about 20 data sets per bin (Talts et al. 2018), between 5
/// and 50, and no more than there are rank values.
pub fn default_rank_bins(num_datasets: usize, num_draws: usize) -> usize {
    (num_datasets / 20).clamp(5, 50).min(num_draws + 1)
}

/// Bins `ranks` (each in `0..=num_draws`) into `bins` equal-width bins; rank `r` falls in bin
/// `⌊r · bins / (num_draws + 1)⌋`. A bin holding `c_b` of the `num_draws + 1` rank values has
/// count `Binomial(N, c_b / (num_draws + 1))` under uniformity; the band is that binomial's
/// central `level` interval per bin (0.99 in Talts et al.; pointwise, so with many bins a few
/// excursions are expected). Shape of a failure: ∪ means over-confident, ∩ under-confident,
/// a slope means bias.
pub fn rank_histogram(
    ranks: ArrayView2<usize>,
    num_draws: usize,
    bins: usize,
    level: f64,
) -> Result<RankHistogram> {
    checks::level("rank_histogram", "level", level)?;
    let (n, p) = ranks.dim();
    if bins == 0 || bins > num_draws + 1 || n == 0 {
        return Err(input(
            "rank_histogram",
            format!(
                "need 1 ..= {} bins and ≥ 1 rank, got {bins} bins, {n} ranks",
                num_draws + 1
            ),
        ));
    }
    if let Some(r) = ranks.iter().find(|r| **r > num_draws) {
        return Err(input(
            "rank_histogram",
            format!("rank {r} exceeds {num_draws} draws"),
        ));
    }
    let bin = |r: usize| (r * bins / (num_draws + 1)).min(bins - 1);
    let mut counts = Array2::zeros((bins, p));
    for ((_, j), &r) in ranks.indexed_iter() {
        counts[[bin(r), j]] += 1;
    }
    let mut width = vec![0usize; bins];
    (0..=num_draws).for_each(|r| width[bin(r)] += 1);
    let ln_fact = binomial::ln_factorials(n);
    let (mut expected, mut lower, mut upper) = (Vec::new(), Vec::new(), Vec::new());
    for w in width {
        let prob = w as f64 / (num_draws + 1) as f64;
        let (cdf, _) = binomial::tails(&binomial::pmf(n, prob, &ln_fact));
        expected.push(n as f64 * prob);
        lower.push(binomial::quantile(&cdf, (1.0 - level) / 2.0) as f64);
        upper.push(binomial::quantile(&cdf, (1.0 + level) / 2.0) as f64);
    }
    Ok(RankHistogram {
        counts,
        expected,
        lower,
        upper,
        level,
        num_draws,
    })
}

/// [`rank_histogram`] of a [`PosteriorSummary`] with [`default_rank_bins`] and a 99 % band.
pub fn rank_histogram_of(summary: &PosteriorSummary) -> Result<RankHistogram> {
    let (n, l) = (summary.num_datasets(), summary.num_draws());
    rank_histogram(summary.ranks().view(), l, default_rank_bins(n, l), 0.99)
}
