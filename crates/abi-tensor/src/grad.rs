//! Gradients returned by a backward sweep, and the no-grad scope.

use crate::backend::Backend;
use crate::tensor::Tensor;
use std::collections::HashMap;

/// Identity of a tensor node, used to look its gradient up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorId(pub u64);

/// Gradients of one backward sweep, keyed by the tracked leaves they belong to.
#[derive(Debug, Clone)]
pub struct Gradients<B: Backend> {
    grads: HashMap<TensorId, B::Tensor>,
}

impl<B: Backend> Default for Gradients<B> {
    fn default() -> Self {
        Self {
            grads: HashMap::new(),
        }
    }
}

impl<B: Backend> Gradients<B> {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the gradient of the tensor with identity `id` (backends call this).
    pub fn insert_raw(&mut self, id: TensorId, grad: B::Tensor) {
        self.grads.insert(id, grad);
    }

    /// The gradient with respect to `x`, if `x` is a tracked leaf the output depends on.
    pub fn get(&self, x: &Tensor<B>) -> Option<Tensor<B>> {
        self.grads
            .get(&B::id(x.raw()))
            .cloned()
            .map(Tensor::from_raw)
    }

    /// Replaces the gradient of `x` (used by gradient clipping).
    pub fn set(&mut self, x: &Tensor<B>, grad: Tensor<B>) {
        self.grads.insert(B::id(x.raw()), grad.into_raw());
    }

    /// Removes and returns the gradient of `x`.
    pub fn remove(&mut self, x: &Tensor<B>) -> Option<Tensor<B>> {
        self.grads.remove(&B::id(x.raw())).map(Tensor::from_raw)
    }

    /// Number of gradients held.
    pub fn len(&self) -> usize {
        self.grads.len()
    }

    /// Whether no gradient is held.
    pub fn is_empty(&self) -> bool {
        self.grads.is_empty()
    }
}

/// Runs `f` with gradient recording off on this thread, restoring the previous setting after
/// (also when `f` panics). Inference inside it builds no autodiff graph.
///
/// ```
/// # fn demo<B: abi_tensor::Backend>(x: &abi_tensor::Tensor<B>) -> abi_tensor::Result<()> {
/// let y = abi_tensor::no_grad::<B, _>(|| x.exp())?;
/// assert!(!y.is_tracked());
/// # Ok(()) }
/// ```
pub fn no_grad<B: Backend, R>(f: impl FnOnce() -> R) -> R {
    with_grad_mode::<B, R>(false, f)
}

/// Runs `f` with gradient recording on (e.g. a divergence needed inside graph-free sampling),
/// restoring the previous setting after.
pub fn enable_grad<B: Backend, R>(f: impl FnOnce() -> R) -> R {
    with_grad_mode::<B, R>(true, f)
}

fn with_grad_mode<B: Backend, R>(enabled: bool, f: impl FnOnce() -> R) -> R {
    struct Restore<B: Backend>(bool, std::marker::PhantomData<B>);
    impl<B: Backend> Drop for Restore<B> {
        fn drop(&mut self) {
            B::set_grad_enabled(self.0);
        }
    }
    let previous = B::set_grad_enabled(enabled);
    let _restore = Restore::<B>(previous, std::marker::PhantomData);
    f()
}
