//! A recurrent layer: one cell forward in time, optionally a second one backward, merged by
//! summation.

use super::cell::{Cell, RecurrentType};
use crate::summary::init::KernelInit;
use abi_tensor::{Backend, ParamPath, Result, Tensor};
use rand::Rng;

/// A (bidirectional) recurrent layer over time-major sequences `(time, batch, in)`; the two
/// directions' states are summed (Keras' `merge_mode="sum"`). The backward cell starts at the
/// last step and, with a mask, stays at its zero state through trailing padding, so it
/// starts at the last real step.
#[derive(Debug, Clone)]
pub(crate) struct RecurrentLayer<B: Backend> {
    forward: Cell<B>,
    backward: Option<Cell<B>>,
}

impl<B: Backend> RecurrentLayer<B> {
    /// Cells `path.forward` and, if `bidirectional`, `path.backward`.
    pub fn new(
        path: &ParamPath<B>,
        kind: RecurrentType,
        in_dim: usize,
        hidden: usize,
        bidirectional: bool,
        init: KernelInit,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Self> {
        let mut rng = rng;
        let forward = Cell::new(&path.sub("forward"), kind, in_dim, hidden, init, &mut rng)?;
        let backward = bidirectional
            .then(|| Cell::new(&path.sub("backward"), kind, in_dim, hidden, init, &mut rng))
            .transpose()?;
        Ok(Self { forward, backward })
    }

    /// Runs the layer over `x` `(time, batch, in)` with per-step masks `(batch, 1)`.
    /// Returns the merged state of every step `(time, batch, hidden)` when `sequence`, and
    /// the merged final states `(batch, hidden)`.
    pub fn forward(
        &self,
        x: &Tensor<B>,
        masks: Option<&[Tensor<B>]>,
        sequence: bool,
    ) -> Result<(Option<Tensor<B>>, Tensor<B>)> {
        let steps = self.forward.project(x)?;
        let (mut outputs, mut last) = self.forward.scan(&steps, masks, false, sequence)?;
        if let Some(cell) = &self.backward {
            let steps = cell.project(x)?;
            let (back, back_last) = cell.scan(&steps, masks, true, sequence)?;
            last = last.add(&back_last)?;
            outputs = outputs
                .iter()
                .zip(&back)
                .map(|(f, b)| f.add(b))
                .collect::<Result<_>>()?;
        }
        let seq = if sequence {
            Some(Tensor::stack(&outputs, 0)?)
        } else {
            None
        };
        Ok((seq, last))
    }
}
