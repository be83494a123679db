//! The classifier of neural ratio estimation: an MLP on `(θ, x)` pairs whose logit learns
//! `log p(θ | x) / p(θ)`, trained with the contrastive (NRE-C) or binary (NRE-A) loss.
//!
//! It plugs into the approximator seam as an inference network of the parameters given the
//! conditions: `loss` is the classification loss against contrastive parameters drawn from
//! the same batch, `log_prob` returns the logit (a log ratio, not a density), and it has no
//! sampler: its posteriors are drawn by MCMC.

use crate::parts::contrast::other_rows;
use abi_nets::inference::InferenceNetwork;
use abi_nets::{Activation, InferenceConfig, Mlp, MlpConfig, Mode, NetError, NetResult};
use abi_tensor::{Backend, ParamPath, Result, Tensor, TensorError};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// Which classification problem the ratio classifier learns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RatioLoss {
    /// NRE-C (Miller, Weniger & Forré, 2022; sbi's `NRE_C`): each data set is classified
    /// against `num_classes` parameter sets, one of which may be its own; `gamma` weighs the
    /// classes with a joint pair against the all-marginal class. Exact ratios at optimum.
    Contrastive {
        /// Contrastive parameter sets per data set, `K` (5).
        num_classes: usize,
        /// Odds of a joint pair being among the candidates, `γ` (1).
        gamma: f64,
    },
    /// NRE-A (Hermans, Begy & Louppe, 2020; sbi's `NRE_A`): binary cross-entropy between the
    /// joint pair and one marginal pair per data set.
    Binary,
}

impl Default for RatioLoss {
    fn default() -> Self {
        RatioLoss::Contrastive {
            num_classes: 5,
            gamma: 1.0,
        }
    }
}

/// Settings of the ratio classifier, registered as `ratio_classifier`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RatioClassifierConfig {
    /// Widths of the hidden layers ((128, 128)), with residual connections between equal
    /// widths.
    pub hidden_widths: Vec<usize>,
    /// Activation of the hidden layers (`silu`).
    pub activation: Activation,
    /// The loss.
    pub loss: RatioLoss,
}

impl Default for RatioClassifierConfig {
    fn default() -> Self {
        Self {
            hidden_widths: vec![128, 128],
            activation: Activation::Silu,
            loss: RatioLoss::default(),
        }
    }
}

impl InferenceConfig for RatioClassifierConfig {
    const NAME: &'static str = "ratio_classifier";

    fn build_network<B: Backend>(
        &self,
        path: &ParamPath<B>,
        dim: usize,
        cond_dim: usize,
        rng: &mut dyn RngCore,
    ) -> NetResult<Box<dyn InferenceNetwork<B>>> {
        let bad = |reason: String| NetError::config("ratio_classifier", reason);
        if dim == 0 || cond_dim == 0 {
            return Err(bad(format!(
                "needs parameters and data, got {dim} parameter and {cond_dim} condition features"
            )));
        }
        if let RatioLoss::Contrastive { num_classes, gamma } = self.loss {
            if num_classes == 0 || !(gamma > 0.0 && gamma.is_finite()) {
                return Err(bad(format!(
                    "NRE-C needs num_classes ≥ 1 and a positive finite gamma, got {num_classes} and {gamma}"
                )));
            }
        }
        let mut widths = vec![dim + cond_dim];
        widths.extend(&self.hidden_widths);
        widths.push(1);
        let mlp = MlpConfig::new(widths)
            .activation(self.activation)
            .residual(true)
            .build(&path.sub("mlp"), &mut sized(rng))?;
        Ok(Box::new(RatioClassifier {
            mlp,
            dim,
            loss: self.loss,
        }))
    }
}

/// `&mut dyn RngCore` as a sized `Rng` for builders that take `impl Rng`.
pub(super) struct RngAdapter<'a>(&'a mut dyn RngCore);

/// Wraps `rng` for builders that take `impl Rng`.
pub(super) fn sized(rng: &mut dyn RngCore) -> RngAdapter<'_> {
    RngAdapter(rng)
}

impl RngCore for RngAdapter<'_> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.0.fill_bytes(dst)
    }
}

/// The ratio classifier: `h(θ, x) = mlp([θ, x])`.
#[derive(Debug)]
pub struct RatioClassifier<B: Backend> {
    mlp: Mlp<B>,
    dim: usize,
    loss: RatioLoss,
}

impl<B: Backend> RatioClassifier<B> {
    /// Logits `(rows, atoms)` of the data sets' conditions paired with the parameter rows
    /// `theta_rows` (`atoms` consecutive entries per data set).
    fn atom_logits(
        &self,
        v: &Tensor<B>,
        c: &Tensor<B>,
        theta_rows: &[usize],
        atoms: usize,
    ) -> Result<Tensor<B>> {
        let rows = c.shape()[0];
        let cond_rows: Vec<usize> = (0..rows)
            .flat_map(|i| std::iter::repeat_n(i, atoms))
            .collect();
        let input = Tensor::cat(
            &[
                v.index_select(0, theta_rows)?,
                c.index_select(0, &cond_rows)?,
            ],
            1,
        )?;
        self.mlp.forward(&input)?.reshape(&[rows, atoms])
    }

    fn conditions<'a>(&self, c: Option<&'a Tensor<B>>) -> Result<&'a Tensor<B>> {
        c.ok_or_else(|| TensorError::InvalidArgument {
            op: "ratio_classifier",
            reason: "a ratio classifier needs the data as conditions".into(),
        })
    }
}

impl<B: Backend> InferenceNetwork<B> for RatioClassifier<B> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn loss(
        &self,
        v: &Tensor<B>,
        c: Option<&Tensor<B>>,
        _mode: Mode,
        rng: &mut dyn RngCore,
    ) -> Result<Tensor<B>> {
        let c = self.conditions(c)?;
        let rows = v.shape()[0];
        if rows < 2 {
            return Err(TensorError::InvalidArgument {
                op: "ratio_classifier loss",
                reason: format!(
                    "contrastive training needs batches of at least 2 rows, got {rows}"
                ),
            });
        }
        let device = v.device();
        match self.loss {
            RatioLoss::Binary => {
                // column 0: the joint pair (label 1); column 1: a marginal pair (label 0)
                let others = other_rows(rows, 1, rng);
                let theta_rows: Vec<usize> = (0..rows).flat_map(|i| [i, others[i]]).collect();
                let logits = self.atom_logits(v, c, &theta_rows, 2)?;
                let joint = logits.narrow(1, 0, 1)?;
                let marginal = logits.narrow(1, 1, 1)?;
                let zeros = Tensor::zeros(&[rows, 1], &device)?;
                // softplus(−h) for the joint pair, softplus(h) for the marginal one
                let softplus = |x: &Tensor<B>| {
                    Tensor::cat(&[zeros.clone(), x.clone()], 1)?.logsumexp(&[1], false)
                };
                let total = softplus(&joint.mul_scalar(-1.0)?)?.add(&softplus(&marginal)?)?;
                total.mean_all()?.mul_scalar(0.5)
            }
            RatioLoss::Contrastive { num_classes, gamma } => {
                let k = num_classes.min(rows - 1);
                let log_gamma = gamma.ln();
                let log_k = (k as f64).ln();
                let log_k_column = Tensor::full(&[rows, 1], log_k, &device)?;
                // the all-marginal class: k parameter sets from other rows
                let marginal_rows = other_rows(rows, k, rng);
                let marginal = self.atom_logits(v, c, &marginal_rows, k)?;
                // the joint class: the row's own parameters first, then k − 1 others
                let others = other_rows(rows, k.saturating_sub(1), rng);
                let joint_rows: Vec<usize> = (0..rows)
                    .flat_map(|i| {
                        std::iter::once(i)
                            .chain(others[i * (k - 1)..(i + 1) * (k - 1)].iter().copied())
                    })
                    .collect();
                let joint = self.atom_logits(v, c, &joint_rows, k)?;
                let denominator = |logits: &Tensor<B>| -> Result<Tensor<B>> {
                    Tensor::cat(&[logits.add_scalar(log_gamma)?, log_k_column.clone()], 1)?
                        .logsumexp(&[1], false)
                };
                let log_p_marginal = denominator(&marginal)?
                    .mul_scalar(-1.0)?
                    .add_scalar(log_k)?;
                let log_p_joint = joint
                    .narrow(1, 0, 1)?
                    .reshape(&[rows])?
                    .add_scalar(log_gamma)?
                    .sub(&denominator(&joint)?)?;
                let (p_marginal, p_joint) = (1.0 / (1.0 + gamma), gamma / (1.0 + gamma));
                log_p_marginal
                    .mul_scalar(p_marginal)?
                    .add(&log_p_joint.mul_scalar(p_joint)?)?
                    .mean_all()?
                    .mul_scalar(-1.0)
            }
        }
    }

    /// The logit `h(θ, x)`, an estimate of `log p(θ | x) / p(θ)` up to a constant of `x`:
    /// `(batch, dim)` → `(batch,)`.
    fn log_prob(&self, v: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        let c = self.conditions(c)?;
        let rows = v.shape()[0];
        self.mlp
            .forward(&Tensor::cat(&[v.clone(), c.clone()], 1)?)?
            .reshape(&[rows])
    }

    fn sample(
        &self,
        _n: usize,
        _c: Option<&Tensor<B>>,
        _rng: &mut dyn RngCore,
    ) -> Result<Tensor<B>> {
        Err(TensorError::InvalidArgument {
            op: "ratio_classifier",
            reason: "a ratio classifier has no sampler; draw its posterior by MCMC \
                     (RatioApproximator::posterior)"
                .into(),
        })
    }
}
