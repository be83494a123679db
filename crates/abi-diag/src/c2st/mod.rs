//! The classifier two-sample test (Lopez-Paz & Oquab 2017, "Revisiting classifier two-sample
//! tests") as the SBI benchmark computes it (Lueckmann et al. 2021, "Benchmarking
//! simulation-based inference", `sbibm.metrics.c2st`), generic over the tensor backend.

mod classifier;

use crate::checks;
use crate::error::{Result, input};
use abi_tensor::Backend;
use classifier::Row;
use ndarray::{ArrayView2, Axis};
use rand::SeedableRng;
use rand::seq::{SliceRandom, index};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Settings of the C2ST classifier and its cross-validation.
///
/// [`C2stConfig::benchmark`] (the default) is the benchmark's definition: scikit-learn's
/// `MLPClassifier(activation="relu", hidden_layer_sizes=(10·dim, 10·dim), max_iter=10000,
/// solver="adam")` with its defaults (L2 penalty `alpha = 1e-4`, learning rate 1e-3, batches
/// of `min(200, n)`, `tol = 1e-4`, `n_iter_no_change = 10` on the training loss) inside a
/// shuffled 5-fold cross-validation. [`C2stConfig::fast`] trades exactness for speed in
/// reports.
#[derive(Debug, Clone, PartialEq)]
pub struct C2stConfig {
    /// Cross-validation folds.
    pub folds: usize,
    /// Seed of the fold split, the initial weights and the batch order.
    pub seed: u64,
    /// Most epochs per fold.
    pub max_epochs: usize,
    /// Rows per Adam step (at most the training rows).
    pub batch_size: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// L2 penalty `α`: each batch's loss gains `α/2 · Σ‖W‖² / batch rows`.
    pub alpha: f64,
    /// Smallest training-loss improvement that counts.
    pub tol: f64,
    /// Epochs without improvement tolerated: training stops when more than this many epochs
    /// in a row fail to improve the best loss by `tol`.
    pub patience: usize,
    /// Hidden width per input dimension (`10 · dim` in the benchmark).
    pub width_per_dim: usize,
    /// Rows kept from each sample set (a seeded random subset); `None` keeps all.
    pub max_rows: Option<usize>,
}

impl Default for C2stConfig {
    fn default() -> Self {
        Self::benchmark()
    }
}

impl C2stConfig {
    /// The SBI benchmark's C2ST (see the type's documentation).
    pub fn benchmark() -> Self {
        Self {
            folds: 5,
            seed: 1,
            max_epochs: 10_000,
            batch_size: 200,
            learning_rate: 1e-3,
            alpha: 1e-4,
            tol: 1e-4,
            patience: 10,
            width_per_dim: 10,
            max_rows: None,
        }
    }

    /// A quicker C2ST for reports: at most 1 000 rows per set, 3 folds, at most 200 epochs and
    /// a patience of 5, otherwise the benchmark's classifier. Its accuracy is a little noisier
    /// and can fall slightly short of the benchmark's on hard problems.
    pub fn fast() -> Self {
        Self {
            folds: 3,
            max_epochs: 200,
            patience: 5,
            max_rows: Some(1000),
            ..Self::benchmark()
        }
    }

    fn check(&self) -> Result<()> {
        let ok = self.folds >= 2
            && self.max_epochs >= 1
            && self.batch_size >= 1
            && self.width_per_dim >= 1
            && self.learning_rate > 0.0
            && self.alpha >= 0.0
            && self.tol >= 0.0
            && self.max_rows.is_none_or(|m| m >= self.folds);
        if ok {
            Ok(())
        } else {
            Err(input("c2st", format!("invalid settings {self:?}")))
        }
    }
}

/// The C2ST accuracy of `samples` `(n, dim)` against `reference` `(m, dim)` on backend `B`:
/// about 0.5 when they come from one distribution, up to 1.0 when a classifier separates
/// them.
///
/// Both sets are z-scored by the reference's mean and standard deviation (divisor `m − 1`;
/// constant columns are left unscaled), labelled 1 (reference) and 0, pooled, shuffled and
/// split into `folds` contiguous folds (the first `n mod folds` one row larger, as
/// scikit-learn's `KFold`); the result is the mean held-out accuracy of the classifier trained
/// on the other folds. Folds train in parallel; the result depends only on the inputs, the
/// settings and the backend.
pub fn c2st_on<B: Backend>(
    samples: ArrayView2<f64>,
    reference: ArrayView2<f64>,
    cfg: &C2stConfig,
    device: &B::Device,
) -> Result<f64> {
    cfg.check()?;
    let dim = reference.ncols();
    checks::samples("c2st", "samples", &samples, cfg.folds)?;
    checks::samples("c2st", "reference", &reference, cfg.folds)?;
    if samples.ncols() != dim {
        return Err(input(
            "c2st",
            format!(
                "samples have {} columns, the reference {dim}",
                samples.ncols()
            ),
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let keep = |n: usize, rng: &mut ChaCha8Rng| -> Vec<usize> {
        match cfg.max_rows {
            Some(m) if m < n => {
                let mut v = index::sample(rng, n, m).into_vec();
                v.sort_unstable();
                v
            }
            _ => (0..n).collect(),
        }
    };
    let keep_samples = keep(samples.nrows(), &mut rng);
    let keep_reference = keep(reference.nrows(), &mut rng);
    let reference = reference.select(Axis(0), &keep_reference);
    let samples = samples.select(Axis(0), &keep_samples);
    let mean = reference
        .mean_axis(Axis(0))
        .ok_or_else(|| input("c2st", "empty reference"))?;
    let std = reference
        .std_axis(Axis(0), 1.0)
        .mapv(|s| if s > 0.0 { s } else { 1.0 });
    let mut rows: Vec<Row> = Vec::with_capacity(samples.nrows() + reference.nrows());
    for (set, label) in [(&reference, 1.0), (&samples, 0.0)] {
        for r in set.rows() {
            let x = r
                .iter()
                .zip(mean.iter().zip(std.iter()))
                .map(|(v, (m, s))| (v - m) / s)
                .collect();
            rows.push(Row { x, label });
        }
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.shuffle(&mut rng);
    let (base, extra) = (rows.len() / cfg.folds, rows.len() % cfg.folds);
    let mut folds = Vec::with_capacity(cfg.folds);
    let mut start = 0;
    for f in 0..cfg.folds {
        let len = base + usize::from(f < extra);
        folds.push(order[start..start + len].to_vec());
        start += len;
    }
    let accuracies = (0..cfg.folds)
        .into_par_iter()
        .map(|f| {
            let train: Vec<usize> = (0..cfg.folds)
                .filter(|&g| g != f)
                .flat_map(|g| folds[g].iter().copied())
                .collect();
            let seed = cfg.seed ^ (f as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            // training needs gradients whatever the caller's mode (and a worker thread's
            // default need not be the caller's)
            abi_tensor::enable_grad::<B, _>(|| {
                classifier::fold_accuracy::<B>(&rows, &train, &folds[f], dim, cfg, seed, device)
            })
        })
        .collect::<Result<Vec<f64>>>()?;
    Ok(accuracies.iter().sum::<f64>() / accuracies.len() as f64)
}

/// [`c2st_on`] with the benchmark's settings and `seed` on the CPU backend (`abi-ndarray`,
/// `f64`; feature `cpu`, on by default).
///
/// ```
/// use ndarray::Array2;
/// let a = Array2::from_shape_fn((400, 1), |(i, _)| (i as f64 * 0.37).sin());
/// let b = Array2::from_shape_fn((400, 1), |(i, _)| 5.0 + (i as f64 * 0.11).cos());
/// assert!(abi_diag::c2st(a.view(), b.view(), 0)? > 0.95);
/// # Ok::<(), abi_diag::DiagError>(())
/// ```
#[cfg(feature = "cpu")]
pub fn c2st(samples: ArrayView2<f64>, reference: ArrayView2<f64>, seed: u64) -> Result<f64> {
    c2st_with(
        samples,
        reference,
        &C2stConfig {
            seed,
            ..C2stConfig::benchmark()
        },
    )
}

/// [`c2st_on`] with explicit settings on the CPU backend (`abi-ndarray`, `f64`; feature
/// `cpu`, on by default).
#[cfg(feature = "cpu")]
pub fn c2st_with(
    samples: ArrayView2<f64>,
    reference: ArrayView2<f64>,
    cfg: &C2stConfig,
) -> Result<f64> {
    c2st_on::<abi_ndarray::NdArray<f64>>(samples, reference, cfg, &abi_ndarray::Cpu)
}
