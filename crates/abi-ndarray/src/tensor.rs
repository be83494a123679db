//! The tensor node: shared storage, identity, and the recorded backward closure.

use ndarray::ArrayD;
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::NdFloat;

/// The backward rule of one recorded operation: given the gradient of the output (owned, so a
/// rule may reuse its buffer), the output value and the inputs, the gradients of the inputs (`None` where an input needs none).
pub(crate) type BackwardFn<F> =
    dyn Fn(ArrayD<F>, &ArrayD<F>, &[NdTensor<F>]) -> Vec<Option<ArrayD<F>>> + Send + Sync;

pub(crate) struct GradFn<F: NdFloat> {
    pub(crate) inputs: Vec<NdTensor<F>>,
    pub(crate) backward: Box<BackwardFn<F>>,
}

pub(crate) struct Node<F: NdFloat> {
    pub(crate) id: u64,
    pub(crate) value: Arc<ArrayD<F>>,
    pub(crate) grad_fn: Option<GradFn<F>>,
    pub(crate) tracked: bool,
}

/// A tensor of the ndarray backend: an `ndarray` array behind an `Arc`, with the operation
/// that produced it when it is tracked. Cloning is cheap.
#[derive(Clone)]
pub struct NdTensor<F: NdFloat> {
    pub(crate) node: Arc<Node<F>>,
}

impl<F: NdFloat> std::fmt::Debug for NdTensor<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NdTensor")
            .field("id", &self.node.id)
            .field("shape", &self.node.value.shape())
            .field("tracked", &self.node.tracked)
            .finish()
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

pub(crate) fn grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

pub(crate) fn set_grad_enabled(enabled: bool) -> bool {
    GRAD_ENABLED.with(|g| g.replace(enabled))
}

impl<F: NdFloat> NdTensor<F> {
    fn new_node(value: Arc<ArrayD<F>>, grad_fn: Option<GradFn<F>>, tracked: bool) -> Self {
        Self {
            node: Arc::new(Node {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                value,
                grad_fn,
                tracked,
            }),
        }
    }

    /// An untracked tensor holding `value`.
    pub fn constant(value: ArrayD<F>) -> Self {
        Self::new_node(Arc::new(value), None, false)
    }

    pub(crate) fn shared(value: Arc<ArrayD<F>>, tracked: bool) -> Self {
        Self::new_node(value, None, tracked)
    }

    /// The result of an operation: records `backward` only when recording is on and an input
    /// is tracked; otherwise the inputs are dropped and no graph is kept.
    pub(crate) fn record(
        value: ArrayD<F>,
        inputs: &[&NdTensor<F>],
        backward: impl Fn(ArrayD<F>, &ArrayD<F>, &[NdTensor<F>]) -> Vec<Option<ArrayD<F>>>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        if grad_enabled() && inputs.iter().any(|t| t.node.tracked) {
            let grad_fn = GradFn {
                inputs: inputs.iter().map(|t| (*t).clone()).collect(),
                backward: Box::new(backward),
            };
            Self::new_node(Arc::new(value), Some(grad_fn), true)
        } else {
            Self::constant(value)
        }
    }

    /// The array.
    pub fn array(&self) -> &ArrayD<F> {
        &self.node.value
    }

    /// The array, without a copy when this handle is its only owner.
    pub fn into_array(self) -> ArrayD<F> {
        match Arc::try_unwrap(self.node) {
            Ok(node) => Arc::try_unwrap(node.value).unwrap_or_else(|shared| (*shared).clone()),
            Err(node) => (*node.value).clone(),
        }
    }

    pub(crate) fn tracked(&self) -> bool {
        self.node.tracked
    }
}
