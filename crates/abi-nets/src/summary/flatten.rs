//! [`Flatten`]: the identity summary.

use super::SummaryNetwork;
use crate::error::NetResult;
use crate::registry::SummaryConfig;
use abi_tensor::{Backend, ParamPath, Result, Tensor, TensorError};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// The identity summary: flattens each data set `(batch, a, b, ...)` into `(batch, a·b·…)`.
/// It has no parameters, so models that need no learned summary use it.
///
/// ```
/// use abi_ndarray::{Cpu, NdArray};
/// use abi_nets::summary::{Flatten, SummaryNetwork};
/// use abi_tensor::Tensor;
/// let x = Tensor::<NdArray>::zeros(&[4, 3, 2], &Cpu)?;
/// let s = Flatten::new(&[3, 2]).summarize(&x, None)?;
/// assert_eq!(s.shape(), [4, 6]);
/// # Ok::<(), abi_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flatten {
    item_shape: Vec<usize>,
}

impl Flatten {
    /// The flattening of data sets shaped `item_shape` (without the batch axis).
    pub fn new(item_shape: &[usize]) -> Self {
        Self {
            item_shape: item_shape.to_vec(),
        }
    }
}

/// Settings of [`Flatten`] (none), registered as `flatten`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlattenConfig {}

impl SummaryConfig for FlattenConfig {
    const NAME: &'static str = "flatten";

    fn build_network<B: Backend>(
        &self,
        _path: &ParamPath<B>,
        input_shape: &[usize],
        _rng: &mut dyn RngCore,
    ) -> NetResult<Box<dyn SummaryNetwork<B>>> {
        Ok(Box::new(Flatten::new(input_shape)))
    }
}

impl<B: Backend> SummaryNetwork<B> for Flatten {
    fn output_dim(&self) -> usize {
        self.item_shape.iter().product()
    }

    fn summarize(&self, x: &Tensor<B>, _mask: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        let shape = x.shape();
        if shape.len() < 2 || shape[1..] != self.item_shape[..] {
            return Err(TensorError::ShapeMismatch {
                op: "Flatten::summarize",
                lhs: shape,
                rhs: self.item_shape.clone(),
            });
        }
        x.reshape(&[shape[0], <Self as SummaryNetwork<B>>::output_dim(self)])
    }
}
