//! One-dimensional convolution over time that honours a padding mask.

use super::init::{KernelInit, kernel};
use crate::Activation;
use abi_tensor::{Backend, Conv1dOptions, Init, Param, ParamPath, Result, Tensor, TensorError};
use rand::Rng;

/// Where the zeros go around a sequence before the kernel slides over it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Padding {
    /// `⌈time / stride⌉` outputs, `⌊(k − 1) / 2⌋` zeros before the sequence (Keras' `same`
    /// for stride 1; for larger strides the left padding does not depend on the length, so
    /// trailing padding of the input does not shift the outputs).
    Same,
    /// `⌈time / stride⌉` outputs, no zeros before: with `kernel = stride`, non-overlapping
    /// blocks of `stride` steps.
    Blocks,
}

/// A 1-D convolution of sequences `(batch, c_in, time)` → `(batch, c_out, ⌈time / stride⌉)`
/// (channels first), with a bias and an activation. Padded steps (mask 0) are zeroed before
/// the convolution and output `j` is zeroed after it when input step `j · stride` is padding;
/// [`output_mask`](Self::output_mask) gives their mask.
#[derive(Debug, Clone)]
pub(crate) struct MaskedConv1d<B: Backend> {
    kernel: Param<B>,
    bias: Param<B>,
    size: usize,
    stride: usize,
    padding: Padding,
    activation: Activation,
}

impl<B: Backend> MaskedConv1d<B> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        path: &ParamPath<B>,
        c_in: usize,
        c_out: usize,
        size: usize,
        stride: usize,
        padding: Padding,
        activation: Activation,
        init: KernelInit,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Self> {
        if c_in == 0 || c_out == 0 || size == 0 || stride == 0 {
            return Err(TensorError::InvalidArgument {
                op: "MaskedConv1d",
                reason: format!(
                    "sizes must be positive, got channels {c_in} → {c_out}, kernel {size}, stride {stride}"
                ),
            });
        }
        let mut rng = rng;
        Ok(Self {
            kernel: kernel(path, "kernel", &[c_out, c_in, size], init, &mut rng)?,
            bias: path.param("bias", &[c_out], Init::Zeros, &mut rng)?,
            size,
            stride,
            padding,
            activation,
        })
    }

    /// Output steps of an input of `time` steps.
    fn out_len(&self, time: usize) -> usize {
        time.div_ceil(self.stride)
    }

    /// The mask `(batch, ⌈time / stride⌉)` of the outputs: output `j` is real when input step
    /// `j · stride` is.
    pub fn output_mask(&self, mask: &Tensor<B>) -> Result<Tensor<B>> {
        let time = mask.dim(1)?;
        let idx: Vec<usize> = (0..self.out_len(time)).map(|j| j * self.stride).collect();
        mask.detach().index_select(1, &idx)
    }

    /// Applies the convolution to `(batch, c_in, time)` with an optional mask `(batch, time)`.
    pub fn forward(&self, x: &Tensor<B>, mask: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        let s = x.shape();
        if s.len() != 3 || s[2] == 0 {
            return Err(TensorError::InvalidShape {
                op: "MaskedConv1d",
                shape: s,
                reason: "expected (batch, channels, time) with at least one step".into(),
            });
        }
        let x = match mask {
            Some(m) => x.mul(&m.detach().unsqueeze(1)?)?,
            None => x.clone(),
        };
        let (time, out_len) = (s[2], self.out_len(s[2]));
        let left = match self.padding {
            Padding::Same => (self.size - 1) / 2,
            Padding::Blocks => 0,
        };
        let needed = (out_len - 1) * self.stride + self.size;
        let right = needed.saturating_sub(time + left);
        let options = Conv1dOptions {
            stride: self.stride,
            ..Conv1dOptions::default()
        };
        let y = x
            .pad(2, left, right)?
            .conv1d(&self.kernel.value(), None, options)?
            .narrow(2, 0, out_len)?;
        let y = self
            .activation
            .apply(&y.add(&self.bias.value().unsqueeze(1)?)?)?;
        match mask {
            Some(m) => y.mul(&self.output_mask(m)?.unsqueeze(1)?),
            None => Ok(y),
        }
    }
}
