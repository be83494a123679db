//! Trainable parameters and the store that names them; [`ParamPath`] (in `path.rs`) is
//! where networks create them.

mod path;

pub use path::ParamPath;

use crate::backend::Backend;
use crate::error::{Result, TensorError};
use crate::io;
use crate::tensor::Tensor;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

struct Slot<B: Backend> {
    value: Tensor<B>,
    trainable: bool,
    /// a buffer: part of the model's state, saved and loaded, never trained
    buffer: bool,
    /// incremented by every change of the value, so that users can cache derived data
    version: u64,
}

/// A named, shared, updatable tensor. Cloning shares the same slot.
///
/// A trainable parameter's value is a tracked leaf, so a loss computed from
/// [`Param::value`] has a gradient for it; a frozen one is untracked. A *buffer*
/// ([`ParamPath::buffer`]) is a fixed part of the model, such as a random permutation: it is
/// saved and loaded with the weights but can never be made trainable.
#[derive(Clone)]
pub struct Param<B: Backend> {
    name: Arc<str>,
    slot: Arc<RwLock<Slot<B>>>,
}

impl<B: Backend> std::fmt::Debug for Param<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Param")
            .field("name", &self.name)
            .field("shape", &self.shape())
            .field("trainable", &self.is_trainable())
            .finish()
    }
}

impl<B: Backend> Param<B> {
    fn new(name: String, value: Tensor<B>, trainable: bool, buffer: bool) -> Self {
        let trainable = trainable && !buffer;
        let value = if trainable {
            value.detach().track()
        } else {
            value.detach()
        };
        Self {
            name: name.into(),
            slot: Arc::new(RwLock::new(Slot {
                value,
                trainable,
                buffer,
                version: 0,
            })),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Slot<B>> {
        self.slot.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Slot<B>> {
        self.slot.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The full dotted name, e.g. `summary.deep_set.inner.0.weight`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The current value (a tracked leaf when trainable).
    pub fn value(&self) -> Tensor<B> {
        self.read().value.clone()
    }

    /// The shape.
    pub fn shape(&self) -> Vec<usize> {
        self.read().value.shape()
    }

    /// Whether optimisers update this parameter and gradients are reported for it.
    pub fn is_trainable(&self) -> bool {
        self.read().trainable
    }

    /// Whether this is a buffer: a fixed, saved part of the model that is never trained.
    pub fn is_buffer(&self) -> bool {
        self.read().buffer
    }

    /// A counter that changes whenever the value is replaced (by [`Param::set_value`], an
    /// optimiser step or loading), for caches of data derived from the value.
    pub fn version(&self) -> u64 {
        self.read().version
    }

    /// Freezes (`false`) or unfreezes (`true`) the parameter; buffers stay frozen.
    pub fn set_trainable(&self, trainable: bool) {
        let mut slot = self.write();
        let trainable = trainable && !slot.buffer;
        slot.trainable = trainable;
        slot.value = if trainable {
            slot.value.detach().track()
        } else {
            slot.value.detach()
        };
    }

    /// Replaces the value; the shape must stay the same.
    pub fn set_value(&self, value: Tensor<B>) -> Result<()> {
        let mut slot = self.write();
        if value.shape() != slot.value.shape() {
            return Err(TensorError::ShapeMismatch {
                op: "Param::set_value",
                lhs: slot.value.shape(),
                rhs: value.shape(),
            });
        }
        slot.value = if slot.trainable {
            value.detach().track()
        } else {
            value.detach()
        };
        slot.version += 1;
        Ok(())
    }
}

/// All parameters of a model under hierarchical dotted names, in a deterministic order.
///
/// ```
/// use abi_tensor::{Backend, Init, ParamStore};
/// fn build<B: Backend>(rng: &mut impl rand::Rng) -> abi_tensor::Result<()> {
///     let store = ParamStore::<B>::new(B::Device::default());
///     let layer = store.root().sub("summary").sub("deep_set").sub(0);
///     let w = layer.param("weight", &[4, 8], Init::GlorotUniform, rng)?;
///     assert_eq!(w.name(), "summary.deep_set.0.weight");
///     Ok(())
/// }
/// ```
#[derive(Clone)]
pub struct ParamStore<B: Backend> {
    params: Arc<RwLock<BTreeMap<String, Param<B>>>>,
    device: B::Device,
    /// The most elements all parameters together may hold (at most
    /// [`MAX_MODEL_ELEMENTS`](crate::limits::MAX_MODEL_ELEMENTS)).
    budget: Arc<AtomicUsize>,
    /// The elements all parameters and buffers hold (shapes never change once inserted).
    used: Arc<AtomicUsize>,
}

impl<B: Backend> std::fmt::Debug for ParamStore<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParamStore")
            .field("params", &self.names())
            .field("device", &self.device)
            .finish()
    }
}

impl<B: Backend> ParamStore<B> {
    /// An empty store whose parameters live on `device`.
    pub fn new(device: B::Device) -> Self {
        Self {
            params: Arc::new(RwLock::new(BTreeMap::new())),
            device,
            budget: Arc::new(AtomicUsize::new(crate::limits::MAX_MODEL_ELEMENTS)),
            used: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Limits the elements all parameters and buffers together may hold (`None`: the caps
    /// of [`limits`](crate::limits), which also bound a smaller limit):
    /// creating one past the limit through a [`ParamPath`] is an error raised before its
    /// values are allocated. Loading a saved model sets it from the size of the weights file.
    ///
    /// ```
    /// use abi_tensor::{Backend, Init, ParamStore};
    /// fn build<B: Backend>() -> abi_tensor::Result<()> {
    ///     let store = ParamStore::<B>::new(B::Device::default());
    ///     store.limit_elements(Some(100));
    ///     let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
    ///     assert!(store.root().param("small", &[8, 8], Init::Zeros, &mut rng).is_ok());
    ///     assert!(store.root().param("large", &[8, 8], Init::Zeros, &mut rng).is_err());
    ///     Ok(())
    /// }
    /// ```
    pub fn limit_elements(&self, max: Option<usize>) {
        let cap = crate::limits::MAX_MODEL_ELEMENTS;
        self.budget
            .store(max.map_or(cap, |m| m.min(cap)), Ordering::Relaxed);
    }

    /// Checks that a tensor `name` of `shape` fits the element limits.
    pub(crate) fn reserve(&self, name: &str, shape: &[usize]) -> Result<()> {
        let tensors = self.map().len();
        self.check_room(tensors, name, shape)
    }

    /// [`reserve`](Self::reserve) for a store already holding `tensors` tensors.
    fn check_room(&self, tensors: usize, name: &str, shape: &[usize]) -> Result<()> {
        let n = crate::limits::checked_numel("parameter", shape)?;
        if tensors >= crate::limits::MAX_PARAMETER_TENSORS {
            return Err(TensorError::Param(format!(
                "parameter `{name}` would be tensor {} of the store, over its limit of {}",
                tensors + 1,
                crate::limits::MAX_PARAMETER_TENSORS
            )));
        }
        let budget = self.budget.load(Ordering::Relaxed);
        let total = self.used.load(Ordering::Relaxed).saturating_add(n);
        if total > budget {
            return Err(TensorError::Param(format!(
                "parameter `{name}` of shape {shape:?} would bring the parameters to {total} \
                 elements, over the store's limit of {budget}"
            )));
        }
        Ok(())
    }

    /// The device parameters are created on.
    pub fn device(&self) -> &B::Device {
        &self.device
    }

    /// The root path, under which networks create their parameters.
    pub fn root(&self) -> ParamPath<B> {
        ParamPath::root_of(self.clone())
    }

    fn map(&self) -> RwLockReadGuard<'_, BTreeMap<String, Param<B>>> {
        self.params.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a new parameter under a full name.
    pub fn insert(&self, name: &str, value: Tensor<B>, trainable: bool) -> Result<Param<B>> {
        let mut map = self.params.write().unwrap_or_else(|e| e.into_inner());
        if map.contains_key(name) {
            return Err(TensorError::Param(format!(
                "parameter `{name}` already exists"
            )));
        }
        let shape = value.shape();
        self.check_room(map.len(), name, &shape)?;
        let elements = shape.iter().product::<usize>();
        let param = Param::new(name.to_string(), value, trainable, false);
        map.insert(name.to_string(), param.clone());
        self.used.fetch_add(elements, Ordering::Relaxed);
        Ok(param)
    }

    /// Registers a buffer under a full name (see [`ParamPath::buffer`]).
    pub fn insert_buffer(&self, name: &str, value: Tensor<B>) -> Result<Param<B>> {
        let mut map = self.params.write().unwrap_or_else(|e| e.into_inner());
        if map.contains_key(name) {
            return Err(TensorError::Param(format!(
                "parameter `{name}` already exists"
            )));
        }
        let shape = value.shape();
        self.check_room(map.len(), name, &shape)?;
        let elements = shape.iter().product::<usize>();
        let param = Param::new(name.to_string(), value, false, true);
        map.insert(name.to_string(), param.clone());
        self.used.fetch_add(elements, Ordering::Relaxed);
        Ok(param)
    }

    /// The parameter of that full name.
    pub fn get(&self, name: &str) -> Option<Param<B>> {
        self.map().get(name).cloned()
    }

    /// All parameters, sorted by name.
    pub fn params(&self) -> Vec<Param<B>> {
        self.map().values().cloned().collect()
    }

    /// The trainable parameters, sorted by name.
    pub fn trainable_params(&self) -> Vec<Param<B>> {
        self.map()
            .values()
            .filter(|p| p.is_trainable())
            .cloned()
            .collect()
    }

    /// All names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.map().keys().cloned().collect()
    }

    /// Number of parameters (tensors).
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Whether the store holds no parameter.
    pub fn is_empty(&self) -> bool {
        self.map().is_empty()
    }

    /// Total number of scalar values.
    pub fn num_elements(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Freezes every parameter whose name starts with `prefix` (all of them for `""`); returns
    /// how many were frozen.
    pub fn freeze(&self, prefix: &str) -> usize {
        self.set_trainable_prefix(prefix, false)
    }

    /// Unfreezes every parameter whose name starts with `prefix`; returns how many.
    pub fn unfreeze(&self, prefix: &str) -> usize {
        self.set_trainable_prefix(prefix, true)
    }

    fn set_trainable_prefix(&self, prefix: &str, trainable: bool) -> usize {
        let selected: Vec<Param<B>> = self
            .map()
            .iter()
            .filter(|(n, p)| n.starts_with(prefix) && !p.is_buffer())
            .map(|(_, p)| p.clone())
            .collect();
        for p in &selected {
            p.set_trainable(trainable);
        }
        selected.len()
    }

    /// The current values by name.
    pub fn tensors(&self) -> BTreeMap<String, Tensor<B>> {
        self.map()
            .iter()
            .map(|(n, p)| (n.clone(), p.value()))
            .collect()
    }

    /// Sets values by name. Every name in `values` must exist with the same shape; when
    /// `strict`, every parameter of the store must also be present in `values`.
    pub fn assign(&self, values: &BTreeMap<String, Tensor<B>>, strict: bool) -> Result<()> {
        let map = self.map();
        if let Some(unknown) = values.keys().find(|k| !map.contains_key(*k)) {
            return Err(TensorError::Param(format!(
                "unknown parameter `{unknown}`; the model has {:?}",
                map.keys().collect::<Vec<_>>()
            )));
        }
        if strict {
            if let Some(missing) = map.keys().find(|k| !values.contains_key(*k)) {
                return Err(TensorError::Param(format!(
                    "parameter `{missing}` is missing from the values given"
                )));
            }
        }
        for (name, value) in values {
            let param = &map[name];
            if param.shape() != value.shape() {
                return Err(TensorError::Param(format!(
                    "parameter `{name}` has shape {:?}, the values given have {:?}",
                    param.shape(),
                    value.shape()
                )));
            }
        }
        for (name, value) in values {
            map[name].set_value(value.to_device(&self.device)?)?;
        }
        Ok(())
    }

    /// Writes all parameters to a safetensors file with abi's versioned header.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        io::save_tensors(path, &self.tensors(), &BTreeMap::new())
    }

    /// Loads a file written by [`ParamStore::save`]: names and shapes must match exactly.
    pub fn load(&self, path: impl AsRef<Path>) -> Result<()> {
        let file = io::load_tensors::<B>(path.as_ref(), &self.device)?;
        self.assign(&file.tensors, true)
            .map_err(|e| TensorError::File {
                path: path.as_ref().display().to_string(),
                reason: e.to_string(),
            })
    }
}
