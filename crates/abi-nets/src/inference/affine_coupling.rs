use crate::{Activation, Mlp, MlpConfig};
use abi_tensor::{Backend, Init, ParamPath, Result, Tensor};
use rand::{Rng, RngCore};

/// One affine coupling (Dinh et al., 2017, "Density estimation using Real NVP"): the second
/// part of the features is scaled and shifted by functions of the first part and the
/// conditions, `y₂ = x₂ · s + t`, `(s, t) = subnet(x₁, c)`, `y₁ = x₁`.
///
/// The scale is BayesFlow's soft form `s = softplus(asinh(ŝ) + ln(e − 1))`, which is 1 at
/// `ŝ = 0`, grows only logarithmically, and is always positive. The subnet's output layer
/// starts at zero, so a new coupling is the identity.
#[derive(Debug, Clone)]
pub struct AffineCoupling<B: Backend> {
    subnet: Mlp<B>,
    split: usize,
    dim: usize,
    dropout: f64,
}

/// `ln(e − 1)`: the shift that makes the soft scale 1 at zero.
const LN_E_MINUS_1: f64 = 0.541_324_854_612_918_1;

impl<B: Backend> AffineCoupling<B> {
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
        rng: &mut impl Rng,
    ) -> Result<Self> {
        let mut widths = vec![split + cond_dim];
        widths.extend_from_slice(hidden);
        widths.push(2 * (dim - split));
        let subnet = MlpConfig::new(widths)
            .activation(activation)
            .output_init(Init::Zeros)
            .build(&path.sub("subnet"), rng)?;
        Ok(Self {
            subnet,
            split,
            dim,
            dropout,
        })
    }

    fn scale_shift(
        &self,
        x1: &Tensor<B>,
        c: Option<&Tensor<B>>,
        train: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<(Tensor<B>, Tensor<B>)> {
        let input = match c {
            Some(c) => Tensor::cat(&[x1.clone(), c.clone()], x1.rank() - 1)?,
            None => x1.clone(),
        };
        let h = self
            .subnet
            .forward_with_dropout(&input, self.dropout, train)?;
        let d2 = self.dim - self.split;
        let parts = h.split(h.rank() - 1, &[d2, d2])?;
        let scale = parts[0].asinh()?.add_scalar(LN_E_MINUS_1)?.softplus()?;
        Ok((scale, parts[1].clone()))
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
        let (s, t) = self.scale_shift(&x1, c, train)?;
        let y2 = x2.mul(&s)?.add(&t)?;
        let log_det = s.log()?.sum(&[s.rank() - 1], false)?;
        Ok((Tensor::cat(&[x1, y2], x.rank() - 1)?, log_det))
    }

    /// The inverse map `y → x`.
    pub fn inverse(&self, y: &Tensor<B>, c: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        let (y1, y2) = self.halves(y)?;
        let (s, t) = self.scale_shift(&y1, c, None)?;
        let x2 = y2.sub(&t)?.div(&s)?;
        Tensor::cat(&[y1, x2], y.rank() - 1)
    }
}
