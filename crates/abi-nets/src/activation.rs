//! Activation functions by name.

use abi_tensor::{Backend, Result, Tensor};
use serde::{Deserialize, Serialize};

/// An elementwise nonlinearity, serialisable by name (`"relu"`, `"mish"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// No nonlinearity.
    Identity,
    /// `max(x, 0)`
    #[default]
    Relu,
    /// exact GELU
    Gelu,
    /// SiLU / swish
    Silu,
    /// `x · tanh(softplus(x))`
    Mish,
    /// `x · relu6(x + 3) / 6` (BayesFlow's default in coupling subnets)
    HardSilu,
    /// hyperbolic tangent
    Tanh,
    /// logistic sigmoid
    Sigmoid,
    /// ELU with `alpha = 1`
    Elu,
}

impl Activation {
    /// Applies the activation.
    pub fn apply<B: Backend>(self, x: &Tensor<B>) -> Result<Tensor<B>> {
        match self {
            Activation::Identity => Ok(x.clone()),
            Activation::Relu => x.relu(),
            Activation::Gelu => x.gelu(),
            Activation::Silu => x.silu(),
            Activation::Mish => x.mish(),
            Activation::HardSilu => x.hard_silu(),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Elu => x.elu(1.0),
        }
    }
}
