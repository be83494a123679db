//! GRU and LSTM cells that run a whole sequence: the input projections of every step in one
//! matrix product, then per step one product with the recurrent kernel and a few elementwise
//! operations.

use super::steps::split_steps;
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

/// One step's input projections: the gate pre-activations and, for a GRU, the candidate's.
pub(crate) type StepInput<B> = (Tensor<B>, Option<Tensor<B>>);

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
        let g = match kind {
            RecurrentType::Gru => 3,
            RecurrentType::Lstm => 4,
        } * hidden;
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

    /// The input projections of every step of a time-major `(time, batch, in)` sequence,
    /// computed by one matrix product.
    pub fn project(&self, x: &Tensor<B>) -> Result<Vec<StepInput<B>>> {
        let s = x.shape();
        let (t, b) = (s[0], s[1]);
        let g = self.recurrent_kernel.shape()[1];
        let proj = x
            .reshape(&[t * b, s[2]])?
            .linear(&self.kernel.value(), Some(&self.bias.value()))?
            .reshape(&[t, b, g])?;
        match self.kind {
            RecurrentType::Lstm => Ok(split_steps(&proj)?.into_iter().map(|p| (p, None)).collect()),
            RecurrentType::Gru => {
                let h = self.hidden;
                let gates = split_steps(&proj.narrow(2, 0, 2 * h)?)?;
                let candidate = split_steps(&proj.narrow(2, 2 * h, h)?)?;
                Ok(gates
                    .into_iter()
                    .zip(candidate.into_iter().map(Some))
                    .collect())
            }
        }
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
        let batch = first.0.dim(0)?;
        let zeros = Tensor::zeros(&[batch, self.hidden], &first.0.device())?;
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
            let (x_gates, x_cand) = &steps[t];
            let m = masks.map(|m| &m[t]);
            match x_cand {
                Some(x_cand) => {
                    let hp = h.linear(&u, rb.as_ref())?;
                    let gates = x_gates.add(&hp.narrow(1, 0, 2 * n)?)?.sigmoid()?;
                    let reset = gates.narrow(1, n, n)?;
                    let cand = x_cand.add(&reset.mul(&hp.narrow(1, 2 * n, n)?)?)?.tanh()?;
                    let mut update = gates.narrow(1, 0, n)?;
                    if let Some(m) = m {
                        update = update.mul(m)?;
                    }
                    h = h.add(&update.mul(&cand.sub(&h)?)?)?;
                }
                None => {
                    let pre = x_gates.add(&h.matmul(&u)?)?;
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
