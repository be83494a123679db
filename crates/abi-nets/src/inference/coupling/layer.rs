use super::spline::{self, SplineConfig};
use crate::{Activation, Mlp, MlpConfig};
use abi_tensor::{Backend, Init, ParamPath, Result, Tensor};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

/// The elementwise bijection a coupling applies to the transformed half.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CouplingTransform {
    /// `y = x · s + t` with BayesFlow's soft scale (Dinh et al., 2017).
    Affine,
    /// Monotonic rational-quadratic spline with linear tails (Durkan et al., 2019).
    Spline(SplineConfig),
}

impl CouplingTransform {
    fn params_per_element(&self) -> usize {
        match self {
            CouplingTransform::Affine => 2,
            CouplingTransform::Spline(cfg) => cfg.params_per_element(),
        }
    }
}

/// One coupling layer: the second part of the features is transformed elementwise with
/// parameters computed from the first part and the conditions, `y₂ = f(x₂; subnet(x₁, c))`,
/// `y₁ = x₁` (Dinh et al., 2017, "Density estimation using Real NVP").
///
/// Affine: the scale is BayesFlow's soft form `s = softplus(asinh(ŝ) + ln(e − 1))`, 1 at
/// `ŝ = 0`, growing only logarithmically, always positive. Spline: bins and knot slopes come
/// from softmax / softplus with floors, and values outside the domain pass unchanged. The
/// subnet's output layer starts at zero, so a new affine coupling is the identity (a new
/// spline coupling is the identity up to its equal-bin initial spline, which is linear).
#[derive(Debug, Clone)]
pub struct Coupling<B: Backend> {
    subnet: Mlp<B>,
    split: usize,
    dim: usize,
    dropout: f64,
    transform: CouplingTransform,
}

/// `ln(e − 1)`: the shift that makes the soft scale 1 at zero.
pub(crate) const LN_E_MINUS_1: f64 = 0.541_324_854_612_918_1;

impl<B: Backend> Coupling<B> {
    /// A coupling of `dim` features that conditions on the first `split` of them and on
    /// `cond_dim` condition features, with subnet hidden widths and activation.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        path: &ParamPath<B>,
        dim: usize,
        split: usize,
        cond_dim: usize,
        hidden: &[usize],
        activation: Activation,
        dropout: f64,
        transform: CouplingTransform,
        rng: &mut impl Rng,
    ) -> Result<Self> {
        let mut widths = vec![split + cond_dim];
        widths.extend_from_slice(hidden);
        widths.push(transform.params_per_element() * (dim - split));
        let subnet = MlpConfig::new(widths)
            .activation(activation)
            .output_init(Init::Zeros)
            .build(&path.sub("subnet"), rng)?;
        Ok(Self {
            subnet,
            split,
            dim,
            dropout,
            transform,
        })
    }

    /// The subnet's output: `(.., d₂ · params)`.
    fn params(
        &self,
        x1: &Tensor<B>,
        c: Option<&Tensor<B>>,
        train: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<Tensor<B>> {
        let input = match c {
            Some(c) => Tensor::cat(&[x1.clone(), c.clone()], x1.rank() - 1)?,
            None => x1.clone(),
        };
        self.subnet
            .forward_with_dropout(&input, self.dropout, train)
    }

    fn scale_shift(h: &Tensor<B>, d2: usize) -> Result<(Tensor<B>, Tensor<B>)> {
        let parts = h.split(h.rank() - 1, &[d2, d2])?;
        let scale = parts[0].asinh()?.add_scalar(LN_E_MINUS_1)?.softplus()?;
        Ok((scale, parts[1].clone()))
    }

    /// Spline parameters `(.., d₂, 3K − 1)` from the subnet output.
    fn spline_params(h: &Tensor<B>, d2: usize, per: usize) -> Result<Tensor<B>> {
        let mut shape = h.shape();
        shape.pop();
        shape.extend([d2, per]);
        h.reshape(&shape)
    }

    fn halves(&self, x: &Tensor<B>) -> Result<(Tensor<B>, Tensor<B>)> {
        let parts = x.split(x.rank() - 1, &[self.split, self.dim - self.split])?;
        Ok((parts[0].clone(), parts[1].clone()))
    }

    /// `x → y` and the log-determinant per row (shape of `x` without the last axis).
    pub fn forward(
        &self,
        x: &Tensor<B>,
        c: Option<&Tensor<B>>,
        train: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<(Tensor<B>, Tensor<B>)> {
        let (x1, x2) = self.halves(x)?;
        let h = self.params(&x1, c, train)?;
        let d2 = self.dim - self.split;
        let (y2, log_det) = match &self.transform {
            CouplingTransform::Affine => {
                let (s, t) = Self::scale_shift(&h, d2)?;
                (x2.mul(&s)?.add(&t)?, s.log()?.sum(&[s.rank() - 1], false)?)
            }
            CouplingTransform::Spline(cfg) => {
                let raw = Self::spline_params(&h, d2, cfg.params_per_element())?;
                let (y2, ld) = spline::forward(&x2, &raw, cfg)?;
                (y2, ld.sum(&[ld.rank() - 1], false)?)
            }
        };
        Ok((Tensor::cat(&[x1, y2], x.rank() - 1)?, log_det))
    }

    /// The inverse map `y → x`.
    pub fn inverse(&self, y: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        let (y1, y2) = self.halves(y)?;
        let h = self.params(&y1, c, None)?;
        let d2 = self.dim - self.split;
        let x2 = match &self.transform {
            CouplingTransform::Affine => {
                let (s, t) = Self::scale_shift(&h, d2)?;
                y2.sub(&t)?.div(&s)?
            }
            CouplingTransform::Spline(cfg) => {
                let raw = Self::spline_params(&h, d2, cfg.params_per_element())?;
                spline::inverse(&y2, &raw, cfg)?
            }
        };
        Tensor::cat(&[y1, x2], y.rank() - 1)
    }
}
