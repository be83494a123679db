//! The fully connected layer.

use abi_tensor::{Backend, Init, Param, ParamPath, Result, Tensor, TensorError};
use rand::Rng;

/// `y = x W + b` over the last axis: `(.., in) -> (.., out)`.
///
/// Parameters: `weight` `(in, out)` and `bias` `(out)` under the layer's path.
#[derive(Debug, Clone)]
pub struct Dense<B: Backend> {
    weight: Param<B>,
    bias: Option<Param<B>>,
    in_dim: usize,
    out_dim: usize,
}

impl<B: Backend> Dense<B> {
    /// A layer with Glorot-uniform weights and zero bias.
    pub fn new(
        path: &ParamPath<B>,
        in_dim: usize,
        out_dim: usize,
        rng: &mut impl Rng,
    ) -> Result<Self> {
        Self::with_init(path, in_dim, out_dim, Init::GlorotUniform, true, rng)
    }

    /// A layer with a chosen weight initialiser, with or without bias.
    pub fn with_init(
        path: &ParamPath<B>,
        in_dim: usize,
        out_dim: usize,
        init: Init,
        bias: bool,
        rng: &mut impl Rng,
    ) -> Result<Self> {
        let weight = path.param("weight", &[in_dim, out_dim], init, rng)?;
        let bias = if bias {
            Some(path.param("bias", &[out_dim], Init::Zeros, rng)?)
        } else {
            None
        };
        Ok(Self {
            weight,
            bias,
            in_dim,
            out_dim,
        })
    }

    /// Input width.
    pub fn in_dim(&self) -> usize {
        self.in_dim
    }

    /// Output width.
    pub fn out_dim(&self) -> usize {
        self.out_dim
    }

    /// Applies the layer to `(.., in)`.
    pub fn forward(&self, x: &Tensor<B>) -> Result<Tensor<B>> {
        let shape = x.shape();
        if shape.last() != Some(&self.in_dim) {
            return Err(TensorError::ShapeMismatch {
                op: "Dense::forward",
                lhs: shape,
                rhs: vec![self.in_dim, self.out_dim],
            });
        }
        let w = self.weight.value();
        let bias = self.bias.as_ref().map(|b| b.value());
        if shape.len() == 1 {
            return x.unsqueeze(0)?.linear(&w, bias.as_ref())?.squeeze(0);
        }
        x.linear(&w, bias.as_ref())
    }
}
