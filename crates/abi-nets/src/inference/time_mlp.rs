//! The time-conditioned MLP shared by flow matching and consistency models:
//! `F(x, t, c) = MLP([x, sin 2πf t, cos 2πf t, c])` with log-spaced Fourier frequencies `f`.

use crate::{Activation, Mlp, MlpConfig};
use abi_tensor::{Backend, Init, ParamPath, Result, Tensor, TensorError};
use rand::Rng;

/// A time-conditioned MLP from `(x, t, c)` to `dim` outputs.
pub(crate) struct TimeMlp<B: Backend> {
    net: Mlp<B>,
    frequencies: Vec<f64>,
}

/// How to build a [`TimeMlp`].
pub(crate) struct TimeMlpSpec<'a> {
    pub widths: &'a [usize],
    pub activation: Activation,
    pub residual: bool,
    pub layer_norm: bool,
    pub time_embedding_dim: usize,
    pub output_init: Init,
}

impl<B: Backend> TimeMlp<B> {
    /// Builds the network at `path` (its layers under `path`) for `dim` variables and
    /// `cond_dim` condition features.
    pub(crate) fn build(
        spec: &TimeMlpSpec<'_>,
        path: &ParamPath<B>,
        dim: usize,
        cond_dim: usize,
        rng: &mut impl Rng,
    ) -> Result<Self> {
        if spec.time_embedding_dim < 2 || spec.time_embedding_dim % 2 != 0 {
            return Err(TensorError::InvalidArgument {
                op: "TimeMlp",
                reason: format!(
                    "the time embedding needs an even size >= 2, got {}",
                    spec.time_embedding_dim
                ),
            });
        }
        let mut widths = vec![dim + spec.time_embedding_dim + cond_dim];
        widths.extend_from_slice(spec.widths);
        widths.push(dim);
        let net = MlpConfig::new(widths)
            .activation(spec.activation)
            .residual(spec.residual)
            .layer_norm(spec.layer_norm)
            .output_init(spec.output_init)
            .build(path, rng)?;
        // log-spaced frequencies from 1/2 to 2^(k/2 − 1)
        let half = spec.time_embedding_dim / 2;
        let frequencies = (0..half).map(|k| 0.5 * 2f64.powf(k as f64 / 2.0)).collect();
        Ok(Self { net, frequencies })
    }

    /// `F(x, t, c)`: `x (.., dim)`, `t (.., 1)`, `c (.., cond)` → `(.., dim)`.
    pub(crate) fn forward(
        &self,
        x: &Tensor<B>,
        t: &Tensor<B>,
        c: Option<&Tensor<B>>,
    ) -> Result<Tensor<B>> {
        let last = x.rank() - 1;
        let angular: Vec<f64> = self
            .frequencies
            .iter()
            .map(|f| 2.0 * std::f64::consts::PI * f)
            .collect();
        let f = Tensor::<B>::from_f64(&angular, &[angular.len()], &x.device())?;
        let phase = t.mul(&f)?; // (.., half)
        let mut parts = vec![x.clone(), phase.sin()?, phase.cos()?];
        if let Some(c) = c {
            parts.push(c.clone());
        }
        self.net.forward(&Tensor::cat(&parts, last)?)
    }
}

/// A column of the constant `t` shaped like `like` with its last axis of size one.
pub(crate) fn time_column<B: Backend>(like: &Tensor<B>, t: f64) -> Result<Tensor<B>> {
    let mut shape = like.shape();
    let last = shape.len() - 1;
    shape[last] = 1;
    Tensor::full(&shape, t, &like.device())
}
