//! `standardize`: `(x − mean) / std` per feature, with fitted or fixed moments.

use super::running_stats::RunningStats;
use super::step::{Step, invalid, lead_shape, restrict_keys, shape_error};
use crate::data::Data;
use crate::error::{AdapterError, Result};
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use ndarray::{ArrayD, Axis, IxDyn};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// User-given moments of [`Standardize`]: one value for every feature, or one per feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Moments {
    /// Mean (length 1 or the number of features).
    #[serde(with = "crate::float::exact_vec")]
    pub mean: Vec<f64>,
    /// Standard deviation, positive (length 1 or the number of features).
    #[serde(with = "crate::float::exact_vec")]
    pub std: Vec<f64>,
}

/// `(x − mean) / std` per feature (last axis). The moments are fitted from data by
/// `Adapter::fit` / `Adapter::partial_fit` (per key), or fixed by the user (`fixed`, shared
/// by the keys, never refitted). The log-det is `−Σ ln std` per row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standardize {
    /// Entries.
    pub keys: Vec<String>,
    /// Fitted statistics by key.
    #[serde(default)]
    pub stats: BTreeMap<String, RunningStats>,
    /// Fixed moments; when present, fitting leaves the transform unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<Moments>,
    /// Entry of a 0/1 mask over the elements of padded data (e.g. `(batch, set)` for
    /// `(batch, set, dim)`): padded elements (0) are left out of the statistics and stay 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask: Option<String>,
}

/// One flag per row (all axes but the last) of `x`: whether the mask keeps it.
fn kept_rows(name: &str, key: &str, x: &ArrayD<f64>, mask: &ArrayD<f64>) -> Result<Vec<bool>> {
    let lead = lead_shape(x.shape());
    if mask.shape() != lead {
        return Err(shape_error(name, key, lead.to_vec(), mask.shape()));
    }
    Ok(mask.iter().map(|&m| m != 0.0).collect())
}

/// `v` for `d` features: as it is, or its single value repeated.
fn per_feature(v: &[f64], d: usize) -> Option<Vec<f64>> {
    match v.len() {
        1 => Some(vec![v[0]; d]),
        n if n == d => Some(v.to_vec()),
        _ => None,
    }
}

impl Standardize {
    /// Mean and standard deviation for `key` with `d` features.
    fn moments(&self, key: &str, shape: &[usize]) -> Result<(Vec<f64>, Vec<f64>)> {
        let name = self.name();
        let Some(&d) = shape.last() else {
            return Err(shape_error(name, key, vec![0], shape));
        };
        if let Some(m) = &self.fixed {
            let mean = per_feature(&m.mean, d);
            let std = per_feature(&m.std, d);
            return match (mean, std) {
                (Some(mean), Some(std)) => Ok((mean, std)),
                _ => Err(shape_error(
                    name,
                    key,
                    vec![m.mean.len().max(m.std.len())],
                    shape,
                )),
            };
        }
        let s = self.stats.get(key).ok_or_else(|| AdapterError::NotFitted {
            transform: name.into(),
            key: key.into(),
        })?;
        if d != s.mean.len() || d != s.m2.len() {
            return Err(shape_error(name, key, vec![s.mean.len()], shape));
        }
        Ok((s.mean.clone(), s.std()))
    }
}

impl Step for Standardize {
    fn name(&self) -> &'static str {
        "standardize"
    }

    fn validate(&self) -> Result<()> {
        for (key, stats) in &self.stats {
            // statistics read from a file: one mean and one m2 per feature, a count ≥ 0
            if stats.m2.len() != stats.mean.len() || !(stats.count >= 0.0) {
                return Err(invalid(
                    self.name(),
                    format!(
                        "the statistics of `{key}` hold {} means, {} squared deviations and a \
                         count of {}: they need one of each per feature and a count ≥ 0",
                        stats.mean.len(),
                        stats.m2.len(),
                        stats.count
                    ),
                ));
            }
        }
        let Some(m) = &self.fixed else { return Ok(()) };
        if m.mean.is_empty() || m.std.is_empty() {
            return Err(invalid(
                self.name(),
                "fixed mean and std need at least one value",
            ));
        }
        if let Some(bad) = m.mean.iter().find(|v| !v.is_finite()) {
            return Err(invalid(
                self.name(),
                format!("fixed mean {bad} is not finite"),
            ));
        }
        if let Some(bad) = m.std.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            return Err(invalid(
                self.name(),
                format!("fixed std {bad} must be finite and positive"),
            ));
        }
        Ok(())
    }

    fn fit(&mut self, data: &Data, merge: bool) -> Result<()> {
        if self.fixed.is_some() {
            return Ok(());
        }
        let mask = self
            .mask
            .as_ref()
            .map(|m| data.f64(self.name(), m))
            .transpose()?;
        for k in &self.keys {
            let x = data.f64(self.name(), k)?;
            let s = match &mask {
                Some(m) => RunningStats::of_rows(k, &x, &kept_rows(self.name(), k, &x, m)?)?,
                None => RunningStats::of(k, &x)?,
            };
            match self.stats.get_mut(k) {
                Some(old) if merge && old.mean.len() == s.mean.len() => old.merge(&s),
                _ => {
                    self.stats.insert(k.clone(), s);
                }
            }
        }
        Ok(())
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        mut ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        let mask = match &self.mask {
            Some(m) if data.get(m).is_some() => Some(data.f64(self.name(), m)?),
            Some(m) if self.keys.iter().any(|k| data.get(k).is_some()) => {
                return Err(data.missing(self.name(), m));
            }
            _ => None,
        };
        for k in &self.keys {
            let x = data.f64(self.name(), k)?;
            let (mean, std) = self.moments(k, x.shape())?;
            let keep = match &mask {
                Some(m) => Some(kept_rows(self.name(), k, &x, m)?),
                None => None,
            };
            let mut y = x.clone();
            for (r, mut lane) in y.lanes_mut(Axis(x.ndim() - 1)).into_iter().enumerate() {
                let padded = keep.as_ref().is_some_and(|k| !k[r]);
                for (j, v) in lane.iter_mut().enumerate() {
                    *v = if padded { 0.0 } else { (*v - mean[j]) / std[j] };
                }
            }
            if let Some(l) = ldj.as_deref_mut() {
                let term: f64 = -std.iter().map(|s| s.ln()).sum::<f64>();
                let lead = lead_shape(x.shape());
                l.add(self.name(), k, ArrayD::from_elem(IxDyn(lead), term))?;
            }
            data.set(k.clone(), y);
        }
        Ok(())
    }

    fn inverse(&self, data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        for k in &self.keys {
            let Some(a) = data.get(k) else { continue };
            let mut x = a.to_f64();
            let (mean, std) = self.moments(k, x.shape())?;
            let last = x.ndim() - 1;
            for mut lane in x.lanes_mut(Axis(last)) {
                for (j, v) in lane.iter_mut().enumerate() {
                    *v = *v * std[j] + mean[j];
                }
            }
            data.set(k.clone(), x);
        }
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(restrict_keys(&mut self.keys, data))
    }
}
