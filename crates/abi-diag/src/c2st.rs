//! The classifier two-sample test (Lopez-Paz & Oquab, 2017) as used by the SBI benchmark
//! (Lueckmann et al., 2021).

use crate::error::{DiagError, Result};
use abi_ndarray::{Cpu, NdArray};
use abi_nets::{Activation, Mlp, MlpConfig};
use abi_tensor::optim::{AdamConfig, Optimizer};
use abi_tensor::{ParamStore, Tensor, no_grad};
use ndarray::{ArrayView2, Axis};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Settings of [`c2st_with`]; the defaults follow the benchmark's classifier (scikit-learn's
/// `MLPClassifier` with Adam, learning rate 1e-3, batches of 200, at most 1000 epochs,
/// stopping after 10 epochs without a training-loss improvement of 1e-4).
#[derive(Debug, Clone, PartialEq)]
pub struct C2stConfig {
    /// Cross-validation folds.
    pub folds: usize,
    /// Seed of the fold split, initial weights and batch order.
    pub seed: u64,
    /// Most epochs per fold.
    pub max_epochs: usize,
    /// Rows per Adam step.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Smallest training-loss improvement that counts.
    pub tol: f64,
    /// Epochs without improvement before a fold stops.
    pub patience: usize,
    /// Hidden width per input dimension (`10 · dim` in the benchmark).
    pub width_per_dim: usize,
}

impl Default for C2stConfig {
    fn default() -> Self {
        Self {
            folds: 5,
            seed: 1,
            max_epochs: 1000,
            batch_size: 200,
            learning_rate: 1e-3,
            tol: 1e-4,
            patience: 10,
            width_per_dim: 10,
        }
    }
}

/// The C2ST accuracy of `samples` against `reference` (rows are draws): about 0.5 when they
/// come from the same distribution, up to 1.0 when a classifier separates them.
///
/// ```
/// use ndarray::Array2;
/// let a = Array2::from_shape_fn((400, 1), |(i, _)| (i as f64 * 0.37).sin());
/// let b = Array2::from_shape_fn((400, 1), |(i, _)| 5.0 + (i as f64 * 0.11).cos());
/// assert!(abi_diag::c2st(a.view(), b.view(), 0)? > 0.95);
/// # Ok::<(), abi_diag::DiagError>(())
/// ```
pub fn c2st(samples: ArrayView2<f64>, reference: ArrayView2<f64>, seed: u64) -> Result<f64> {
    c2st_with(
        samples,
        reference,
        &C2stConfig {
            seed,
            ..C2stConfig::default()
        },
    )
}

/// [`c2st`] with explicit settings. Folds are trained in parallel; the result depends only on
/// the inputs and the settings.
pub fn c2st_with(
    samples: ArrayView2<f64>,
    reference: ArrayView2<f64>,
    cfg: &C2stConfig,
) -> Result<f64> {
    let bad = |reason: String| DiagError::Input {
        what: "c2st",
        reason,
    };
    let dim = reference.ncols();
    if samples.ncols() != dim || dim == 0 {
        return Err(bad(format!(
            "samples have {} columns, the reference {dim}",
            samples.ncols()
        )));
    }
    if samples.nrows() < cfg.folds || reference.nrows() < cfg.folds || cfg.folds < 2 {
        return Err(bad(format!(
            "need at least {} rows in each set and 2 folds, got {} and {} rows",
            cfg.folds,
            samples.nrows(),
            reference.nrows()
        )));
    }
    if samples
        .iter()
        .chain(reference.iter())
        .any(|v| !v.is_finite())
    {
        return Err(bad("the samples hold NaN or infinite values".into()));
    }
    // z-score both by the reference's mean and (unbiased) standard deviation
    let mean = reference
        .mean_axis(Axis(0))
        .ok_or_else(|| bad("empty reference".into()))?;
    let std = reference
        .std_axis(Axis(0), 1.0)
        .mapv(|s| if s > 0.0 { s } else { 1.0 });
    let mut rows: Vec<(Vec<f32>, f32)> = Vec::with_capacity(samples.nrows() + reference.nrows());
    for (set, label) in [(samples, 0.0f32), (reference, 1.0f32)] {
        for r in set.rows() {
            let z = r
                .iter()
                .zip(mean.iter().zip(std.iter()))
                .map(|(v, (m, s))| ((v - m) / s) as f32)
                .collect();
            rows.push((z, label));
        }
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(cfg.seed));
    let folds: Vec<Vec<usize>> = (0..cfg.folds)
        .map(|f| order.iter().copied().skip(f).step_by(cfg.folds).collect())
        .collect();
    let accuracies = (0..cfg.folds)
        .into_par_iter()
        .map(|f| {
            let test = &folds[f];
            let train: Vec<usize> = (0..cfg.folds)
                .filter(|&g| g != f)
                .flat_map(|g| folds[g].iter().copied())
                .collect();
            fold_accuracy(&rows, &train, test, dim, cfg, f as u64)
        })
        .collect::<Result<Vec<f64>>>()?;
    Ok(accuracies.iter().sum::<f64>() / accuracies.len() as f64)
}

fn gather(
    rows: &[(Vec<f32>, f32)],
    idx: &[usize],
    dim: usize,
) -> Result<(Tensor<NdArray>, Tensor<NdArray>)> {
    let mut x = Vec::with_capacity(idx.len() * dim);
    let mut y = Vec::with_capacity(idx.len());
    for &i in idx {
        x.extend_from_slice(&rows[i].0);
        y.push(rows[i].1);
    }
    Ok((
        Tensor::from_vec(x, &[idx.len(), dim], &Cpu)?,
        Tensor::from_vec(y, &[idx.len(), 1], &Cpu)?,
    ))
}

/// Trains the classifier on `train` rows and returns its accuracy on `test` rows.
fn fold_accuracy(
    rows: &[(Vec<f32>, f32)],
    train: &[usize],
    test: &[usize],
    dim: usize,
    cfg: &C2stConfig,
    fold: u64,
) -> Result<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ (fold + 1).wrapping_mul(0x9E37_79B9));
    let store = ParamStore::<NdArray>::new(Cpu);
    let width = cfg.width_per_dim * dim;
    let net: Mlp<NdArray> = MlpConfig::new(vec![dim, width, width, 1])
        .activation(Activation::Relu)
        .build(&store.root(), &mut rng)?;
    let mut adam = AdamConfig {
        eps: 1e-8,
        ..AdamConfig::new(cfg.learning_rate)
    }
    .build::<NdArray>()?;
    let params = store.trainable_params();
    let mut order = train.to_vec();
    let (mut best, mut stale) = (f64::INFINITY, 0);
    for _ in 0..cfg.max_epochs {
        order.shuffle(&mut rng);
        let mut total = 0.0;
        for chunk in order.chunks(cfg.batch_size) {
            let (x, y) = gather(rows, chunk, dim)?;
            let logit = net.forward(&x)?;
            // binary cross-entropy with logits: softplus(l) − y·l
            let loss = logit.softplus()?.sub(&logit.mul(&y)?)?.mean_all()?;
            total += loss.to_scalar()? * chunk.len() as f64;
            let grads = loss.backward()?;
            adam.step(&params, &grads)?;
        }
        let epoch_loss = total / order.len() as f64;
        if epoch_loss > best - cfg.tol {
            stale += 1;
            if stale >= cfg.patience {
                break;
            }
        } else {
            stale = 0;
        }
        best = best.min(epoch_loss);
    }
    let (x, y) = gather(rows, test, dim)?;
    let logits = no_grad::<NdArray, _>(|| net.forward(&x))?.to_vec()?;
    let labels = y.to_vec()?;
    let correct = logits
        .iter()
        .zip(&labels)
        .filter(|(l, y)| (**l > 0.0) == (**y > 0.5))
        .count();
    Ok(correct as f64 / test.len() as f64)
}
