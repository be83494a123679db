//! GRU and LSTM cells that run a whole sequence: per step one product with the input kernel,
//! one with the recurrent kernel and a few elementwise operations on whole gate blocks.

use crate::summary::init::{KernelInit, kernel, param_from_values};
use abi_tensor::{Backend, Init, Param, ParamPath, Result, Tensor, TensorError};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// The recurrent unit of a recurrent summary network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecurrentType {
    /// Gated recurrent unit (Cho et al., 2014) in Keras' `reset_after` form:
    /// `n = tanh(x W_n + b_n + r ⊙ (h U_n + c_n))`.
    #[default]
    Gru,
    /// Long short-term memory (Hochreiter & Schmidhuber, 1997), forget-gate bias 1.
    Lstm,
}

/// One step's input projection `x W + b` `(batch, g·hidden)`.
pub(crate) type StepInput<B> = Tensor<B>;

/// A GRU or LSTM cell of `hidden` units over inputs of `in_dim` features. Parameters:
/// `kernel` `(in, g·hidden)`, `recurrent_kernel` `(hidden, g·hidden)` (orthogonal), `bias`
/// `(g·hidden)` and, for a GRU, `recurrent_bias`; `g` is 3 (GRU) or 4 (LSTM).
///
/// Gate layout: GRU `[a, r, n]` with the update written `h ← h + a ⊙ (n − h)` (Keras'
/// `z = 1 − a`); LSTM `[i, f, o, g]`.
#[derive(Debug, Clone)]
pub(crate) struct Cell<B: Backend> {
    kind: RecurrentType,
    kernel: Param<B>,
    recurrent_kernel: Param<B>,
    bias: Param<B>,
    recurrent_bias: Option<Param<B>>,
    hidden: usize,
}

impl<B: Backend> Cell<B> {
    pub fn new(
        path: &ParamPath<B>,
        kind: RecurrentType,
        in_dim: usize,
        hidden: usize,
        init: KernelInit,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Self> {
        if in_dim == 0 || hidden == 0 {
            return Err(TensorError::InvalidArgument {
                op: "recurrent cell",
                reason: format!("sizes must be positive, got input {in_dim}, hidden {hidden}"),
            });
        }
        let mut rng = rng;
        let gates: usize = match kind {
            RecurrentType::Gru => 3,
            RecurrentType::Lstm => 4,
        };
        let g = gates.saturating_mul(hidden);
        path.reserve("recurrent_kernel", &[hidden, g])?;
        let kernel_p = kernel(path, "kernel", &[in_dim, g], init, &mut rng)?;
        // the recurrent kernel is orthogonal per gate block, as Keras draws it
        let mut rec = vec![0.0; hidden * g];
        for block in 0..g / hidden {
            let q = KernelInit::Orthogonal.sample(&[hidden, hidden], &mut rng)?;
            for r in 0..hidden {
                for c in 0..hidden {
                    rec[r * g + block * hidden + c] = q[r * hidden + c];
                }
            }
        }
        let recurrent_kernel = param_from_values(path, "recurrent_kernel", &[hidden, g], &rec)?;
        let mut bias = vec![0.0; g];
        if kind == RecurrentType::Lstm {
            bias[hidden..2 * hidden].iter_mut().for_each(|b| *b = 1.0);
        }
        let bias = param_from_values(path, "bias", &[g], &bias)?;
        let recurrent_bias = match kind {
            RecurrentType::Gru => {
                Some(path.param("recurrent_bias", &[g], Init::Zeros, &mut rng)?)
            }
            RecurrentType::Lstm => None,
        };
        Ok(Self {
            kind,
            kernel: kernel_p,
            recurrent_kernel,
            bias,
            recurrent_bias,
            hidden,
        })
    }

    /// The input projections `x_t W + b` of every step `(batch, in)`.
    ///
    /// One product per step rather than one for the whole sequence: on this crate's backends
    /// the gradient of each slice cut from a `(time, batch, g·hidden)` product is a zero
    /// tensor of the whole product's size, which made the single product 40% slower in
    /// training (RecurrentNetwork bench, batch 128 × 100 steps); per-step inputs come
    /// straight from the previous layer's per-step states, so nothing is sliced.
    pub fn project(&self, xs: &[Tensor<B>]) -> Result<Vec<StepInput<B>>> {
        let (w, b) = (self.kernel.value(), self.bias.value());
        xs.iter().map(|x| x.linear(&w, Some(&b))).collect()
    }

    /// Runs the cell over the projected steps (in reverse when `reverse`) from a zero state.
    /// Where a step's mask `(batch, 1)` is 0 the state is carried over unchanged, so trailing
    /// padding leaves the last real state. Returns the state after each step, in time order
    /// (when `keep`), and the final state `(batch, hidden)`.
    pub fn scan(
        &self,
        steps: &[StepInput<B>],
        masks: Option<&[Tensor<B>]>,
        reverse: bool,
        keep: bool,
    ) -> Result<(Vec<Tensor<B>>, Tensor<B>)> {
        let Some(first) = steps.first() else {
            return Err(TensorError::InvalidArgument {
                op: "recurrent cell",
                reason: "a sequence needs at least one step".into(),
            });
        };
        let batch = first.dim(0)?;
        let zeros = Tensor::zeros(&[batch, self.hidden], &first.device())?;
        let (mut h, mut c) = (zeros.clone(), zeros);
        let u = self.recurrent_kernel.value();
        let rb = self.recurrent_bias.as_ref().map(Param::value);
        let n = self.hidden;
        let mut outputs = Vec::with_capacity(if keep { steps.len() } else { 0 });
        let order: Vec<usize> = if reverse {
            (0..steps.len()).rev().collect()
        } else {
            (0..steps.len()).collect()
        };
        for t in order {
            let x = &steps[t];
            let m = masks.map(|m| &m[t]);
            match self.kind {
                RecurrentType::Gru => {
                    // one product and one fused update per step
                    let hp = h.linear(&u, rb.as_ref())?;
                    h = h.gru_update(x, &hp, m)?;
                }
                RecurrentType::Lstm => {
                    let pre = x.add(&h.matmul(&u)?)?;
                    let sig = pre.narrow(1, 0, 3 * n)?.sigmoid()?;
                    let g = pre.narrow(1, 3 * n, n)?.tanh()?;
                    let (i, f, o) = (
                        sig.narrow(1, 0, n)?,
                        sig.narrow(1, n, n)?,
                        sig.narrow(1, 2 * n, n)?,
                    );
                    let c_new = f.mul(&c)?.add(&i.mul(&g)?)?;
                    let h_new = o.mul(&c_new.tanh()?)?;
                    (h, c) = match m {
                        Some(m) => (
                            h.add(&m.mul(&h_new.sub(&h)?)?)?,
                            c.add(&m.mul(&c_new.sub(&c)?)?)?,
                        ),
                        None => (h_new, c_new),
                    };
                }
            }
            if keep {
                outputs.push(h.clone());
            }
        }
        if reverse {
            outputs.reverse();
        }
        Ok((outputs, h))
    }
}
