//! Maximum mean discrepancy (Gretton et al. 2012, "A kernel two-sample test", JMLR 13): the
//! unbiased estimator, a permutation test, and the summary-space misspecification test
//! (Schmitt, Bürkner, Köthe & Radev 2023, "Detecting model misspecification in amortized
//! Bayesian inference with neural networks").

use crate::checks;
use crate::error::{Result, input};
use ndarray::{Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand::seq::{SliceRandom, index};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// A positive-definite kernel on `R^d`; a scale of `None` takes the median heuristic (the
/// median Euclidean distance between points of the pooled sample, on at most 1 000 points).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kernel {
    /// `k(x, y) = exp(−‖x − y‖² / (2 h²))`.
    Gaussian {
        /// bandwidth `h`
        bandwidth: Option<f64>,
    },
    /// `k(x, y) = (1 + ‖x − y‖² / c²)^(−1/2)`, heavier-tailed than the Gaussian, so that
    /// distant outliers still count.
    InverseMultiquadric {
        /// scale `c`
        scale: Option<f64>,
    },
}

impl Default for Kernel {
    fn default() -> Self {
        Kernel::Gaussian { bandwidth: None }
    }
}

impl Kernel {
    fn scale(&self) -> Option<f64> {
        match self {
            Kernel::Gaussian { bandwidth } => *bandwidth,
            Kernel::InverseMultiquadric { scale } => *scale,
        }
    }

    /// The kernel with its scale fixed: the given one, or the median heuristic on `pooled`.
    fn resolve(&self, pooled: &[ArrayView2<f64>]) -> Result<(Kernel, f64)> {
        let h = match self.scale() {
            Some(h) if h > 0.0 && h.is_finite() => h,
            Some(h) => {
                return Err(input(
                    "mmd",
                    format!("kernel scale must be positive, got {h}"),
                ));
            }
            None => median_distance(pooled),
        };
        let fixed = match self {
            Kernel::Gaussian { .. } => Kernel::Gaussian { bandwidth: Some(h) },
            Kernel::InverseMultiquadric { .. } => Kernel::InverseMultiquadric { scale: Some(h) },
        };
        Ok((fixed, h))
    }

    fn eval(&self, d2: f64, h: f64) -> f64 {
        match self {
            Kernel::Gaussian { .. } => (-d2 / (2.0 * h * h)).exp(),
            Kernel::InverseMultiquadric { .. } => 1.0 / (1.0 + d2 / (h * h)).sqrt(),
        }
    }
}

/// The outcome of an MMD test.
#[derive(Debug, Clone, PartialEq)]
pub struct MmdTest {
    /// The observed `MMD²_u`.
    pub statistic: f64,
    /// `MMD²_u` under the null hypothesis (permutations or bootstrap subsets).
    pub null: Vec<f64>,
    /// `(1 + #{null ≥ statistic}) / (1 + #null)`.
    pub p_value: f64,
    /// The kernel scale used (bandwidth or IMQ scale).
    pub scale: f64,
}

fn median_distance(pooled: &[ArrayView2<f64>]) -> f64 {
    let rows: Vec<_> = pooled.iter().flat_map(|x| x.rows().into_iter()).collect();
    let step = rows.len().div_ceil(1000).max(1);
    let pts: Vec<_> = rows.into_iter().step_by(step).collect();
    let mut d: Vec<f64> = Vec::with_capacity(pts.len() * pts.len() / 2);
    for i in 0..pts.len() {
        for j in i + 1..pts.len() {
            d.push(sq_dist(pts[i].iter(), pts[j].iter()).sqrt());
        }
    }
    let med = super::coverage::median(&mut d);
    if med > 0.0 && med.is_finite() {
        med
    } else {
        1.0
    }
}

fn sq_dist<'a>(a: impl Iterator<Item = &'a f64>, b: impl Iterator<Item = &'a f64>) -> f64 {
    a.zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The kernel matrix of the rows of `z`.
fn gram(z: &ArrayView2<f64>, k: Kernel, h: f64) -> Array2<f64> {
    let n = z.nrows();
    let mut g = Array2::zeros((n, n));
    g.axis_iter_mut(Axis(0))
        .into_par_iter()
        .enumerate()
        .for_each(|(i, mut row)| {
            let zi = z.row(i);
            for j in 0..n {
                row[j] = k.eval(sq_dist(zi.iter(), z.row(j).iter()), h);
            }
        });
    g
}

/// `MMD²_u` between the disjoint index sets `a` and `b` of the kernel matrix `g`.
fn mmd2_indices(g: &Array2<f64>, a: &[usize], b: &[usize]) -> f64 {
    let within = |s: &[usize]| -> f64 {
        let mut t = 0.0;
        for (x, &i) in s.iter().enumerate() {
            for &j in &s[x + 1..] {
                t += g[[i, j]];
            }
        }
        2.0 * t / (s.len() * (s.len() - 1)) as f64
    };
    let cross: f64 = a
        .iter()
        .map(|&i| b.iter().map(|&j| g[[i, j]]).sum::<f64>())
        .sum();
    within(a) + within(b) - 2.0 * cross / (a.len() * b.len()) as f64
}

fn stack(x: &ArrayView2<f64>, y: &ArrayView2<f64>) -> Result<Array2<f64>> {
    ndarray::concatenate(Axis(0), &[x.view(), y.view()])
        .map_err(|e| input("mmd", format!("cannot stack the samples: {e}")))
}

fn check_pair(what: &'static str, x: &ArrayView2<f64>, y: &ArrayView2<f64>) -> Result<()> {
    checks::samples(what, "first sample", x, 2)?;
    checks::samples(what, "second sample", y, 2)?;
    if x.ncols() != y.ncols() {
        return Err(input(
            what,
            format!("samples have {} and {} columns", x.ncols(), y.ncols()),
        ));
    }
    Ok(())
}

/// The unbiased estimate of the squared MMD between the rows of `x` `(m, d)` and `y` `(n, d)`:
/// `MMD²_u = Σ_{i≠j} k(x_i, x_j) / (m(m−1)) + Σ_{i≠j} k(y_i, y_j) / (n(n−1))
/// − 2 Σ_{i,j} k(x_i, y_j) / (mn)` (Gretton et al. 2012, eq. 3). Near 0 (and possibly
/// negative) when both come from one distribution.
pub fn mmd2_unbiased(x: ArrayView2<f64>, y: ArrayView2<f64>, kernel: Kernel) -> Result<f64> {
    check_pair("mmd2_unbiased", &x, &y)?;
    let (k, h) = kernel.resolve(&[x.view(), y.view()])?;
    let z = stack(&x, &y)?;
    let g = gram(&z.view(), k, h);
    let (a, b): (Vec<usize>, Vec<usize>) =
        ((0..x.nrows()).collect(), (x.nrows()..z.nrows()).collect());
    Ok(mmd2_indices(&g, &a, &b))
}

fn p_value(statistic: f64, null: &[f64]) -> f64 {
    (1 + null.iter().filter(|v| **v >= statistic).count()) as f64 / (1 + null.len()) as f64
}

/// The MMD two-sample permutation test of `x` `(m, d)` against `y` `(n, d)`: the null
/// distribution of `MMD²_u` comes from `permutations` seeded random relabellings of the pooled
/// sample, each scored with the same kernel matrix.
pub fn mmd_permutation_test(
    x: ArrayView2<f64>,
    y: ArrayView2<f64>,
    kernel: Kernel,
    permutations: usize,
    seed: u64,
) -> Result<MmdTest> {
    check_pair("mmd_permutation_test", &x, &y)?;
    let (k, h) = kernel.resolve(&[x.view(), y.view()])?;
    let z = stack(&x, &y)?;
    let g = gram(&z.view(), k, h);
    let (m, total) = (x.nrows(), z.nrows());
    let idx: Vec<usize> = (0..total).collect();
    let statistic = mmd2_indices(&g, &idx[..m], &idx[m..]);
    let null: Vec<f64> = (0..permutations)
        .into_par_iter()
        .map(|b| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(b as u64));
            let mut perm = idx.clone();
            perm.shuffle(&mut rng);
            mmd2_indices(&g, &perm[..m], &perm[m..])
        })
        .collect();
    Ok(MmdTest {
        p_value: p_value(statistic, &null),
        statistic,
        null,
        scale: h,
    })
}

/// The summary-space misspecification test: are the `observed` summaries `(n_obs, d)` (the
/// summary network's outputs on real data) typical of the `reference` summaries `(n_ref, d)` of
/// data simulated from the model?
///
/// The statistic is `MMD²_u(observed, reference)`. Its null distribution: `bootstraps` seeded
/// random subsets of `n_obs` simulated summaries, each compared with the remaining
/// `n_ref − n_obs` ones, so that null and observed statistics compare independent samples of
/// the same sizes (BayesFlow's `bootstrap_comparison` instead resamples with replacement and
/// compares with the full reference, which overlaps the subset). A small p-value says the
/// observed data are unlike anything the model simulates: the posterior for them is an
/// extrapolation and not to be trusted. Needs `n_ref ≥ n_obs + 2`.
pub fn summary_space_test(
    observed: ArrayView2<f64>,
    reference: ArrayView2<f64>,
    kernel: Kernel,
    bootstraps: usize,
    seed: u64,
) -> Result<MmdTest> {
    const WHAT: &str = "summary_space_test";
    checks::samples(WHAT, "observed summaries", &observed, 1)?;
    checks::samples(WHAT, "reference summaries", &reference, 2)?;
    if observed.ncols() != reference.ncols() || reference.nrows() < observed.nrows() + 2 {
        return Err(input(
            WHAT,
            format!(
                "need as many columns and at least n_obs + 2 reference rows, got {:?} observed and {:?} reference",
                observed.shape(),
                reference.shape()
            ),
        ));
    }
    let (k, h) = kernel.resolve(&[observed.view(), reference.view()])?;
    let n_ref = reference.nrows();
    let z = stack(&reference, &observed)?;
    let g = gram(&z.view(), k, h);
    let all_ref: Vec<usize> = (0..n_ref).collect();
    let obs: Vec<usize> = (n_ref..z.nrows()).collect();
    let statistic = if obs.len() >= 2 {
        mmd2_indices(&g, &obs, &all_ref)
    } else {
        // one observed data set: only the cross term and the reference's spread are defined
        single_point_mmd2(&g, obs[0], &all_ref)
    };
    let n_obs = obs.len();
    let null: Vec<f64> = (0..bootstraps)
        .into_par_iter()
        .map(|b| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(b as u64));
            let pick = index::sample(&mut rng, n_ref, n_obs).into_vec();
            let mut taken = vec![false; n_ref];
            pick.iter().for_each(|&i| taken[i] = true);
            let rest: Vec<usize> = (0..n_ref).filter(|&i| !taken[i]).collect();
            if n_obs >= 2 {
                mmd2_indices(&g, &pick, &rest)
            } else {
                single_point_mmd2(&g, pick[0], &rest)
            }
        })
        .collect();
    Ok(MmdTest {
        p_value: p_value(statistic, &null),
        statistic,
        null,
        scale: h,
    })
}

/// `MMD²` of one point `x` against the set `b`: `k(x, x) + mean_{i≠j∈b} k − 2 mean_{j∈b} k(x, b_j)`.
fn single_point_mmd2(g: &Array2<f64>, x: usize, b: &[usize]) -> f64 {
    let n = b.len() as f64;
    let mut within = 0.0;
    for (a, &i) in b.iter().enumerate() {
        for &j in &b[a + 1..] {
            within += g[[i, j]];
        }
    }
    let cross: f64 = b.iter().map(|&j| g[[x, j]]).sum();
    g[[x, x]] + 2.0 * within / (n * (n - 1.0)) - 2.0 * cross / n
}
