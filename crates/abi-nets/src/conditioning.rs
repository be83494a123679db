//! Conditioning layers for time-dependent networks: Fourier time features and FiLM.

use crate::Dense;
use abi_tensor::{Backend, Init, Param, ParamPath, Result, Tensor, TensorError};
use rand::Rng;

/// Random Fourier features of a scalar such as the time `t` (Tancik et al., 2020):
/// `t ↦ [sin(2π ωᵢ t), cos(2π ωᵢ t)]` with fixed frequencies `ωᵢ ~ N(0, scale²)`, stored as a
/// frozen parameter `frequencies` so they are saved with the model.
#[derive(Debug, Clone)]
pub struct FourierEmbedding<B: Backend> {
    frequencies: Param<B>,
    dim: usize,
}

impl<B: Backend> FourierEmbedding<B> {
    /// `dim` features (even) with frequency scale `scale`.
    pub fn new(path: &ParamPath<B>, dim: usize, scale: f64, rng: &mut impl Rng) -> Result<Self> {
        if dim == 0 || dim % 2 != 0 || !(scale > 0.0) {
            return Err(TensorError::InvalidArgument {
                op: "FourierEmbedding",
                reason: format!("need an even positive dim and scale > 0, got {dim} and {scale}"),
            });
        }
        let frequencies = path.param(
            "frequencies",
            &[1, dim / 2],
            Init::Normal {
                mean: 0.0,
                std: scale,
            },
            rng,
        )?;
        frequencies.set_trainable(false);
        Ok(Self { frequencies, dim })
    }

    /// Width of the embedding.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Embeds `t` shaped `(.., 1)` into `(.., dim)`.
    pub fn forward(&self, t: &Tensor<B>) -> Result<Tensor<B>> {
        if t.shape().last() != Some(&1) {
            return Err(TensorError::ShapeMismatch {
                op: "FourierEmbedding",
                lhs: t.shape(),
                rhs: vec![1],
            });
        }
        let angle = t
            .mul(&self.frequencies.value())?
            .mul_scalar(2.0 * std::f64::consts::PI)?;
        Tensor::cat(&[angle.sin()?, angle.cos()?], t.rank() - 1)
    }
}

/// Feature-wise linear modulation (Perez et al., 2018): `x ↦ x ⊙ (1 + γ(c)) + β(c)` with
/// `(γ, β)` from a dense layer of the conditions. The layer starts at zero, so a new FiLM is
/// the identity.
#[derive(Debug, Clone)]
pub struct Film<B: Backend> {
    project: Dense<B>,
    dim: usize,
}

impl<B: Backend> Film<B> {
    /// Modulates `dim` features by `cond_dim` condition features.
    pub fn new(
        path: &ParamPath<B>,
        dim: usize,
        cond_dim: usize,
        rng: &mut impl Rng,
    ) -> Result<Self> {
        Ok(Self {
            project: Dense::with_init(
                &path.sub("project"),
                cond_dim,
                2 * dim,
                Init::Zeros,
                true,
                rng,
            )?,
            dim,
        })
    }

    /// Applies the modulation to `x (.., dim)` given `c (.., cond_dim)`.
    pub fn forward(&self, x: &Tensor<B>, c: &Tensor<B>) -> Result<Tensor<B>> {
        let h = self.project.forward(c)?;
        let parts = h.split(h.rank() - 1, &[self.dim, self.dim])?;
        x.mul(&parts[0].add_scalar(1.0)?)?.add(&parts[1])
    }
}
