//! The masked autoregressive flow.

use super::chunked::map_draws;
use super::{BaseDistribution, InferenceNetwork, Mode, Permutation, StoredPermutation};
use crate::Activation;
use crate::error::{NetError, NetResult};
use abi_tensor::{Backend, Init, Param, ParamPath, Result, Tensor, TensorError, no_grad};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

/// Settings of a [`Maf`]; the defaults are sbi's MAF density estimator (5 transforms, MADEs
/// with two hidden layers of 50 tanh units, random permutations in between).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MafConfig {
    /// Number of autoregressive transforms.
    pub transforms: usize,
    /// Hidden units per MADE layer.
    pub hidden: usize,
    /// Hidden layers per MADE.
    pub hidden_layers: usize,
    /// Activation.
    pub activation: Activation,
    /// The latent distribution.
    pub base: BaseDistribution,
}

impl Default for MafConfig {
    fn default() -> Self {
        Self {
            transforms: 5,
            hidden: 50,
            hidden_layers: 2,
            activation: Activation::Tanh,
            base: BaseDistribution::Normal,
        }
    }
}

/// A dense layer whose weight is multiplied by a fixed 0/1 mask (the MADE construction).
struct MaskedDense<B: Backend> {
    weight: Param<B>,
    bias: Param<B>,
    mask: Tensor<B>,
}

impl<B: Backend> MaskedDense<B> {
    fn new(
        path: &ParamPath<B>,
        mask: Vec<f64>,
        inp: usize,
        out: usize,
        init: Init,
        rng: &mut impl Rng,
    ) -> Result<Self> {
        Ok(Self {
            weight: path.param("weight", &[inp, out], init, rng)?,
            bias: path.param("bias", &[out], Init::Zeros, rng)?,
            mask: Tensor::from_f64(&mask, &[inp, out], path.device())?,
        })
    }

    fn forward(&self, x: &Tensor<B>) -> Result<Tensor<B>> {
        let w = self.weight.value().mul(&self.mask)?;
        let shape = x.shape();
        let inp = shape[shape.len() - 1];
        let rows: usize = shape[..shape.len() - 1].iter().product();
        let mut out_shape = shape[..shape.len() - 1].to_vec();
        out_shape.push(w.dim(1)?);
        x.reshape(&[rows, inp])?
            .linear(&w, Some(&self.bias.value()))?
            .reshape(&out_shape)
    }
}

/// One MADE (Germain et al., 2015): outputs `(shift, raw scale)` for each dimension that depend
/// only on earlier dimensions (and on all conditions).
struct Made<B: Backend> {
    layers: Vec<MaskedDense<B>>,
    /// conditions straight to the outputs, so that the first dimension depends on them too
    cond_out: Option<crate::Dense<B>>,
    activation: Activation,
    dim: usize,
    cond: usize,
}

impl<B: Backend> Made<B> {
    fn new(
        path: &ParamPath<B>,
        dim: usize,
        cond: usize,
        cfg: &MafConfig,
        rng: &mut impl Rng,
    ) -> Result<Self> {
        // degrees: inputs 1..=dim, conditions 0, hidden cycle through 1..dim−1, outputs 1..=dim;
        // in one dimension the hidden units have degree 0: they see the conditions only
        // the first layer's size is checked against the store's limits before any degree
        // or mask is computed
        path.sub(0)
            .reserve("weight", &[dim.saturating_add(cond), cfg.hidden])?;
        let mut in_degrees: Vec<usize> = (1..=dim).collect();
        in_degrees.extend(std::iter::repeat_n(0, cond));
        let hidden_degrees: Vec<usize> = (0..cfg.hidden)
            .map(|k| if dim == 1 { 0 } else { 1 + k % (dim - 1) })
            .collect();
        let mut layers = Vec::new();
        let mut prev = in_degrees;
        for l in 0..cfg.hidden_layers {
            path.sub(l).reserve("weight", &[prev.len(), cfg.hidden])?;
            let mask: Vec<f64> = prev
                .iter()
                .flat_map(|&p| {
                    hidden_degrees
                        .iter()
                        .map(move |&h| if h >= p { 1.0 } else { 0.0 })
                })
                .collect();
            layers.push(MaskedDense::new(
                &path.sub(l),
                mask,
                prev.len(),
                cfg.hidden,
                Init::GlorotUniform,
                rng,
            )?);
            prev = hidden_degrees.clone();
        }
        // two outputs per dimension, laid out (shift for all dims, raw scale for all dims)
        let out_degrees: Vec<usize> = (1..=dim).chain(1..=dim).collect();
        let mask: Vec<f64> = prev
            .iter()
            .flat_map(|&p| {
                out_degrees
                    .iter()
                    .map(move |&o| if o > p { 1.0 } else { 0.0 })
            })
            .collect();
        layers.push(MaskedDense::new(
            &path.sub(cfg.hidden_layers),
            mask,
            prev.len(),
            2 * dim,
            Init::Zeros,
            rng,
        )?);
        let cond_out = if cond > 0 {
            Some(crate::Dense::with_init(
                &path.sub("context"),
                cond,
                2 * dim,
                Init::Zeros,
                false,
                rng,
            )?)
        } else {
            None
        };
        Ok(Self {
            layers,
            cond_out,
            activation: cfg.activation,
            dim,
            cond,
        })
    }

    /// `(shift, scale)` with the soft scale `softplus(asinh(raw) + ln(e − 1))` (1 at zero,
    /// positive, unbounded in both directions; a sigmoid-bounded scale can only contract).
    fn params(&self, x: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<(Tensor<B>, Tensor<B>)> {
        let mut h = match c {
            Some(c) => Tensor::cat(&[x.clone(), c.clone()], x.rank() - 1)?,
            None => x.clone(),
        };
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h)?;
            if i < last {
                h = self.activation.apply(&h)?;
            }
        }
        if let (Some(direct), Some(c)) = (&self.cond_out, c) {
            if c.shape().last() != Some(&self.cond) {
                return Err(TensorError::ShapeMismatch {
                    op: "Maf (conditions)",
                    lhs: c.shape(),
                    rhs: vec![self.cond],
                });
            }
            h = h.add(&direct.forward(c)?)?;
        }
        let parts = h.split(h.rank() - 1, &[self.dim, self.dim])?;
        let scale = parts[1]
            .asinh()?
            .add_scalar(super::coupling::LN_E_MINUS_1)?
            .softplus()?;
        Ok((parts[0].clone(), scale))
    }
}

/// Masked autoregressive flow (Papamakarios et al., 2017), sbi's default NPE estimator:
/// `z_i = x_i · s_i(x_<i, c) + t_i(x_<i, c)` per transform, random permutations between.
/// Density evaluation is one pass per transform; sampling inverts dimension by dimension.
pub struct Maf<B: Backend> {
    mades: Vec<Made<B>>,
    permutations: Vec<StoredPermutation<B>>,
    dim: usize,
    cond_dim: usize,
    config: MafConfig,
}

impl<B: Backend> std::fmt::Debug for Maf<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Maf")
            .field("dim", &self.dim)
            .field("cond_dim", &self.cond_dim)
            .field("config", &self.config)
            .finish()
    }
}

impl MafConfig {
    /// Builds a MAF over `dim` inference variables with `cond_dim` condition features.
    pub fn build<B: Backend>(
        &self,
        path: &ParamPath<B>,
        dim: usize,
        cond_dim: usize,
        rng: &mut impl Rng,
    ) -> NetResult<Maf<B>> {
        self.base.check()?;
        if dim == 0 || self.transforms == 0 || self.hidden == 0 || self.hidden_layers == 0 {
            return Err(NetError::config(
                "Maf",
                format!("need positive dim and sizes, got dim {dim} and {self:?}"),
            ));
        }
        let mut mades = Vec::with_capacity(self.transforms.min(64));
        let mut permutations = Vec::with_capacity(self.transforms.min(64));
        for i in 0..self.transforms {
            mades.push(Made::new(&path.sub(i), dim, cond_dim, self, rng)?);
            let mut seed_rng = rand_chacha_from(rng);
            permutations.push(StoredPermutation::new(
                &path.sub(i).sub("permutation"),
                Permutation::random(dim, &mut seed_rng),
            )?);
        }
        Ok(Maf {
            mades,
            permutations,
            dim,
            cond_dim,
            config: self.clone(),
        })
    }
}

fn rand_chacha_from(rng: &mut impl Rng) -> rand_chacha::ChaCha8Rng {
    <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(rng.random())
}

crate::registry::inference_config!(MafConfig, "maf");

impl<B: Backend> Maf<B> {
    /// `x → z` and `log |det ∂z/∂x|` per row.
    pub fn forward(&self, x: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<(Tensor<B>, Tensor<B>)> {
        if x.shape().last() != Some(&self.dim) {
            return Err(TensorError::ShapeMismatch {
                op: "Maf",
                lhs: x.shape(),
                rhs: vec![self.dim],
            });
        }
        let last = x.rank() - 1;
        let mut h = x.clone();
        let mut log_det = Tensor::zeros(&x.shape()[..last], &x.device())?;
        for (made, perm) in self.mades.iter().zip(&self.permutations) {
            let (shift, scale) = made.params(&h, c)?;
            h = h.mul(&scale)?.add(&shift)?;
            log_det = log_det.add(&scale.log()?.sum(&[last], false)?)?;
            h = perm.forward(&h)?;
        }
        Ok((h, log_det))
    }

    /// `z → x`, one dimension at a time per transform.
    pub fn inverse(&self, z: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        let mut h = z.clone();
        for (made, perm) in self.mades.iter().zip(&self.permutations).rev() {
            h = perm.inverse(&h)?;
            let y = h.clone();
            let mut x = Tensor::zeros(&y.shape(), &y.device())?;
            for _ in 0..self.dim {
                // after pass i, dimensions ≤ i are exact
                let (shift, scale) = made.params(&x, c)?;
                x = y.sub(&shift)?.div(&scale)?;
            }
            h = x;
        }
        Ok(h)
    }
}

impl<B: Backend> InferenceNetwork<B> for Maf<B> {
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

    fn latent(&self, v: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        Ok(self.forward(v, c)?.0)
    }

    fn log_prob(&self, v: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        let (z, log_det) = self.forward(v, c)?;
        self.config.base.log_prob(&z)?.add(&log_det)
    }

    fn sample(&self, n: usize, c: Option<&Tensor<B>>, rng: &mut dyn RngCore) -> Result<Tensor<B>> {
        no_grad::<B, _>(|| {
            let batch = c.map(|c| c.dim(0)).transpose()?.unwrap_or(1);
            let device = c.map(|c| c.device()).unwrap_or_default();
            let z = self
                .config
                .base
                .sample::<B>(&[batch, n, self.dim], rng, &device)?;
            map_draws(&z, c, |z, c| self.inverse(z, c))
        })
    }
}
