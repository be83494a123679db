//! The ECDF of SBC ranks with simultaneous confidence bands (Säilynoja, Bürkner & Vehtari
//! 2022) and the log-γ statistic (Modrák et al. 2023).

use super::binomial;
use super::summary::PosteriorSummary;
use crate::checks;
use crate::error::{Result, input};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Settings of [`EcdfBand::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct EcdfBandConfig {
    /// Simultaneous coverage `1 − α` of the band (0.95: a calibrated posterior leaves the band
    /// for 5 % of rank samples).
    pub level: f64,
    /// Most evaluation points; fewer when there are fewer distinct ranks.
    pub max_points: usize,
    /// Rank samples simulated under uniformity to adjust γ.
    pub simulations: usize,
    /// Seed of those simulations.
    pub seed: u64,
}

impl Default for EcdfBandConfig {
    fn default() -> Self {
        Self {
            level: 0.95,
            max_points: 256,
            simulations: 10_000,
            seed: 20220101,
        }
    }
}

/// A simultaneous band for the ECDF of `N` SBC ranks, each in `0..=L` (`L` draws).
///
/// Under calibration a rank `r` is uniform on `0..=L`, so at the evaluation points
/// `z_i = g_i / (L + 1)` (integers `g_i` in `1..=L`) the count `R_i = #{r < g_i}` is
/// `Binomial(N, z_i)`. With `t_i(R) = min(P(X ≤ R), P(X ≥ R))` for `X ~ Binomial(N, z_i)`, the
/// band holds every count with `t_i(R) ≥ γ / 2`. The adjusted `γ` is chosen by simulation so
/// that *all* points of a uniform rank sample lie in the band with probability `level`:
/// `γ / 2` is the `α`-quantile of `min_i t_i(R_i)` over `simulations` seeded uniform samples
/// (Säilynoja, Bürkner & Vehtari 2022, "Graphical test for discrete uniformity and its
/// applications in goodness-of-fit evaluation and multiple sample comparison", Statistics and
/// Computing 32:32, section 2.2). The band's size parameter is the number of ranks `N` (data
/// sets), not the number of draws.
#[derive(Debug, Clone)]
pub struct EcdfBand {
    /// Evaluation points `z_i` (fractional ranks).
    pub z: Vec<f64>,
    /// Lower edge of the band for the ECDF at each `z_i`.
    pub lower: Vec<f64>,
    /// Upper edge of the band for the ECDF at each `z_i`.
    pub upper: Vec<f64>,
    /// The adjusted `γ` (two-sided pointwise level that gives the simultaneous `level`).
    pub gamma: f64,
    /// The simultaneous level.
    pub level: f64,
    num_ranks: usize,
    num_draws: usize,
    grid: Vec<usize>,
    // per evaluation point, t_i(R) for R = 0..=N, flat
    tail: Vec<f64>,
}

/// The outcome of [`EcdfBand::test`] for one parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct EcdfTest {
    /// Whether the whole ECDF lies inside the simultaneous band.
    pub pass: bool,
    /// `γ_obs = 2 min_i t_i(R_i)`: the probability, under uniformity, of a point at least as
    /// extreme as the most extreme one observed (Modrák et al. 2023, eq. 7).
    pub gamma: f64,
    /// `ln(γ_obs / γ_adj)`: negative exactly when the test rejects at the band's level (the
    /// SBC log-γ statistic of Modrák et al. 2023 relative to its null threshold, as BayesFlow's
    /// `calibration_log_gamma`).
    pub log_gamma: f64,
    /// `max_i |F̂(z_i) − z_i|`, the largest ECDF difference.
    pub max_difference: f64,
}

impl EcdfBand {
    /// The band for `num_ranks` ranks from `num_draws` posterior draws each.
    pub fn new(num_ranks: usize, num_draws: usize, cfg: &EcdfBandConfig) -> Result<Self> {
        const WHAT: &str = "EcdfBand";
        checks::level(WHAT, "level", cfg.level)?;
        if num_ranks < 2 || num_draws < 1 || cfg.simulations < 20 || cfg.max_points < 2 {
            return Err(input(
                WHAT,
                format!(
                    "need at least 2 ranks, 1 draw, 20 simulations and 2 points, got {num_ranks}, {num_draws}, {}, {}",
                    cfg.simulations, cfg.max_points
                ),
            ));
        }
        let (n, l) = (num_ranks, num_draws);
        let cells = (l + 1).min(cfg.max_points);
        let mut grid: Vec<usize> = (1..cells)
            .map(|k| ((k as f64 * (l + 1) as f64 / cells as f64).round() as usize).clamp(1, l))
            .collect();
        grid.dedup();
        let ln_fact = binomial::ln_factorials(n);
        let mut tail = Vec::with_capacity(grid.len() * (n + 1));
        let mut lower = Vec::with_capacity(grid.len());
        let mut upper = Vec::with_capacity(grid.len());
        let mut tables = Vec::with_capacity(grid.len());
        for &g in &grid {
            let p = g as f64 / (l + 1) as f64;
            let (cdf, sf) = binomial::tails(&binomial::pmf(n, p, &ln_fact));
            tail.extend(cdf.iter().zip(&sf).map(|(c, s)| c.min(*s)));
            tables.push((cdf, sf));
        }
        let mut band = Self {
            z: grid.iter().map(|g| *g as f64 / (l + 1) as f64).collect(),
            lower: Vec::new(),
            upper: Vec::new(),
            gamma: 0.0,
            level: cfg.level,
            num_ranks: n,
            num_draws: l,
            grid,
            tail,
        };
        // null distribution of min_i t_i(R_i) under uniform ranks
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let mut ranks = vec![0usize; n];
        let mut stats: Vec<f64> = (0..cfg.simulations)
            .map(|_| {
                ranks.iter_mut().for_each(|r| *r = rng.random_range(0..=l));
                band.min_tail(&ranks)
            })
            .collect();
        stats.sort_unstable_by(f64::total_cmp);
        let alpha = 1.0 - cfg.level;
        let threshold =
            stats[((alpha * cfg.simulations as f64).floor() as usize).min(stats.len() - 1)];
        band.gamma = 2.0 * threshold;
        for (cdf, sf) in &tables {
            let lo = cdf.partition_point(|c| *c < threshold);
            let hi = sf.partition_point(|s| *s >= threshold).saturating_sub(1);
            lower.push(lo as f64 / n as f64);
            upper.push(hi.max(lo) as f64 / n as f64);
        }
        band.lower = lower;
        band.upper = upper;
        Ok(band)
    }

    /// Number of ranks the band is for.
    pub fn num_ranks(&self) -> usize {
        self.num_ranks
    }

    /// Number of draws the ranks come from.
    pub fn num_draws(&self) -> usize {
        self.num_draws
    }

    /// Counts `R_i = #{r < g_i}` at the evaluation points.
    fn counts(&self, ranks: &[usize]) -> Vec<usize> {
        let l = self.num_draws;
        let mut hist = vec![0usize; l + 2];
        for &r in ranks {
            hist[r.min(l)] += 1;
        }
        let mut below = Vec::with_capacity(self.grid.len());
        let (mut acc, mut next) = (0usize, 0usize);
        for &g in &self.grid {
            while next < g {
                acc += hist[next];
                next += 1;
            }
            below.push(acc);
        }
        below
    }

    fn min_tail(&self, ranks: &[usize]) -> f64 {
        let stride = self.num_ranks + 1;
        self.counts(ranks)
            .iter()
            .enumerate()
            .map(|(i, &c)| self.tail[i * stride + c])
            .fold(f64::INFINITY, f64::min)
    }

    fn check(&self, ranks: &[usize]) -> Result<()> {
        if ranks.len() != self.num_ranks {
            return Err(input(
                "EcdfBand",
                format!("band is for {} ranks, got {}", self.num_ranks, ranks.len()),
            ));
        }
        if let Some(r) = ranks.iter().find(|r| **r > self.num_draws) {
            return Err(input(
                "EcdfBand",
                format!("rank {r} exceeds the {} draws", self.num_draws),
            ));
        }
        Ok(())
    }

    /// The ECDF `F̂(z_i) = R_i / N` of `ranks` at the evaluation points [`EcdfBand::z`].
    pub fn ecdf(&self, ranks: &[usize]) -> Result<Vec<f64>> {
        self.check(ranks)?;
        let n = self.num_ranks as f64;
        Ok(self.counts(ranks).iter().map(|c| *c as f64 / n).collect())
    }

    /// Tests `ranks` (each in `0..=L`) for uniformity: [`EcdfTest::pass`] when the whole ECDF
    /// stays inside the band.
    pub fn test(&self, ranks: &[usize]) -> Result<EcdfTest> {
        self.check(ranks)?;
        let observed = self.min_tail(ranks);
        let threshold = self.gamma / 2.0;
        let ecdf = self.ecdf(ranks)?;
        let max_difference = ecdf
            .iter()
            .zip(&self.z)
            .map(|(f, z)| (f - z).abs())
            .fold(0.0, f64::max);
        Ok(EcdfTest {
            pass: observed >= threshold,
            gamma: 2.0 * observed,
            log_gamma: (observed.max(f64::MIN_POSITIVE) / threshold).ln(),
            max_difference,
        })
    }
}

/// The band and the ECDF test of every parameter of `summary` (one band: all parameters share
/// `N` and `L`).
pub fn ecdf_tests(
    summary: &PosteriorSummary,
    cfg: &EcdfBandConfig,
) -> Result<(EcdfBand, Vec<EcdfTest>)> {
    let band = EcdfBand::new(summary.num_datasets(), summary.num_draws(), cfg)?;
    let ranks = summary.ranks();
    let tests = ranks
        .columns()
        .into_iter()
        .map(|col| band.test(&col.to_vec()))
        .collect::<Result<Vec<_>>>()?;
    Ok((band, tests))
}
