//! Composite network operations of [`Tensor<B>`]: convolution, dropout, the Adam update.

use crate::backend::Backend;
use crate::check;
use crate::error::{Result, TensorError};
use crate::ops::AdamStep;
use crate::tensor::Tensor;
use rand::Rng;

/// Settings of a 1-D convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv1dOptions {
    /// Step between output positions.
    pub stride: usize,
    /// Zeros added at both ends of the sequence.
    pub padding: usize,
    /// Spacing between kernel taps.
    pub dilation: usize,
}

impl Default for Conv1dOptions {
    fn default() -> Self {
        Self {
            stride: 1,
            padding: 0,
            dilation: 1,
        }
    }
}

impl<B: Backend> Tensor<B> {
    /// 1-D convolution (cross-correlation, as in PyTorch):
    /// input `(batch, c_in, length)`, kernel `(c_out, c_in, k)`, optional bias `(c_out)`,
    /// output `(batch, c_out, length_out)`. Built from `index_select` and one matrix product
    /// (im2col), so it is differentiable in input, kernel and bias.
    pub fn conv1d(
        &self,
        kernel: &Self,
        bias: Option<&Self>,
        options: Conv1dOptions,
    ) -> Result<Self> {
        let xs = self.shape();
        let ks = kernel.shape();
        if xs.len() != 3 || ks.len() != 3 || xs[1] != ks[1] {
            return Err(TensorError::ShapeMismatch {
                op: "conv1d",
                lhs: xs,
                rhs: ks,
            });
        }
        if options.stride == 0 || options.dilation == 0 {
            return Err(TensorError::InvalidArgument {
                op: "conv1d",
                reason: "stride and dilation must be positive".into(),
            });
        }
        let (batch, c_in, _) = (xs[0], xs[1], xs[2]);
        let (c_out, k) = (ks[0], ks[2]);
        let padded = self.pad(2, options.padding, options.padding)?;
        let len = padded.dim(2)?;
        let span = options.dilation * (k - 1) + 1;
        if k == 0 || span > len {
            return Err(TensorError::InvalidShape {
                op: "conv1d",
                shape: padded.shape(),
                reason: format!("kernel of {k} taps (span {span}) is longer than the input"),
            });
        }
        let out_len = (len - span) / options.stride + 1;
        let mut idx = Vec::with_capacity(out_len * k);
        for o in 0..out_len {
            for j in 0..k {
                idx.push(o * options.stride + j * options.dilation);
            }
        }
        // (batch, c_in, out_len * k) -> (batch, out_len, c_in * k)
        let cols = padded
            .index_select(2, &idx)?
            .reshape(&[batch, c_in, out_len, k])?
            .permute(&[0, 2, 1, 3])?
            .reshape(&[batch, out_len, c_in * k])?;
        let w = kernel.reshape(&[c_out, c_in * k])?.t()?;
        let mut out = cols.matmul(&w)?; // (batch, out_len, c_out)
        if let Some(b) = bias {
            out = out.add(b)?;
        }
        out.permute(&[0, 2, 1])
    }

    /// One GRU state update in Keras' `reset_after` form (gates laid out `[a, r, c]`) of the
    /// state `self` `(batch, n)`, from the step's input projection `xp = x W + b` and recurrent
    /// projection `hp = h U + b_U`, both `(batch, 3n)`:
    /// `[a, r] = σ(xp[:, :2n] + hp[:, :2n])`, `c = tanh(xp[:, 2n:] + r ⊙ hp[:, 2n:])`,
    /// `h' = h + m ⊙ a ⊙ (c − h)`, where the optional mask `m` `(batch, 1)` (1 by default)
    /// keeps the state of padded steps. (`a` is Keras' `1 − z`.)
    pub fn gru_update(&self, xp: &Self, hp: &Self, mask: Option<&Self>) -> Result<Self> {
        let h = self.shape();
        let ok = h.len() == 2
            && xp.shape() == [h[0], 3 * h[1]]
            && hp.shape() == [h[0], 3 * h[1]]
            && mask.is_none_or(|m| m.shape() == [h[0], 1]);
        if !ok {
            return Err(TensorError::ShapeMismatch {
                op: "gru_update",
                lhs: h,
                rhs: xp.shape(),
            });
        }
        B::gru_update(self.raw(), xp.raw(), hp.raw(), mask.map(|m| m.raw())).map(Self::from_raw)
    }

    /// Inverted dropout: in training, zeroes each element with probability `rate` and scales
    /// the rest by `1 / (1 - rate)`; returns `self` unchanged when `training` is false.
    pub fn dropout(
        &self,
        rate: f64,
        training: bool,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Self> {
        if !training || rate == 0.0 {
            return Ok(self.clone());
        }
        let mask = Self::dropout_mask(&self.shape(), rate, rng, &self.device())?;
        self.mul(&mask)
    }

    /// One Adam / AdamW update of this parameter value ([`Backend::adam_update`], fused by
    /// backends that can), untracked: returns the new `(value, first moment, second moment)`.
    /// `grad`, `m` and `v` must have the value's shape; the moments are taken by value so a
    /// backend can update their storage in place.
    pub fn adam_update(
        &self,
        grad: &Self,
        m: Self,
        v: Self,
        step: &AdamStep,
    ) -> Result<(Self, Self, Self)> {
        check::same_shapes(
            "adam_update",
            &self.shape(),
            &[grad.shape(), m.shape(), v.shape()],
        )?;
        let (next, m, v) =
            B::adam_update(self.raw(), grad.raw(), m.into_raw(), v.into_raw(), step)?;
        Ok((Self::from_raw(next), Self::from_raw(m), Self::from_raw(v)))
    }
}
