//! The classifier of amortized model comparison: an MLP on the data's conditions whose
//! softmax is `p(model | x)`, trained with the cross-entropy against the one-hot index of the
//! model that simulated each data set (Radev et al., 2021; BayesFlow's
//! `ModelComparisonApproximator`).
//!
//! On the approximator seam it is an inference network of the one-hot model indicator given
//! the conditions: `log_prob` is `log p(model | x)` of the given indicator and `sample` draws
//! indicators from the predicted probabilities.

use super::classifier::sized;
use abi_nets::inference::InferenceNetwork;
use abi_nets::{Activation, InferenceConfig, Mlp, MlpConfig, Mode, NetError, NetResult};
use abi_tensor::{Backend, ParamPath, Result, Tensor, TensorError};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

/// Settings of the model classifier, registered as `model_classifier`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelClassifierConfig {
    /// Widths of the hidden layers ((128, 128)), with residual connections between equal
    /// widths.
    pub hidden_widths: Vec<usize>,
    /// Activation of the hidden layers (`silu`).
    pub activation: Activation,
    /// Dropout after each hidden activation in training (0.05).
    pub dropout: f64,
}

impl Default for ModelClassifierConfig {
    fn default() -> Self {
        Self {
            hidden_widths: vec![128, 128],
            activation: Activation::Silu,
            dropout: 0.05,
        }
    }
}

impl InferenceConfig for ModelClassifierConfig {
    const NAME: &'static str = "model_classifier";

    fn build_network<B: Backend>(
        &self,
        path: &ParamPath<B>,
        dim: usize,
        cond_dim: usize,
        rng: &mut dyn RngCore,
    ) -> NetResult<Box<dyn InferenceNetwork<B>>> {
        if dim < 2 || cond_dim == 0 || !(0.0..1.0).contains(&self.dropout) {
            return Err(NetError::config(
                "model_classifier",
                format!(
                    "needs at least two models, data features and a dropout in [0, 1), got {dim} models, \
                     {cond_dim} condition features, dropout {}",
                    self.dropout
                ),
            ));
        }
        let mut widths = vec![cond_dim];
        widths.extend(&self.hidden_widths);
        widths.push(dim);
        let mlp = MlpConfig::new(widths)
            .activation(self.activation)
            .residual(true)
            .build(&path.sub("mlp"), &mut sized(rng))?;
        Ok(Box::new(ModelClassifier {
            mlp,
            models: dim,
            dropout: self.dropout,
        }))
    }
}

/// The model classifier: `log p(model | x) = log_softmax(mlp(x))`.
#[derive(Debug)]
pub struct ModelClassifier<B: Backend> {
    mlp: Mlp<B>,
    models: usize,
    dropout: f64,
}

impl<B: Backend> ModelClassifier<B> {
    fn log_probabilities(
        &self,
        c: Option<&Tensor<B>>,
        train: Option<&mut dyn RngCore>,
    ) -> Result<Tensor<B>> {
        let c = c.ok_or_else(|| TensorError::InvalidArgument {
            op: "model_classifier",
            reason: "a model classifier needs the data as conditions".into(),
        })?;
        self.mlp
            .forward_with_dropout(c, self.dropout, train)?
            .log_softmax(1)
    }
}

impl<B: Backend> InferenceNetwork<B> for ModelClassifier<B> {
    fn dim(&self) -> usize {
        self.models
    }

    fn loss(
        &self,
        v: &Tensor<B>,
        c: Option<&Tensor<B>>,
        mode: Mode,
        rng: &mut dyn RngCore,
    ) -> Result<Tensor<B>> {
        let train = match mode {
            Mode::Train => Some(rng),
            Mode::Eval => None,
        };
        let log_p = self.log_probabilities(c, train)?;
        v.mul(&log_p)?
            .sum(&[1], false)?
            .mean_all()?
            .mul_scalar(-1.0)
    }

    /// `log p(model | x)` of the one-hot indicator in each row of `v`.
    fn log_prob(&self, v: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        v.mul(&self.log_probabilities(c, None)?)?.sum(&[1], false)
    }

    /// `n` one-hot model indicators per data set drawn from `p(model | x)`: `(batch, n, models)`.
    fn sample(&self, n: usize, c: Option<&Tensor<B>>, rng: &mut dyn RngCore) -> Result<Tensor<B>> {
        let probs = self.log_probabilities(c, None)?.exp()?.to_f64_vec()?;
        let k = self.models;
        let rows = probs.len() / k;
        let mut out = vec![0.0; rows * n * k];
        for (i, p) in probs.chunks(k).enumerate() {
            for j in 0..n {
                let u: f64 = rng.random();
                let mut acc = 0.0;
                let chosen = p
                    .iter()
                    .position(|q| {
                        acc += q;
                        u < acc
                    })
                    .unwrap_or(k - 1);
                out[(i * n + j) * k + chosen] = 1.0;
            }
        }
        let device = c
            .map(Tensor::device)
            .ok_or_else(|| TensorError::InvalidArgument {
                op: "model_classifier",
                reason: "a model classifier needs the data as conditions".into(),
            })?;
        Tensor::from_f64(&out, &[rows, n, k], &device)
    }
}
