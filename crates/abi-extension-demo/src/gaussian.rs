//! [`ConditionalGaussian`]: `q(v | c) = N(μ(c), diag σ(c)²)` with `(μ, log σ)` from an MLP.

use abi_nets::{
    Activation, InferenceConfig, InferenceNetwork, Mlp, MlpConfig, Mode, NetError, NetResult,
};
use abi_tensor::{Backend, ParamPath, Result, Tensor, TensorError, no_grad};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// Settings of [`ConditionalGaussian`], registered as `conditional_gaussian`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConditionalGaussianConfig {
    /// Hidden widths of the MLP from conditions to `(μ, log σ)`.
    pub widths: Vec<usize>,
    /// Its activation.
    pub activation: Activation,
}

impl Default for ConditionalGaussianConfig {
    fn default() -> Self {
        Self {
            widths: vec![64, 64],
            activation: Activation::Silu,
        }
    }
}

impl InferenceConfig for ConditionalGaussianConfig {
    const NAME: &'static str = "conditional_gaussian";

    fn build_network<B: Backend>(
        &self,
        path: &ParamPath<B>,
        dim: usize,
        cond_dim: usize,
        mut rng: &mut dyn RngCore,
    ) -> NetResult<Box<dyn InferenceNetwork<B>>> {
        if dim == 0 || cond_dim == 0 || self.widths.contains(&0) {
            return Err(NetError::config(
                "ConditionalGaussian",
                format!(
                    "needs variables, conditions and positive widths; got dim {dim}, \
                     cond_dim {cond_dim}, widths {:?}",
                    self.widths
                ),
            ));
        }
        let mut sizes = vec![cond_dim];
        sizes.extend(&self.widths);
        sizes.push(2 * dim);
        let net = MlpConfig::new(sizes)
            .activation(self.activation)
            .build(&path.sub("mlp"), &mut rng)?;
        Ok(Box::new(ConditionalGaussian { net, dim }))
    }
}

/// A diagonal Gaussian whose mean and log standard deviation are an MLP of the conditions:
/// `(batch, cond) → N(μ, diag σ²)` over `(batch, dim)`. Exact for Gaussian posteriors such as
/// `gaussian_linear`'s.
pub struct ConditionalGaussian<B: Backend> {
    net: Mlp<B>,
    dim: usize,
}

impl<B: Backend> ConditionalGaussian<B> {
    /// `(μ, log σ)`, each `(batch, dim)`.
    fn moments(&self, c: Option<&Tensor<B>>) -> Result<(Tensor<B>, Tensor<B>)> {
        let c = c.ok_or_else(|| TensorError::InvalidArgument {
            op: "ConditionalGaussian",
            reason: "needs conditions".into(),
        })?;
        let out = self.net.forward(c)?;
        let last = out.rank() - 1;
        let parts = out.split(last, &[self.dim, self.dim])?;
        Ok((parts[0].clone(), parts[1].clone()))
    }
}

impl<B: Backend> InferenceNetwork<B> for ConditionalGaussian<B> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn loss(
        &self,
        v: &Tensor<B>,
        c: Option<&Tensor<B>>,
        _mode: Mode,
        _rng: &mut dyn RngCore,
    ) -> Result<Tensor<B>> {
        self.log_prob(v, c)?.mean_all()?.neg()
    }

    fn log_prob(&self, v: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        let (mean, log_std) = self.moments(c)?;
        let z = v.sub(&mean)?.mul(&log_std.neg()?.exp()?)?;
        let last = z.rank() - 1;
        let half_log_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
        z.square()?
            .mul_scalar(-0.5)?
            .sub(&log_std)?
            .add_scalar(-half_log_2pi)?
            .sum(&[last], false)
    }

    fn sample(&self, n: usize, c: Option<&Tensor<B>>, rng: &mut dyn RngCore) -> Result<Tensor<B>> {
        no_grad::<B, _>(|| {
            let (mean, log_std) = self.moments(c)?;
            let batch = mean.dim(0)?;
            let shape = [batch, 1, self.dim];
            let eps = Tensor::<B>::randn(&[batch, n, self.dim], rng, &mean.device())?;
            eps.mul(&log_std.exp()?.reshape(&shape)?)?
                .add(&mean.reshape(&shape)?)
        })
    }

    fn latent(&self, v: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        let (mean, log_std) = self.moments(c)?;
        v.sub(&mean)?.mul(&log_std.neg()?.exp()?)
    }
}
