use abi_tensor::{Backend, Init, Param, ParamPath, Result, Tensor};
use rand::Rng;

/// Activation normalisation (Kingma & Dhariwal, 2018): a learned per-feature affine map
/// `y = x · exp(log_scale) + bias`, starting as the identity.
#[derive(Debug, Clone)]
pub struct ActNorm<B: Backend> {
    log_scale: Param<B>,
    bias: Param<B>,
}

impl<B: Backend> ActNorm<B> {
    /// Parameters `log_scale` and `bias` `(dim)` under `path`, both zero.
    pub fn new(path: &ParamPath<B>, dim: usize, rng: &mut impl Rng) -> Result<Self> {
        Ok(Self {
            log_scale: path.param("log_scale", &[dim], Init::Zeros, rng)?,
            bias: path.param("bias", &[dim], Init::Zeros, rng)?,
        })
    }

    /// `(.., dim)` → `(.., dim)` and the log-determinant `Σ log_scale` (a scalar).
    pub fn forward(&self, x: &Tensor<B>) -> Result<(Tensor<B>, Tensor<B>)> {
        let ls = self.log_scale.value();
        let y = x.mul(&ls.exp()?)?.add(&self.bias.value())?;
        Ok((y, ls.sum_all()?))
    }

    /// The inverse map.
    pub fn inverse(&self, y: &Tensor<B>) -> Result<Tensor<B>> {
        y.sub(&self.bias.value())?
            .mul(&self.log_scale.value().neg()?.exp()?)
    }
}
