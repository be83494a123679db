use abi_tensor::{Backend, Result, Tensor, TensorError};
use rand::seq::SliceRandom;
use rand::RngCore;

/// A fixed permutation of the last axis (and its inverse); no parameters, volume-preserving.
#[derive(Debug, Clone, PartialEq)]
pub struct Permutation {
    forward: Vec<usize>,
    inverse: Vec<usize>,
}

impl Permutation {
    /// A permutation from explicit indices (`out[i] = in[indices[i]]`).
    pub fn new(indices: Vec<usize>) -> Result<Self> {
        let mut inverse = vec![usize::MAX; indices.len()];
        for (i, &p) in indices.iter().enumerate() {
            if p >= indices.len() || inverse[p] != usize::MAX {
                return Err(TensorError::InvalidArgument {
                    op: "Permutation::new",
                    reason: format!("{indices:?} is not a permutation"),
                });
            }
            inverse[p] = i;
        }
        Ok(Self {
            forward: indices,
            inverse,
        })
    }

    /// A uniformly random permutation of `dim` elements.
    pub fn random(dim: usize, rng: &mut dyn RngCore) -> Self {
        let mut idx: Vec<usize> = (0..dim).collect();
        idx.shuffle(rng);
        Self::new(idx).unwrap_or_else(|_| unreachable!("a shuffle is a permutation"))
    }

    /// Reverses the order (a deterministic swap of halves' roles).
    pub fn reverse(dim: usize) -> Self {
        Self::new((0..dim).rev().collect())
            .unwrap_or_else(|_| unreachable!("reversal is a permutation"))
    }

    /// The indices.
    pub fn indices(&self) -> &[usize] {
        &self.forward
    }

    /// Applies the permutation to the last axis.
    pub fn forward<B: Backend>(&self, x: &Tensor<B>) -> Result<Tensor<B>> {
        x.index_select(x.rank() - 1, &self.forward)
    }

    /// Undoes the permutation.
    pub fn inverse<B: Backend>(&self, y: &Tensor<B>) -> Result<Tensor<B>> {
        y.index_select(y.rank() - 1, &self.inverse)
    }
}
