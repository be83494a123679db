//! Gradients returned by a backward sweep, and the gradient-recording mode (`no_grad`).

use crate::backend::Backend;
use crate::tensor::Tensor;
use std::collections::HashMap;
use std::marker::PhantomData;

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
/// The setting belongs to the calling thread. Work that `f` hands to other threads keeps it
/// when it goes through [`crate::parallel`] (or [`GradMode::wrap`]), whichever thread runs it.
///
/// ```
/// # fn demo<B: abi_tensor::Backend>(x: &abi_tensor::Tensor<B>) -> abi_tensor::Result<()> {
/// let y = abi_tensor::no_grad::<B, _>(|| x.exp())?;
/// assert!(!y.is_tracked());
/// # Ok(()) }
/// ```
pub fn no_grad<B: Backend, R>(f: impl FnOnce() -> R) -> R {
    GradMode::<B>::off().run(f)
}

/// Runs `f` with gradient recording on (e.g. a divergence needed inside graph-free sampling),
/// restoring the previous setting after.
pub fn enable_grad<B: Backend, R>(f: impl FnOnce() -> R) -> R {
    GradMode::<B>::on().run(f)
}

/// A gradient-recording setting of backend `B`, as a value that can be carried to another
/// thread and re-established there.
///
/// Recording is switched per thread, so a closure run on a thread pool would otherwise see
/// the worker's setting rather than its caller's; [`crate::parallel`] captures the caller's
/// setting with [`GradMode::current`] and runs every piece of work in it.
///
/// ```
/// use abi_tensor::{Backend, GradMode, Tensor};
/// fn doubled_on_another_thread<B: Backend>(x: &Tensor<B>) -> Tensor<B> {
///     let mode = GradMode::<B>::current();
///     std::thread::scope(|s| s.spawn(|| mode.run(|| x.mul_scalar(2.0))).join())
///         .expect("the thread ran")
///         .expect("the product exists")
/// }
/// ```
pub struct GradMode<B: Backend> {
    enabled: bool,
    backend: PhantomData<fn() -> B>,
}

impl<B: Backend> Clone for GradMode<B> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<B: Backend> Copy for GradMode<B> {}

impl<B: Backend> std::fmt::Debug for GradMode<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GradMode({})", if self.enabled { "on" } else { "off" })
    }
}

impl<B: Backend> GradMode<B> {
    /// The calling thread's setting.
    pub fn current() -> Self {
        Self::with(B::grad_enabled())
    }

    /// Recording on.
    pub fn on() -> Self {
        Self::with(true)
    }

    /// Recording off.
    pub fn off() -> Self {
        Self::with(false)
    }

    fn with(enabled: bool) -> Self {
        Self {
            enabled,
            backend: PhantomData,
        }
    }

    /// Whether operations record their history in this mode.
    pub fn is_enabled(self) -> bool {
        self.enabled
    }

    /// Runs `f` on the calling thread in this mode, restoring the thread's previous setting
    /// after (also when `f` panics).
    pub fn run<R>(self, f: impl FnOnce() -> R) -> R {
        struct Restore<B: Backend>(bool, PhantomData<fn() -> B>);
        impl<B: Backend> Drop for Restore<B> {
            fn drop(&mut self) {
                B::set_grad_enabled(self.0);
            }
        }
        let previous = B::set_grad_enabled(self.enabled);
        let _restore = Restore::<B>(previous, PhantomData);
        f()
    }

    /// `f` as a closure that runs each call in this mode, for thread-pool adaptors such as
    /// rayon's `map`: `items.par_iter().map(GradMode::<B>::current().wrap(f))`.
    pub fn wrap<T, R>(self, f: impl Fn(T) -> R + Send + Sync) -> impl Fn(T) -> R + Send + Sync {
        move |item| self.run(|| f(item))
    }
}
