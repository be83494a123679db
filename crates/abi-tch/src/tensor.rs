//! [`TchTensor`]: a libtorch tensor shared behind an `Arc`, with a stable identity and the set
//! of tracked leaves its value depends on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

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
/// - **Leaves**: a tracked tensor knows the tracked leaves ([`Backend::track`]) it was
///   computed from, so a backward sweep asks libtorch for exactly the gradients of its own
///   graph; no registry is shared between models or threads. A tensor wrapped with
///   [`TchTensor::new`] starts a graph of its own: if it requires gradients, make it a leaf
///   with `track` to have them reported.
///
/// [`Backend`]: abi_tensor::Backend
/// [`Backend::id`]: abi_tensor::Backend::id
/// [`Backend::track`]: abi_tensor::Backend::track
#[derive(Clone)]
pub struct TchTensor {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    tensor: tch::Tensor,
    id: u64,
    /// The tracked leaves the value depends on, sorted by identity (`None` when untracked).
    leaves: Option<LeafSet>,
}

// SAFETY: see the type's documentation: the wrapped handle is never mutated once shared, and
// libtorch's read paths and autograd engine are thread-safe.
unsafe impl Sync for Inner {}

/// One tracked leaf, held weakly: a leaf whose every handle is gone has no gradient to report.
#[derive(Clone)]
pub(crate) struct Leaf {
    id: u64,
    tensor: Weak<Inner>,
}

/// Tracked leaves sorted by identity, without repeats; shared between the tensors of a graph
/// (most operations pass their input's set on unchanged).
#[derive(Clone)]
pub(crate) struct LeafSet(Arc<[Leaf]>);

impl LeafSet {
    /// The union of the sets of `inputs`; `None` when none of them has leaves.
    fn union<'a>(inputs: impl IntoIterator<Item = &'a LeafSet>) -> Option<LeafSet> {
        let sets: Vec<&LeafSet> = inputs.into_iter().collect();
        let largest = *sets.iter().max_by_key(|s| s.0.len())?;
        if sets.iter().all(|s| Arc::ptr_eq(&s.0, &largest.0)) {
            return Some(largest.clone());
        }
        let mut all: Vec<Leaf> = sets.iter().flat_map(|s| s.0.iter().cloned()).collect();
        all.sort_unstable_by_key(|l| l.id);
        all.dedup_by_key(|l| l.id);
        // the union contains the largest set: equal sizes mean it is that set
        if all.len() == largest.0.len() {
            return Some(largest.clone());
        }
        Some(LeafSet(all.into()))
    }

    /// The leaves that still exist.
    pub(crate) fn live(&self) -> Vec<TchTensor> {
        self.0
            .iter()
            .filter_map(|l| l.tensor.upgrade())
            .map(|inner| TchTensor { inner })
            .collect()
    }
}

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

impl TchTensor {
    /// Wraps a libtorch tensor under a fresh identity, as the start of a graph (no leaves).
    pub fn new(tensor: tch::Tensor) -> Self {
        Self {
            inner: Arc::new(Inner {
                tensor,
                id: next_id(),
                leaves: None,
            }),
        }
    }

    /// The result of an operation on `inputs`: when libtorch recorded it (it requires
    /// gradients), it depends on the union of the inputs' leaves.
    pub(crate) fn result(tensor: tch::Tensor, inputs: &[&TchTensor]) -> Self {
        let leaves = if tensor.requires_grad() {
            LeafSet::union(inputs.iter().filter_map(|t| t.inner.leaves.as_ref()))
        } else {
            None
        };
        Self {
            inner: Arc::new(Inner {
                tensor,
                id: next_id(),
                leaves,
            }),
        }
    }

    /// A new leaf that requires gradients, sharing `tensor`'s storage (not its history); its
    /// leaf set is itself.
    pub(crate) fn leaf(tensor: &tch::Tensor) -> Self {
        let tensor = tensor.detach().set_requires_grad(true);
        let id = next_id();
        let inner = Arc::new_cyclic(|me| Inner {
            tensor,
            id,
            leaves: Some(LeafSet(Arc::new([Leaf {
                id,
                tensor: me.clone(),
            }]))),
        });
        Self { inner }
    }

    /// The libtorch tensor (for code that calls `tch` directly; do not mutate it in place).
    pub fn as_tch(&self) -> &tch::Tensor {
        &self.inner.tensor
    }

    /// The identity shared by all clones of this tensor.
    pub(crate) fn id(&self) -> u64 {
        self.inner.id
    }

    /// The tracked leaves this tensor depends on.
    pub(crate) fn leaves(&self) -> Option<&LeafSet> {
        self.inner.leaves.as_ref()
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
