//! [`TchTensor`]: a libtorch tensor shared behind an `Arc`, with a stable identity.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A libtorch tensor as the `abi-tensor` trait sees it: cheap to clone, `Send` and `Sync`.
///
/// `tch::Tensor` is `Send` but neither `Clone` nor `Sync`, while the [`Backend`] trait asks
/// for all three. The design:
/// - **Clone** shares one handle through an `Arc`, so a clone is the same libtorch tensor
///   with the same storage, autograd history and identity ([`Backend::id`]).
/// - **Sync**: the handle is only ever used through shared references by out-of-place
///   libtorch operations (and by libtorch's autograd engine, which is thread-safe). No
///   in-place operation is applied to a tensor after it has been wrapped, so concurrent use
///   from several threads only reads it; libtorch reference-counts storage atomically.
///   The one mutation, marking a fresh leaf as requiring gradients, happens in
///   the backend's `track` before the handle is shared.
///
/// [`Backend`]: abi_tensor::Backend
/// [`Backend::id`]: abi_tensor::Backend::id
#[derive(Clone)]
pub struct TchTensor {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) tensor: tch::Tensor,
    pub(crate) id: u64,
}

// SAFETY: see the type's documentation: the wrapped handle is never mutated once shared, and
// libtorch's read paths and autograd engine are thread-safe.
unsafe impl Sync for Inner {}

impl TchTensor {
    /// Wraps a libtorch tensor under a fresh identity.
    pub fn new(tensor: tch::Tensor) -> Self {
        Self {
            inner: Arc::new(Inner {
                tensor,
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            }),
        }
    }

    /// A new leaf that requires gradients, sharing `tensor`'s storage (not its history).
    pub(crate) fn leaf(tensor: &tch::Tensor) -> Self {
        let leaf = tensor.detach().set_requires_grad(true);
        Self::new(leaf)
    }

    /// The libtorch tensor (for code that calls `tch` directly; do not mutate it in place).
    pub fn as_tch(&self) -> &tch::Tensor {
        &self.inner.tensor
    }

    /// The identity shared by all clones of this tensor.
    pub(crate) fn id(&self) -> u64 {
        self.inner.id
    }

    pub(crate) fn downgrade(&self) -> std::sync::Weak<Inner> {
        Arc::downgrade(&self.inner)
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> Self {
        Self { inner }
    }

    /// The shape as `usize`s.
    pub fn dims(&self) -> Vec<usize> {
        self.inner
            .tensor
            .size()
            .into_iter()
            .map(|d| d as usize)
            .collect()
    }
}

impl std::fmt::Debug for TchTensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TchTensor")
            .field("id", &self.inner.id)
            .field("shape", &self.dims())
            .field("device", &self.inner.tensor.device())
            .field("requires_grad", &self.inner.tensor.requires_grad())
            .finish()
    }
}
