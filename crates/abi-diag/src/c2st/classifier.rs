//! The C2ST classifier: scikit-learn's `MLPClassifier` (ReLU, two hidden layers, logistic
//! output, L2 penalty, Adam, early stopping on the training loss) written against
//! `abi_tensor::Backend`.

use super::C2stConfig;
use crate::error::Result;
use abi_tensor::optim::{AdamConfig, Optimizer};
use abi_tensor::{Backend, Init, Param, ParamStore, Tensor, no_grad};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// One labelled, standardised row.
pub(super) struct Row {
    pub(super) x: Vec<f64>,
    pub(super) label: f64,
}

/// The three dense layers `(weight, bias)`.
struct Mlp<B: Backend> {
    layers: Vec<(Param<B>, Param<B>)>,
}

impl<B: Backend> Mlp<B> {
    /// Weights and biases both `U(±√(6 / (fan_in + fan_out)))` (Glorot & Bengio 2010, as
    /// scikit-learn initialises ReLU networks).
    fn new(store: &ParamStore<B>, widths: &[usize], rng: &mut ChaCha8Rng) -> Result<Self> {
        let root = store.root();
        let mut layers = Vec::new();
        for (k, w) in widths.windows(2).enumerate() {
            let bound = (6.0 / (w[0] + w[1]) as f64).sqrt();
            let init = Init::Uniform {
                low: -bound,
                high: bound,
            };
            let path = root.sub(format!("layer{k}"));
            let weight = path.param("weight", &[w[0], w[1]], init, rng)?;
            let bias = path.param("bias", &[w[1]], init, rng)?;
            layers.push((weight, bias));
        }
        Ok(Self { layers })
    }

    /// Logits `(rows, 1)` of inputs `(rows, dim)`.
    fn forward(&self, x: &Tensor<B>) -> Result<Tensor<B>> {
        let mut h = x.clone();
        let last = self.layers.len() - 1;
        for (k, (w, b)) in self.layers.iter().enumerate() {
            h = h.linear(&w.value(), Some(&b.value()))?;
            if k < last {
                h = h.relu()?;
            }
        }
        Ok(h)
    }

    /// `Σ ‖W‖²` over the weight matrices (not the biases).
    fn weight_norm(&self) -> Result<Tensor<B>> {
        let mut total: Option<Tensor<B>> = None;
        for (w, _) in &self.layers {
            let s = w.value().sum_squares()?;
            total = Some(match total {
                Some(t) => t.add(&s)?,
                None => s,
            });
        }
        total.ok_or_else(|| crate::error::input("c2st", "classifier has no layers"))
    }
}

fn batch<B: Backend>(
    rows: &[Row],
    idx: &[usize],
    dim: usize,
    device: &B::Device,
) -> Result<(Tensor<B>, Tensor<B>)> {
    let mut x = Vec::with_capacity(idx.len() * dim);
    let mut y = Vec::with_capacity(idx.len());
    for &i in idx {
        x.extend_from_slice(&rows[i].x);
        y.push(rows[i].label);
    }
    Ok((
        Tensor::from_f64(&x, &[idx.len(), dim], device)?,
        Tensor::from_f64(&y, &[idx.len(), 1], device)?,
    ))
}

/// Trains the classifier on the `train` rows and returns its accuracy on the `test` rows.
///
/// Per epoch the training rows are shuffled and cut into batches of `min(batch_size, n)`;
/// each batch's loss is the mean binary cross-entropy plus `α/2 · Σ‖W‖² / batch rows`, and
/// Adam takes one step on it. The epoch loss is the row-weighted mean of the batch losses.
/// Training stops after `max_epochs`, or once the epoch loss has failed to fall below the best
/// so far minus `tol` more than `patience` times in a row (scikit-learn's
/// `n_iter_no_change` rule).
pub(super) fn fold_accuracy<B: Backend>(
    rows: &[Row],
    train: &[usize],
    test: &[usize],
    dim: usize,
    cfg: &C2stConfig,
    seed: u64,
    device: &B::Device,
) -> Result<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let store = ParamStore::<B>::new(device.clone());
    let width = cfg.width_per_dim * dim;
    let net = Mlp::new(&store, &[dim, width, width, 1], &mut rng)?;
    let mut adam = AdamConfig {
        eps: 1e-8,
        ..AdamConfig::new(cfg.learning_rate)
    }
    .build::<B>()?;
    let params = store.trainable_params();
    let mut order = train.to_vec();
    let batch_size = cfg.batch_size.clamp(1, order.len().max(1));
    let (mut best, mut stale) = (f64::INFINITY, 0usize);
    for _ in 0..cfg.max_epochs {
        order.shuffle(&mut rng);
        let mut total = 0.0;
        for chunk in order.chunks(batch_size) {
            let (x, y) = batch::<B>(rows, chunk, dim, device)?;
            let logit = net.forward(&x)?;
            // binary cross-entropy with logits: softplus(l) − y·l
            let mut loss = logit.softplus()?.sub(&logit.mul(&y)?)?.mean_all()?;
            if cfg.alpha > 0.0 {
                let penalty = net
                    .weight_norm()?
                    .mul_scalar(0.5 * cfg.alpha / chunk.len() as f64)?;
                loss = loss.add(&penalty)?;
            }
            total += loss.to_scalar()? * chunk.len() as f64;
            let grads = loss.backward()?;
            adam.step(&params, &grads)?;
        }
        let epoch_loss = total / order.len() as f64;
        if epoch_loss > best - cfg.tol {
            stale += 1;
        } else {
            stale = 0;
        }
        best = best.min(epoch_loss);
        if stale > cfg.patience {
            break;
        }
    }
    let (x, y) = batch::<B>(rows, test, dim, device)?;
    let logits = no_grad::<B, _>(|| net.forward(&x))?.to_f64_vec()?;
    let labels = y.to_f64_vec()?;
    let correct = logits
        .iter()
        .zip(&labels)
        .filter(|(l, y)| (**l > 0.0) == (**y > 0.5))
        .count();
    Ok(correct as f64 / test.len().max(1) as f64)
}
