//! The multi-layer perceptron.

use crate::activation::Activation;
use crate::dense::Dense;
use crate::norm::LayerNorm;
use abi_tensor::{Backend, Init, ParamPath, Result, Tensor, TensorError};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Settings of an [`Mlp`]: layer widths from input to output and the hidden activation.
///
/// ```
/// use abi_nets::{Activation, MlpConfig};
/// let cfg = MlpConfig::new(vec![10, 256, 256, 256, 4]).activation(Activation::Relu);
/// assert_eq!(cfg.widths.len(), 5);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Widths of every layer boundary, input first, output last (at least two).
    pub widths: Vec<usize>,
    /// Activation between layers (none after the last).
    pub activation: Activation,
    /// Initialiser of the last layer's weights (`Zeros` makes the network start at its bias).
    pub output_init: Init,
    /// Skip connections around hidden layers whose input and output widths agree
    /// (`h + act(norm(dense(h)))`, He et al., 2016).
    #[serde(default)]
    pub residual: bool,
    /// Layer normalisation after each hidden dense layer, before the activation.
    #[serde(default)]
    pub layer_norm: bool,
}

impl MlpConfig {
    /// An MLP with ReLU activations and Glorot-uniform weights.
    pub fn new(widths: Vec<usize>) -> Self {
        Self {
            widths,
            activation: Activation::Relu,
            output_init: Init::GlorotUniform,
            residual: false,
            layer_norm: false,
        }
    }

    /// Adds skip connections around equal-width hidden layers.
    pub fn residual(mut self, on: bool) -> Self {
        self.residual = on;
        self
    }

    /// Adds layer normalisation to the hidden layers.
    pub fn layer_norm(mut self, on: bool) -> Self {
        self.layer_norm = on;
        self
    }

    /// Sets the hidden activation.
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Sets the initialiser of the output layer.
    pub fn output_init(mut self, init: Init) -> Self {
        self.output_init = init;
        self
    }

    /// Checks the settings.
    pub fn check(&self) -> Result<()> {
        if self.widths.len() < 2 || self.widths.contains(&0) {
            return Err(TensorError::InvalidArgument {
                op: "MlpConfig",
                reason: format!(
                    "widths must list at least input and output, all positive, got {:?}",
                    self.widths
                ),
            });
        }
        Ok(())
    }

    /// Builds the network under `path` (layers `path.0`, `path.1`, ...).
    pub fn build<B: Backend>(&self, path: &ParamPath<B>, rng: &mut impl Rng) -> Result<Mlp<B>> {
        self.check()?;
        let n = self.widths.len() - 1;
        let layers = (0..n)
            .map(|i| {
                let init = if i + 1 == n {
                    self.output_init
                } else {
                    Init::GlorotUniform
                };
                Dense::with_init(
                    &path.sub(i),
                    self.widths[i],
                    self.widths[i + 1],
                    init,
                    true,
                    rng,
                )
            })
            .collect::<Result<_>>()?;
        let norms = if self.layer_norm {
            (0..n - 1)
                .map(|i| LayerNorm::new(&path.sub(format!("norm{i}")), self.widths[i + 1], rng))
                .collect::<Result<_>>()?
        } else {
            Vec::new()
        };
        Ok(Mlp {
            layers,
            norms,
            activation: self.activation,
            residual: self.residual,
        })
    }
}

/// Dense layers with an activation between them: `(.., widths[0]) -> (.., widths[last])`.
#[derive(Debug, Clone)]
pub struct Mlp<B: Backend> {
    layers: Vec<Dense<B>>,
    norms: Vec<LayerNorm<B>>,
    activation: Activation,
    residual: bool,
}

impl<B: Backend> Mlp<B> {
    /// The layers.
    pub fn layers(&self) -> &[Dense<B>] {
        &self.layers
    }

    /// Applies the network.
    pub fn forward(&self, x: &Tensor<B>) -> Result<Tensor<B>> {
        self.forward_with_dropout(x, 0.0, None)
    }

    /// Applies the network with dropout of `rate` after each hidden activation when an RNG
    /// is given (training); without one, dropout is off (inference).
    pub fn forward_with_dropout(
        &self,
        x: &Tensor<B>,
        rate: f64,
        mut train: Option<&mut (dyn rand::RngCore + '_)>,
    ) -> Result<Tensor<B>> {
        let last = self.layers.len() - 1;
        let mut h = x.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            if i == last {
                h = layer.forward(&h)?;
                break;
            }
            let mut z = layer.forward(&h)?;
            if let Some(norm) = self.norms.get(i) {
                z = norm.forward(&z)?;
            }
            z = self.activation.apply(&z)?;
            if let (Some(rng), true) = (train.as_deref_mut(), rate > 0.0) {
                z = z.dropout(rate, true, rng)?;
            }
            h = if self.residual && layer.in_dim() == layer.out_dim() {
                h.add(&z)?
            } else {
                z
            };
        }
        Ok(h)
    }
}
