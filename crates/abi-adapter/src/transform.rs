//! The transforms of an adapter: forward, inverse, fitting and log-det-Jacobian bookkeeping.

use crate::data::Data;
use crate::elementwise::Elementwise;
use crate::error::{AdapterError, Result};
use abi_sim::Array;
use ndarray::{ArrayD, Axis, IxDyn, Slice};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A user function used as a transform; not serialised (register it again after loading).
pub trait CustomTransform: Send + Sync {
    /// The forward map.
    fn forward(&self, x: &ArrayD<f64>) -> std::result::Result<ArrayD<f64>, String>;
    /// The inverse map, if there is one (default: none; `inverse` then passes values through).
    fn inverse(&self, _y: &ArrayD<f64>) -> Option<std::result::Result<ArrayD<f64>, String>> {
        None
    }
}

/// Element type of [`Transform::ConvertDType`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DType {
    /// 32-bit floats (what networks train on).
    F32,
    /// 64-bit floats.
    F64,
}

/// Running mean and variance per feature (last axis), merged batch by batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningStats {
    /// Number of values seen per feature.
    pub count: f64,
    /// Mean per feature.
    pub mean: Vec<f64>,
    /// Sum of squared deviations per feature.
    pub m2: Vec<f64>,
}

impl RunningStats {
    fn of(x: &ArrayD<f64>) -> Self {
        let d = x.shape().last().copied().unwrap_or(1);
        let rows = x.len() / d.max(1);
        let flat = x
            .as_standard_layout()
            .into_owned()
            .into_shape_with_order((rows, d));
        let flat = flat.unwrap_or_else(|_| unreachable!("length is rows × d"));
        let mean: Vec<f64> = (0..d).map(|j| flat.column(j).sum() / rows as f64).collect();
        let m2 = (0..d)
            .map(|j| flat.column(j).iter().map(|v| (v - mean[j]).powi(2)).sum())
            .collect();
        RunningStats {
            count: rows as f64,
            mean,
            m2,
        }
    }

    /// Merges statistics of more data (Chan et al.'s parallel update).
    fn merge(&mut self, other: &RunningStats) {
        let n = self.count + other.count;
        for j in 0..self.mean.len() {
            let delta = other.mean[j] - self.mean[j];
            self.mean[j] += delta * other.count / n;
            self.m2[j] += other.m2[j] + delta * delta * self.count * other.count / n;
        }
        self.count = n;
    }

    /// Standard deviation per feature (1 where a feature is constant).
    pub fn std(&self) -> Vec<f64> {
        self.m2
            .iter()
            .map(|m2| {
                let s = (m2 / self.count).sqrt();
                if s > 1e-12 { s } else { 1.0 }
            })
            .collect()
    }
}

/// One step of an [`Adapter`](crate::Adapter), serialised by its `transform` tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "transform", rename_all = "snake_case", deny_unknown_fields)]
pub enum Transform {
    /// An elementwise map of each key.
    Map {
        /// entries
        keys: Vec<String>,
        /// the map
        map: Elementwise,
    },
    /// `(x − mean) / std` per feature, with statistics fitted from data.
    Standardize {
        /// entries
        keys: Vec<String>,
        /// fitted statistics by key
        #[serde(default)]
        stats: BTreeMap<String, RunningStats>,
    },
    /// Concatenates entries along the last axis into a new one (the parts are removed).
    Concatenate {
        /// entries, in order
        keys: Vec<String>,
        /// the new entry
        into: String,
        /// last-axis sizes of the parts, recorded by `fit` for the inverse
        #[serde(default)]
        sizes: Option<Vec<usize>>,
    },
    /// Splits an entry along the last axis into new ones.
    Split {
        /// the entry
        key: String,
        /// the new entries
        into: Vec<String>,
        /// their last-axis sizes
        sizes: Vec<usize>,
    },
    /// Renames an entry.
    Rename {
        /// old name
        from: String,
        /// new name
        to: String,
    },
    /// Keeps only these entries.
    Keep {
        /// entries
        keys: Vec<String>,
    },
    /// Removes these entries.
    Drop {
        /// entries
        keys: Vec<String>,
    },
    /// Marks entries as sets `(batch, set size, features)`: a 2-D entry gains a feature axis.
    AsSet {
        /// entries
        keys: Vec<String>,
    },
    /// Marks entries as time series `(batch, time, features)`: a 2-D entry gains a feature axis.
    AsTimeSeries {
        /// entries
        keys: Vec<String>,
    },
    /// Repeats entries with one row (or scalars) to the batch size of `to`.
    Broadcast {
        /// entries
        keys: Vec<String>,
        /// the entry whose first axis gives the batch size
        to: String,
    },
    /// Integer class labels → one-hot vectors on a new last axis.
    OneHot {
        /// entries
        keys: Vec<String>,
        /// number of classes
        num_classes: usize,
    },
    /// Inserts a unit axis.
    ExpandDims {
        /// entries
        keys: Vec<String>,
        /// position of the new axis
        axis: usize,
    },
    /// Removes a unit axis.
    Squeeze {
        /// entries
        keys: Vec<String>,
        /// the axis
        axis: usize,
    },
    /// Converts the element type (the inverse returns `f64`).
    ConvertDType {
        /// entries
        keys: Vec<String>,
        /// the new type
        dtype: DType,
    },
    /// A registered user function (see [`CustomTransform`]).
    Custom {
        /// the registered name
        name: String,
        /// entries
        keys: Vec<String>,
    },
}

/// Log-det-Jacobians per entry, shaped like the entry without its last axis.
#[derive(Debug, Default)]
pub(crate) struct LogDet {
    pub(crate) map: BTreeMap<String, ArrayD<f64>>,
}

impl LogDet {
    fn add(&mut self, key: &str, term: ArrayD<f64>) {
        match self.map.get_mut(key) {
            Some(acc) if acc.shape() == term.shape() => *acc += &term,
            _ => {
                self.map.insert(key.to_string(), term);
            }
        }
    }

    /// Structural changes that alter the leading shape cannot carry a non-zero log-det.
    fn reshaped(&mut self, transform: &str, key: &str) -> Result<()> {
        match self.map.remove(key) {
            Some(l) if l.iter().any(|v| *v != 0.0) => Err(AdapterError::Invalid {
                transform: transform.into(),
                reason: format!("cannot carry the log-det-Jacobian of `{key}` through a reshape"),
            }),
            _ => Ok(()),
        }
    }
}

/// Registered custom functions, by name.
pub(crate) type CustomRegistry = BTreeMap<String, Arc<dyn CustomTransform>>;

fn last_dim(x: &ArrayD<f64>) -> usize {
    x.shape().last().copied().unwrap_or(1)
}

fn sum_last(x: ArrayD<f64>) -> ArrayD<f64> {
    if x.ndim() == 0 {
        return x;
    }
    let last = x.ndim() - 1;
    x.sum_axis(Axis(last))
}

impl Transform {
    /// The transform's name as written in files.
    pub fn name(&self) -> &'static str {
        match self {
            Transform::Map { map, .. } => match map {
                Elementwise::Constrain { .. } => "constrain",
                Elementwise::Log { .. } => "log",
                Elementwise::Sqrt => "sqrt",
                Elementwise::Clip { .. } => "clip",
            },
            Transform::Standardize { .. } => "standardize",
            Transform::Concatenate { .. } => "concatenate",
            Transform::Split { .. } => "split",
            Transform::Rename { .. } => "rename",
            Transform::Keep { .. } => "keep",
            Transform::Drop { .. } => "drop",
            Transform::AsSet { .. } => "as_set",
            Transform::AsTimeSeries { .. } => "as_time_series",
            Transform::Broadcast { .. } => "broadcast",
            Transform::OneHot { .. } => "one_hot",
            Transform::ExpandDims { .. } => "expand_dims",
            Transform::Squeeze { .. } => "squeeze",
            Transform::ConvertDType { .. } => "convert_dtype",
            Transform::Custom { .. } => "custom",
        }
    }

    /// Learns what the transform needs from data (standardisation statistics, split sizes).
    /// With `merge`, statistics are combined with those already held (running statistics).
    pub(crate) fn fit(&mut self, data: &Data, merge: bool) -> Result<()> {
        let name = self.name();
        match self {
            Transform::Standardize { keys, stats } => {
                for k in keys.iter() {
                    let x = data.f64(name, k)?;
                    let s = RunningStats::of(&x);
                    match stats.get_mut(k) {
                        Some(old) if merge && old.mean.len() == s.mean.len() => old.merge(&s),
                        _ => {
                            stats.insert(k.clone(), s);
                        }
                    }
                }
            }
            Transform::Concatenate { keys, sizes, .. } => {
                let s: Vec<usize> = keys
                    .iter()
                    .map(|k| data.f64(name, k).map(|x| last_dim(&x)))
                    .collect::<Result<_>>()?;
                *sizes = Some(s);
            }
            _ => {}
        }
        Ok(())
    }

    /// The transform restricted to the entries present in `data`, for inference-time data that
    /// lacks some entries (e.g. conditions without parameters): keyed transforms keep only the
    /// keys present, a transform whose inputs are all absent is skipped (`None`), and a
    /// concatenation with only some of its parts present is an error naming the missing one.
    pub(crate) fn restricted_to(&self, data: &Data) -> Result<Option<Transform>> {
        let present = |ks: &[String]| -> Vec<String> {
            ks.iter().filter(|k| data.contains(k)).cloned().collect()
        };
        let mut t = self.clone();
        let keys: Option<&mut Vec<String>> = match &mut t {
            Transform::Map { keys, .. }
            | Transform::Standardize { keys, .. }
            | Transform::Keep { keys }
            | Transform::Drop { keys }
            | Transform::AsSet { keys }
            | Transform::AsTimeSeries { keys }
            | Transform::OneHot { keys, .. }
            | Transform::ExpandDims { keys, .. }
            | Transform::Squeeze { keys, .. }
            | Transform::ConvertDType { keys, .. }
            | Transform::Custom { keys, .. } => Some(keys),
            Transform::Broadcast { keys, to } => {
                if !data.contains(to) {
                    return Ok(None);
                }
                Some(keys)
            }
            Transform::Concatenate { keys, .. } => {
                let have = present(keys);
                if have.is_empty() {
                    return Ok(None);
                }
                if have.len() < keys.len() {
                    let absent = keys.iter().find(|k| !data.contains(k)).cloned();
                    return Err(data.missing(self.name(), &absent.unwrap_or_default()));
                }
                None
            }
            Transform::Split { key, .. } | Transform::Rename { from: key, .. } => {
                if !data.contains(key) {
                    return Ok(None);
                }
                None
            }
        };
        if let Some(keys) = keys {
            let have = present(keys);
            if have.is_empty() && !matches!(self, Transform::Keep { .. }) {
                return Ok(None);
            }
            *keys = have;
        }
        Ok(Some(t))
    }

    pub(crate) fn forward(
        &self,
        data: &mut Data,
        custom: &CustomRegistry,
        mut ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        let name = self.name();
        match self {
            Transform::Map { keys, map } => {
                for k in keys {
                    let x = data.f64(name, k)?;
                    if let Some(bad) = x.iter().find(|v| !map.in_domain(**v)) {
                        return Err(AdapterError::Domain {
                            transform: name.into(),
                            key: k.clone(),
                            value: *bad,
                            domain: map.domain(),
                        });
                    }
                    if let Some(l) = ldj.as_deref_mut() {
                        l.add(k, sum_last(x.mapv(|v| map.log_abs_derivative(v))));
                    }
                    data.set(k.clone(), x.mapv(|v| map.forward(v)));
                }
            }
            Transform::Standardize { keys, stats } => {
                for k in keys {
                    let x = data.f64(name, k)?;
                    let s = stats.get(k).ok_or_else(|| AdapterError::NotFitted {
                        transform: name.into(),
                        key: k.clone(),
                    })?;
                    let d = last_dim(&x);
                    if d != s.mean.len() {
                        return Err(AdapterError::Shape {
                            transform: name.into(),
                            key: k.clone(),
                            expected: vec![s.mean.len()],
                            got: x.shape().to_vec(),
                        });
                    }
                    let std = s.std();
                    let mut y = x.clone();
                    for mut lane in y.lanes_mut(Axis(x.ndim().saturating_sub(1))) {
                        for (j, v) in lane.iter_mut().enumerate() {
                            *v = (*v - s.mean[j]) / std[j];
                        }
                    }
                    if let Some(l) = ldj.as_deref_mut() {
                        let term: f64 = -std.iter().map(|s| s.ln()).sum::<f64>();
                        let lead = &x.shape()[..x.ndim().saturating_sub(1)];
                        l.add(k, ArrayD::from_elem(IxDyn(lead), term));
                    }
                    data.set(k.clone(), y);
                }
            }
            Transform::Concatenate { keys, into, sizes } => {
                let parts: Vec<ArrayD<f64>> = keys
                    .iter()
                    .map(|k| data.f64(name, k))
                    .collect::<Result<_>>()?;
                let lead = parts[0].shape()[..parts[0].ndim().saturating_sub(1)].to_vec();
                for (k, p) in keys.iter().zip(&parts) {
                    if p.ndim() == 0 || p.shape()[..p.ndim() - 1] != lead[..] {
                        return Err(AdapterError::Shape {
                            transform: name.into(),
                            key: k.clone(),
                            expected: parts[0].shape().to_vec(),
                            got: p.shape().to_vec(),
                        });
                    }
                }
                if let Some(s) = sizes {
                    let got: Vec<usize> = parts.iter().map(last_dim).collect();
                    if *s != got {
                        return Err(AdapterError::Invalid {
                            transform: name.into(),
                            reason: format!(
                                "parts of `{into}` have last-axis sizes {got:?}, fitted {s:?}"
                            ),
                        });
                    }
                }
                let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
                let y = ndarray::concatenate(Axis(lead.len()), &views).map_err(|e| {
                    AdapterError::Invalid {
                        transform: name.into(),
                        reason: e.to_string(),
                    }
                })?;
                if let Some(l) = ldj.as_deref_mut() {
                    let mut total = ArrayD::<f64>::zeros(IxDyn(&lead));
                    for k in keys {
                        if let Some(t) = l.map.remove(k) {
                            total += &t;
                        }
                    }
                    l.map.insert(into.clone(), total);
                }
                for k in keys {
                    data.remove(k);
                }
                data.set(into.clone(), y);
            }
            Transform::Split { key, into, sizes } => {
                let x = data.f64(name, key)?;
                split_into(name, key, &x, into, sizes, data)?;
                data.remove(key);
                if let Some(l) = ldj.as_deref_mut() {
                    // the whole log-det goes with the first part, so re-concatenating keeps it
                    if let Some(t) = l.map.remove(key) {
                        l.map.insert(into[0].clone(), t);
                    }
                }
            }
            Transform::Rename { from, to } => {
                let a = data.remove(from).ok_or_else(|| data.missing(name, from))?;
                data.set(to.clone(), a);
                if let Some(l) = ldj.as_deref_mut() {
                    if let Some(t) = l.map.remove(from) {
                        l.map.insert(to.clone(), t);
                    }
                }
            }
            Transform::Keep { keys } => {
                if let Some(k) = keys.iter().find(|k| !data.contains(k)) {
                    return Err(data.missing(name, k));
                }
                data.retain(|n| keys.iter().any(|k| k == n));
            }
            Transform::Drop { keys } => {
                for k in keys {
                    data.remove(k).ok_or_else(|| data.missing(name, k))?;
                    if let Some(l) = ldj.as_deref_mut() {
                        l.map.remove(k);
                    }
                }
            }
            Transform::AsSet { keys } | Transform::AsTimeSeries { keys } => {
                for k in keys {
                    let x = data.f64(name, k)?;
                    let y = match x.ndim() {
                        3 => continue,
                        2 => x.insert_axis(Axis(2)),
                        _ => {
                            return Err(AdapterError::Shape {
                                transform: name.into(),
                                key: k.clone(),
                                expected: vec![0, 0, 0],
                                got: x.shape().to_vec(),
                            });
                        }
                    };
                    if let Some(l) = ldj.as_deref_mut() {
                        l.reshaped(name, k)?;
                    }
                    data.set(k.clone(), y);
                }
            }
            Transform::Broadcast { keys, to } => {
                let rows = data
                    .get(to)
                    .ok_or_else(|| data.missing(name, to))?
                    .shape()
                    .first()
                    .copied()
                    .unwrap_or(1);
                for k in keys {
                    let x = data.f64(name, k)?;
                    let y = match x.shape().first() {
                        None => ArrayD::from_elem(IxDyn(&[rows]), x[IxDyn(&[])]),
                        Some(&r) if r == rows => continue,
                        Some(1) => {
                            let mut shape = x.shape().to_vec();
                            shape[0] = rows;
                            x.broadcast(IxDyn(&shape))
                                .ok_or_else(|| AdapterError::Shape {
                                    transform: name.into(),
                                    key: k.clone(),
                                    expected: shape.clone(),
                                    got: x.shape().to_vec(),
                                })?
                                .to_owned()
                        }
                        Some(_) => {
                            return Err(AdapterError::Shape {
                                transform: name.into(),
                                key: k.clone(),
                                expected: vec![rows],
                                got: x.shape().to_vec(),
                            });
                        }
                    };
                    if let Some(l) = ldj.as_deref_mut() {
                        l.reshaped(name, k)?;
                    }
                    data.set(k.clone(), y);
                }
            }
            Transform::OneHot { keys, num_classes } => {
                for k in keys {
                    let x = data.f64(name, k)?;
                    let mut shape = x.shape().to_vec();
                    shape.push(*num_classes);
                    let mut y = ArrayD::<f64>::zeros(IxDyn(&shape));
                    for (i, v) in x.iter().enumerate() {
                        if v.fract() != 0.0 || *v < 0.0 || *v >= *num_classes as f64 {
                            return Err(AdapterError::Domain {
                                transform: name.into(),
                                key: k.clone(),
                                value: *v,
                                domain: format!("the classes 0..{num_classes}"),
                            });
                        }
                        if let Some(slot) = y
                            .as_slice_mut()
                            .and_then(|s| s.get_mut(i * num_classes + *v as usize))
                        {
                            *slot = 1.0;
                        }
                    }
                    if let Some(l) = ldj.as_deref_mut() {
                        l.reshaped(name, k)?;
                    }
                    data.set(k.clone(), y);
                }
            }
            Transform::ExpandDims { keys, axis } => {
                for k in keys {
                    let x = data.f64(name, k)?;
                    if *axis > x.ndim() {
                        return Err(AdapterError::Invalid {
                            transform: name.into(),
                            reason: format!("axis {axis} beyond rank {} of `{k}`", x.ndim()),
                        });
                    }
                    if let Some(l) = ldj.as_deref_mut() {
                        // a unit axis before the feature axis reshapes the log-det the same way
                        match l.map.remove(k) {
                            Some(t) if *axis < x.ndim() => {
                                l.map.insert(k.clone(), t.insert_axis(Axis(*axis)));
                            }
                            Some(t) => {
                                l.map.insert(k.clone(), t);
                                l.reshaped(name, k)?;
                            }
                            None => {}
                        }
                    }
                    data.set(k.clone(), x.insert_axis(Axis(*axis)));
                }
            }
            Transform::Squeeze { keys, axis } => {
                for k in keys {
                    let x = data.f64(name, k)?;
                    if x.shape().get(*axis) != Some(&1) {
                        return Err(AdapterError::Shape {
                            transform: name.into(),
                            key: k.clone(),
                            expected: vec![1],
                            got: x.shape().to_vec(),
                        });
                    }
                    if let Some(l) = ldj.as_deref_mut() {
                        match l.map.remove(k) {
                            Some(t) if *axis + 1 < x.ndim() => {
                                l.map.insert(k.clone(), t.index_axis_move(Axis(*axis), 0));
                            }
                            Some(t) => {
                                l.map.insert(k.clone(), t);
                                l.reshaped(name, k)?;
                            }
                            None => {}
                        }
                    }
                    data.set(k.clone(), x.index_axis_move(Axis(*axis), 0));
                }
            }
            Transform::ConvertDType { keys, dtype } => {
                for k in keys {
                    let x = data.f64(name, k)?;
                    match dtype {
                        DType::F32 => data.set(k.clone(), Array::F32(x.mapv(|v| v as f32))),
                        DType::F64 => data.set(k.clone(), Array::F64(x)),
                    }
                }
            }
            Transform::Custom { name: fname, keys } => {
                let f = custom
                    .get(fname)
                    .ok_or_else(|| AdapterError::UnregisteredCustom(fname.clone()))?;
                for k in keys {
                    let x = data.f64(name, k)?;
                    let y = f.forward(&x).map_err(|reason| AdapterError::Custom {
                        name: fname.clone(),
                        reason,
                    })?;
                    if let Some(l) = ldj.as_deref_mut() {
                        if l.map.contains_key(k) || x.shape() != y.shape() {
                            l.reshaped(name, k)?;
                        }
                    }
                    data.set(k.clone(), y);
                }
            }
        }
        Ok(())
    }

    pub(crate) fn inverse(&self, data: &mut Data, custom: &CustomRegistry) -> Result<()> {
        let name = self.name();
        match self {
            Transform::Map { keys, map } => {
                for k in keys {
                    if let Some(a) = data.get(k) {
                        let y = a.to_f64();
                        data.set(k.clone(), y.mapv(|v| map.inverse(v)));
                    }
                }
            }
            Transform::Standardize { keys, stats } => {
                for k in keys {
                    let Some(a) = data.get(k) else { continue };
                    let s = stats.get(k).ok_or_else(|| AdapterError::NotFitted {
                        transform: name.into(),
                        key: k.clone(),
                    })?;
                    let mut x = a.to_f64();
                    let std = s.std();
                    if last_dim(&x) != std.len() {
                        return Err(AdapterError::Shape {
                            transform: name.into(),
                            key: k.clone(),
                            expected: vec![std.len()],
                            got: x.shape().to_vec(),
                        });
                    }
                    let last = x.ndim().saturating_sub(1);
                    for mut lane in x.lanes_mut(Axis(last)) {
                        for (j, v) in lane.iter_mut().enumerate() {
                            *v = *v * std[j] + s.mean[j];
                        }
                    }
                    data.set(k.clone(), x);
                }
            }
            Transform::Concatenate { keys, into, sizes } => {
                let Some(a) = data.get(into) else {
                    return Ok(());
                };
                let sizes = sizes.as_ref().ok_or_else(|| AdapterError::NotFitted {
                    transform: name.into(),
                    key: into.clone(),
                })?;
                let x = a.to_f64();
                split_into(name, into, &x, keys, sizes, data)?;
                data.remove(into);
            }
            Transform::Split { key, into, .. } => {
                if !into.iter().all(|k| data.contains(k)) {
                    return Ok(());
                }
                let parts: Vec<ArrayD<f64>> = into
                    .iter()
                    .map(|k| data.f64(name, k))
                    .collect::<Result<_>>()?;
                let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
                let last = parts[0].ndim().saturating_sub(1);
                let y = ndarray::concatenate(Axis(last), &views).map_err(|e| {
                    AdapterError::Invalid {
                        transform: name.into(),
                        reason: e.to_string(),
                    }
                })?;
                for k in into {
                    data.remove(k);
                }
                data.set(key.clone(), y);
            }
            Transform::Rename { from, to } => {
                if let Some(a) = data.remove(to) {
                    data.set(from.clone(), a);
                }
            }
            Transform::ExpandDims { keys, axis } => {
                for k in keys {
                    if let Some(a) = data.get(k) {
                        let x = a.to_f64();
                        if x.shape().get(*axis) == Some(&1) {
                            data.set(k.clone(), x.index_axis_move(Axis(*axis), 0));
                        }
                    }
                }
            }
            Transform::Squeeze { keys, axis } => {
                for k in keys {
                    if let Some(a) = data.get(k) {
                        let x = a.to_f64();
                        if *axis <= x.ndim() {
                            data.set(k.clone(), x.insert_axis(Axis(*axis)));
                        }
                    }
                }
            }
            Transform::OneHot { keys, .. } => {
                for k in keys {
                    if let Some(a) = data.get(k) {
                        let x = a.to_f64();
                        let last = x.ndim().saturating_sub(1);
                        let labels = x.map_axis(Axis(last), |lane| {
                            lane.iter()
                                .enumerate()
                                .fold((0usize, f64::NEG_INFINITY), |best, (i, &v)| {
                                    if v > best.1 { (i, v) } else { best }
                                })
                                .0 as f64
                        });
                        data.set(k.clone(), labels);
                    }
                }
            }
            Transform::ConvertDType { keys, .. } => {
                for k in keys {
                    if let Some(a) = data.get(k) {
                        let x = a.to_f64();
                        data.set(k.clone(), x);
                    }
                }
            }
            Transform::Custom { name: fname, keys } => {
                let f = custom
                    .get(fname)
                    .ok_or_else(|| AdapterError::UnregisteredCustom(fname.clone()))?;
                for k in keys {
                    if let Some(a) = data.get(k) {
                        if let Some(r) = f.inverse(&a.to_f64()) {
                            let x = r.map_err(|reason| AdapterError::Custom {
                                name: fname.clone(),
                                reason,
                            })?;
                            data.set(k.clone(), x);
                        }
                    }
                }
            }
            // not invertible or nothing to undo: keep, drop, as_set, as_time_series, broadcast
            Transform::Keep { .. }
            | Transform::Drop { .. }
            | Transform::AsSet { .. }
            | Transform::AsTimeSeries { .. }
            | Transform::Broadcast { .. } => {}
        }
        Ok(())
    }
}

fn split_into(
    transform: &str,
    key: &str,
    x: &ArrayD<f64>,
    into: &[String],
    sizes: &[usize],
    data: &mut Data,
) -> Result<()> {
    let total: usize = sizes.iter().sum();
    if into.len() != sizes.len() || x.ndim() == 0 || last_dim(x) != total {
        return Err(AdapterError::Shape {
            transform: transform.into(),
            key: key.into(),
            expected: vec![total],
            got: x.shape().to_vec(),
        });
    }
    let last = x.ndim() - 1;
    let mut start = 0;
    for (k, &s) in into.iter().zip(sizes) {
        data.set(
            k.clone(),
            x.slice_axis(Axis(last), Slice::from(start..start + s))
                .to_owned(),
        );
        start += s;
    }
    Ok(())
}
