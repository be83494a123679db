//! [`Adapter`]: the ordered pipeline, its builder methods, fitting and serialisation.

use crate::data::Data;
use crate::elementwise::Elementwise;
use crate::error::{AdapterError, Result};
use crate::transform::{CustomRegistry, CustomTransform, DType, LogDet, Transform};
use ndarray::ArrayD;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Name written into saved adapters.
pub const FORMAT_NAME: &str = "abi-adapter";
/// Version of the saved format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

fn keys<S: AsRef<str>>(ks: &[S]) -> Vec<String> {
    ks.iter().map(|k| k.as_ref().to_string()).collect()
}

/// An ordered, serialisable pipeline of named transforms from simulations to the network roles
/// (`inference_variables`, `inference_conditions`, `summary_variables`, ...) and back.
///
/// Build it with BayesFlow's vocabulary; [`Adapter::fit`] learns standardisation statistics
/// and split sizes from training data; [`Adapter::forward`] maps data to roles;
/// [`Adapter::inverse`] maps network samples back to named parameters in their original
/// space; [`Adapter::log_det_jacobian`] gives the density correction of the forward map.
///
/// ```
/// use abi_adapter::Adapter;
/// use abi_sim::Batch;
/// use ndarray::{ArrayD, IxDyn};
///
/// let mut batch = Batch::new();
/// batch.insert("mu", ArrayD::from_shape_vec(IxDyn(&[2, 1]), vec![0.5, -0.5]).unwrap())?;
/// batch.insert("sigma", ArrayD::from_shape_vec(IxDyn(&[2, 1]), vec![1.0, 2.0]).unwrap())?;
/// let mut adapter = Adapter::new()
///     .constrain(&["sigma"], Some(0.0), None)
///     .concatenate(&["mu", "sigma"], "inference_variables");
/// adapter.fit(&batch)?;
/// let roles = adapter.forward(&batch)?;
/// assert_eq!(roles.get("inference_variables").unwrap().shape(), &[2, 2]);
/// let back = adapter.inverse(&roles)?;
/// let sigma = back.f64("inverse", "sigma")?;
/// assert!((sigma[[1, 0]] - 2.0).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct Adapter {
    transforms: Vec<Transform>,
    custom: CustomRegistry,
}

impl std::fmt::Debug for Adapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Adapter")
            .field("transforms", &self.transforms)
            .field("custom", &self.custom.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct AdapterFile {
    format: String,
    version: u32,
    transforms: Vec<Transform>,
}

impl Adapter {
    /// An empty pipeline.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a transform.
    pub fn push(mut self, t: Transform) -> Self {
        self.transforms.push(t);
        self
    }

    /// The transforms in order.
    pub fn transforms(&self) -> &[Transform] {
        &self.transforms
    }

    /// Converts entries to another element type.
    pub fn convert_dtype<S: AsRef<str>>(self, ks: &[S], dtype: DType) -> Self {
        self.push(Transform::ConvertDType {
            keys: keys(ks),
            dtype,
        })
    }

    /// Maps bounded entries to the real line: `lower` and/or `upper` bound.
    pub fn constrain<S: AsRef<str>>(
        self,
        ks: &[S],
        lower: Option<f64>,
        upper: Option<f64>,
    ) -> Self {
        self.push(Transform::Map {
            keys: keys(ks),
            map: Elementwise::Constrain { lower, upper },
        })
    }

    /// `(x − mean) / std` per feature, statistics from [`Adapter::fit`] /
    /// [`Adapter::partial_fit`].
    pub fn standardize<S: AsRef<str>>(self, ks: &[S]) -> Self {
        self.push(Transform::Standardize {
            keys: keys(ks),
            stats: BTreeMap::new(),
        })
    }

    /// Concatenates entries along the last axis into `into`.
    pub fn concatenate<S: AsRef<str>>(self, ks: &[S], into: &str) -> Self {
        self.push(Transform::Concatenate {
            keys: keys(ks),
            into: into.into(),
            sizes: None,
        })
    }

    /// Splits `key` along the last axis into entries of the given sizes.
    pub fn split<S: AsRef<str>>(self, key: &str, into: &[S], sizes: &[usize]) -> Self {
        self.push(Transform::Split {
            key: key.into(),
            into: keys(into),
            sizes: sizes.to_vec(),
        })
    }

    /// Renames an entry.
    pub fn rename(self, from: &str, to: &str) -> Self {
        self.push(Transform::Rename {
            from: from.into(),
            to: to.into(),
        })
    }

    /// Keeps only these entries.
    pub fn keep<S: AsRef<str>>(self, ks: &[S]) -> Self {
        self.push(Transform::Keep { keys: keys(ks) })
    }

    /// Removes these entries.
    pub fn drop<S: AsRef<str>>(self, ks: &[S]) -> Self {
        self.push(Transform::Drop { keys: keys(ks) })
    }

    /// `ln x` (or `ln(1 + x)` with `p1`).
    pub fn log<S: AsRef<str>>(self, ks: &[S], p1: bool) -> Self {
        self.push(Transform::Map {
            keys: keys(ks),
            map: Elementwise::Log { p1 },
        })
    }

    /// `√x`.
    pub fn sqrt<S: AsRef<str>>(self, ks: &[S]) -> Self {
        self.push(Transform::Map {
            keys: keys(ks),
            map: Elementwise::Sqrt,
        })
    }

    /// Clamps into `[lower, upper]` (not invertible).
    pub fn clip<S: AsRef<str>>(self, ks: &[S], lower: f64, upper: f64) -> Self {
        self.push(Transform::Map {
            keys: keys(ks),
            map: Elementwise::Clip { lower, upper },
        })
    }

    /// Marks entries as sets `(batch, set size, features)`.
    pub fn as_set<S: AsRef<str>>(self, ks: &[S]) -> Self {
        self.push(Transform::AsSet { keys: keys(ks) })
    }

    /// Marks entries as time series `(batch, time, features)`.
    pub fn as_time_series<S: AsRef<str>>(self, ks: &[S]) -> Self {
        self.push(Transform::AsTimeSeries { keys: keys(ks) })
    }

    /// Repeats one-row entries (context scalars) to the batch size of `to`.
    pub fn broadcast<S: AsRef<str>>(self, ks: &[S], to: &str) -> Self {
        self.push(Transform::Broadcast {
            keys: keys(ks),
            to: to.into(),
        })
    }

    /// Integer labels → one-hot vectors.
    pub fn one_hot<S: AsRef<str>>(self, ks: &[S], num_classes: usize) -> Self {
        self.push(Transform::OneHot {
            keys: keys(ks),
            num_classes,
        })
    }

    /// Inserts a unit axis at `axis`.
    pub fn expand_dims<S: AsRef<str>>(self, ks: &[S], axis: usize) -> Self {
        self.push(Transform::ExpandDims {
            keys: keys(ks),
            axis,
        })
    }

    /// Removes the unit axis `axis`.
    pub fn squeeze<S: AsRef<str>>(self, ks: &[S], axis: usize) -> Self {
        self.push(Transform::Squeeze {
            keys: keys(ks),
            axis,
        })
    }

    /// A user function under `name` (the function itself is not serialised: after loading,
    /// register it again with [`Adapter::register`]).
    pub fn custom<S: AsRef<str>>(
        mut self,
        name: &str,
        ks: &[S],
        f: impl CustomTransform + 'static,
    ) -> Self {
        self.custom.insert(name.to_string(), Arc::new(f));
        self.push(Transform::Custom {
            name: name.into(),
            keys: keys(ks),
        })
    }

    /// Registers the function of a custom transform (after loading a saved adapter).
    pub fn register(&mut self, name: &str, f: impl CustomTransform + 'static) {
        self.custom.insert(name.to_string(), Arc::new(f));
    }

    fn run(&self, data: &mut Data, mut ldj: Option<&mut LogDet>) -> Result<()> {
        for t in &self.transforms {
            t.forward(data, &self.custom, ldj.as_deref_mut())?;
        }
        Ok(())
    }

    /// Learns statistics and sizes from (training) data, replacing earlier ones.
    pub fn fit(&mut self, data: impl Into<Data>) -> Result<()> {
        self.fit_impl(data.into(), false)
    }

    /// Merges statistics of more data into those held (running standardisation).
    pub fn partial_fit(&mut self, data: impl Into<Data>) -> Result<()> {
        self.fit_impl(data.into(), true)
    }

    fn fit_impl(&mut self, mut data: Data, merge: bool) -> Result<()> {
        for i in 0..self.transforms.len() {
            self.transforms[i].fit(&data, merge)?;
            self.transforms[i].forward(&mut data, &self.custom, None)?;
        }
        Ok(())
    }

    /// Maps data (a `Batch` or [`Data`]) through the pipeline.
    pub fn forward(&self, data: impl Into<Data>) -> Result<Data> {
        let mut d = data.into();
        self.run(&mut d, None)?;
        Ok(d)
    }

    /// Maps data through the pipeline skipping what it lacks (BayesFlow's `strict=False`):
    /// transforms act on the entries present and are skipped when all their inputs are absent,
    /// so conditions alone (without parameters) map to `inference_conditions` /
    /// `summary_variables` at inference time.
    pub fn forward_available(&self, data: impl Into<Data>) -> Result<Data> {
        let mut d = data.into();
        for t in &self.transforms {
            if let Some(t) = t.restricted_to(&d)? {
                t.forward(&mut d, &self.custom, None)?;
            }
        }
        Ok(d)
    }

    /// Maps network outputs back through the inverse of every invertible transform, in reverse
    /// order. Transforms act on the last axis, so extra leading axes (e.g. posterior draws
    /// `(batch, draws, dim)`) pass through.
    pub fn inverse(&self, data: &Data) -> Result<Data> {
        let mut d = data.clone();
        for t in self.transforms.iter().rev() {
            t.inverse(&mut d, &self.custom)?;
        }
        Ok(d)
    }

    /// `ln |det ∂y/∂x|` of the forward map for the output entry `key` (typically
    /// `inference_variables`), shaped like that entry without its last axis. The density of
    /// the original variables is `p_x(x) = p_y(y) · exp(log_det_jacobian)`.
    pub fn log_det_jacobian(&self, data: impl Into<Data>, key: &str) -> Result<ArrayD<f64>> {
        let mut d = data.into();
        let mut ldj = LogDet::default();
        self.run(&mut d, Some(&mut ldj))?;
        let out = d
            .get(key)
            .ok_or_else(|| d.missing("log_det_jacobian", key))?;
        let lead = &out.shape()[..out.shape().len().saturating_sub(1)];
        Ok(ldj
            .map
            .remove(key)
            .unwrap_or_else(|| ArrayD::zeros(ndarray::IxDyn(lead))))
    }

    /// The forward map and `ln |det ∂y/∂x|` for the output entry `key`, in one pass.
    pub fn forward_with_log_det(
        &self,
        data: impl Into<Data>,
        key: &str,
    ) -> Result<(Data, Vec<f64>)> {
        let mut d = data.into();
        let mut ldj = LogDet::default();
        self.run(&mut d, Some(&mut ldj))?;
        let out = d
            .get(key)
            .ok_or_else(|| d.missing("forward_with_log_det", key))?;
        let lead = &out.shape()[..out.shape().len().saturating_sub(1)];
        let l = ldj
            .map
            .remove(key)
            .unwrap_or_else(|| ArrayD::zeros(ndarray::IxDyn(lead)));
        Ok((d, l.iter().copied().collect()))
    }

    /// Names of custom transforms whose functions are not registered.
    pub fn missing_custom(&self) -> Vec<String> {
        self.transforms
            .iter()
            .filter_map(|t| match t {
                Transform::Custom { name, .. } if !self.custom.contains_key(name) => {
                    Some(name.clone())
                }
                _ => None,
            })
            .collect()
    }

    /// The adapter as versioned JSON (custom functions are saved by name only).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(&AdapterFile {
            format: FORMAT_NAME.into(),
            version: FORMAT_VERSION,
            transforms: self.transforms.clone(),
        })
        .map_err(|e| AdapterError::Format(e.to_string()))
    }

    /// Loads an adapter saved by [`Adapter::to_json`]. Unknown transforms, another format or
    /// another version are errors; custom functions must be registered again.
    pub fn from_json(json: &str) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| AdapterError::Format(format!("not valid JSON: {e}")))?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT_NAME) => {}
            other => {
                return Err(AdapterError::Format(format!(
                    "format is {other:?}, expected {FORMAT_NAME:?}"
                )));
            }
        }
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == FORMAT_VERSION as u64 => {}
            other => {
                return Err(AdapterError::Format(format!(
                    "version {other:?} is not supported (this build reads {FORMAT_VERSION})"
                )));
            }
        }
        let file: AdapterFile =
            serde_json::from_value(value).map_err(|e| AdapterError::Format(e.to_string()))?;
        Ok(Self {
            transforms: file.transforms,
            custom: CustomRegistry::new(),
        })
    }
}
