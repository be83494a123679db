//! BayesFlow's `MLP`: residual blocks `proj(h) + act(dropout(dense(h)))`.

use super::init::{KernelInit, dense};
use crate::{Activation, Dense};
use abi_tensor::{Backend, ParamPath, Result, Tensor, TensorError};
use rand::{Rng, RngCore};

/// One hidden block per width: `h ← act(dropout(dense(h)))`, plus a learned linear projection
/// of the block's input when `residual` (BayesFlow's default). Maps `(.., in)` to
/// `(.., widths.last())`; the output is activated (there is no linear output layer).
#[derive(Debug, Clone)]
pub(crate) struct ResidualMlp<B: Backend> {
    blocks: Vec<(Dense<B>, Option<Dense<B>>)>,
    activation: Activation,
    dropout: f64,
    out_dim: usize,
}

/// The settings every [`ResidualMlp`] of a network shares.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MlpStyle {
    pub activation: Activation,
    pub init: KernelInit,
    pub dropout: f64,
    pub residual: bool,
}

impl<B: Backend> ResidualMlp<B> {
    /// Blocks `path.0`, `path.1`, ... (each with `dense` and, if residual, `skip`).
    pub fn new(
        path: &ParamPath<B>,
        in_dim: usize,
        widths: &[usize],
        style: MlpStyle,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Self> {
        if widths.is_empty() || widths.contains(&0) || in_dim == 0 {
            return Err(TensorError::InvalidArgument {
                op: "ResidualMlp",
                reason: format!("need positive widths and input, got {in_dim} → {widths:?}"),
            });
        }
        let mut rng = rng;
        let mut blocks = Vec::with_capacity(widths.len());
        let mut d = in_dim;
        for (i, &w) in widths.iter().enumerate() {
            let p = path.sub(i);
            let layer = dense(&p.sub("dense"), d, w, style.init, &mut rng)?;
            let skip = if style.residual {
                Some(dense(
                    &p.sub("skip"),
                    d,
                    w,
                    KernelInit::GlorotUniform,
                    &mut rng,
                )?)
            } else {
                None
            };
            blocks.push((layer, skip));
            d = w;
        }
        Ok(Self {
            blocks,
            activation: style.activation,
            dropout: style.dropout,
            out_dim: d,
        })
    }

    /// Output width.
    pub fn out_dim(&self) -> usize {
        self.out_dim
    }

    /// Applies the blocks; dropout is active when `rng` is given (training).
    pub fn forward(
        &self,
        x: &Tensor<B>,
        mut rng: Option<&mut (dyn RngCore + '_)>,
    ) -> Result<Tensor<B>> {
        let mut h = x.clone();
        for (layer, skip) in &self.blocks {
            let mut z = layer.forward(&h)?;
            if let (Some(r), true) = (rng.as_deref_mut(), self.dropout > 0.0) {
                z = z.dropout(self.dropout, true, r)?;
            }
            z = self.activation.apply(&z)?;
            h = match skip {
                Some(s) => s.forward(&h)?.add(&z)?,
                None => z,
            };
        }
        Ok(h)
    }
}

/// Dropout of `rate` when training (`rng` given), the identity otherwise.
pub(crate) fn dropout<B: Backend>(
    x: &Tensor<B>,
    rate: f64,
    rng: Option<&mut (dyn RngCore + '_)>,
) -> Result<Tensor<B>> {
    match rng {
        Some(r) if rate > 0.0 => x.dropout(rate, true, r),
        _ => Ok(x.clone()),
    }
}

/// Checks a dropout rate.
pub(crate) fn check_dropout(network: &'static str, rate: f64) -> crate::NetResult<()> {
    if !(0.0..1.0).contains(&rate) {
        return Err(crate::NetError::config(
            network,
            format!("dropout must lie in [0, 1), got {rate}"),
        ));
    }
    Ok(())
}
