//! [`ParamPath`]: a position in the parameter hierarchy, through which networks create their
//! parameters and buffers.

use super::{Param, ParamStore};
use crate::backend::Backend;
use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::init::Init;
use crate::tensor::Tensor;
use rand::Rng;

/// A position in the parameter hierarchy (tch-style); networks create parameters through it.
#[derive(Clone, Debug)]
pub struct ParamPath<B: Backend> {
    store: ParamStore<B>,
    prefix: String,
}

impl<B: Backend> ParamPath<B> {
    /// The root path of `store`.
    pub(crate) fn root_of(store: ParamStore<B>) -> Self {
        Self {
            store,
            prefix: String::new(),
        }
    }

    /// A child path: `parent.name`.
    pub fn sub(&self, name: impl ToString) -> Self {
        Self {
            store: self.store.clone(),
            prefix: self.full_name(&name.to_string()),
        }
    }

    /// The dotted prefix of this path (empty at the root).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The store this path belongs to.
    pub fn store(&self) -> &ParamStore<B> {
        &self.store
    }

    /// The device parameters are created on.
    pub fn device(&self) -> &B::Device {
        self.store.device()
    }

    fn full_name(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    /// Creates a buffer `name` under this path: a fixed part of the model (a random
    /// permutation, a mask, fixed random features) stored with the weights, so that a loaded
    /// model never rebuilds it from a seed. Buffers are never trained.
    ///
    /// ```
    /// use abi_tensor::{Backend, ParamStore};
    /// fn build<B: Backend>() -> abi_tensor::Result<()> {
    ///     let store = ParamStore::<B>::new(B::Device::default());
    ///     let p = store.root().sub("flow").buffer("permutation", &[3], &[2.0, 0.0, 1.0])?;
    ///     assert!(p.is_buffer() && !p.is_trainable());
    ///     assert_eq!(store.unfreeze(""), 0);
    ///     Ok(())
    /// }
    /// ```
    pub fn buffer(&self, name: &str, shape: &[usize], values: &[f64]) -> Result<Param<B>> {
        self.check_name(name)?;
        self.store.reserve(&self.full_name(name), shape)?;
        let value = Tensor::from_f64(values, shape, self.store.device())?;
        self.store.insert_buffer(&self.full_name(name), value)
    }

    /// Checks that a tensor `name` of `shape` under this path fits the store's limits (its
    /// element budget and the caps of [`limits`](crate::limits)) without creating it: a
    /// network that draws its own initial values calls it before drawing them, so that an
    /// absurd size is an error before anything is allocated.
    pub fn reserve(&self, name: &str, shape: &[usize]) -> Result<()> {
        self.check_name(name)?;
        self.store.reserve(&self.full_name(name), shape)
    }

    fn check_name(&self, name: &str) -> Result<()> {
        if name.is_empty() || name.contains('.') {
            return Err(TensorError::Param(format!(
                "invalid parameter name `{name}` under `{}`: names are non-empty and contain no '.'",
                self.prefix
            )));
        }
        Ok(())
    }

    /// Creates a trainable parameter `name` under this path, initialised by `init`.
    pub fn param(
        &self,
        name: &str,
        shape: &[usize],
        init: Init,
        rng: &mut impl Rng,
    ) -> Result<Param<B>> {
        self.check_name(name)?;
        self.store.reserve(&self.full_name(name), shape)?;
        let values: Vec<B::Elem> = init
            .sample(shape, rng)?
            .into_iter()
            .map(B::Elem::from_f64)
            .collect();
        let value = Tensor::from_vec(values, shape, self.store.device())?;
        self.store.insert(&self.full_name(name), value, true)
    }
}
