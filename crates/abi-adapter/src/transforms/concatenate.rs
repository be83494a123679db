//! `concatenate`: several entries along the last axis into one, and back.

use super::step::{Step, invalid, last_dim, lead_shape, shape_error};
use crate::data::Data;
use crate::error::{AdapterError, Result};
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use ndarray::{ArrayD, Axis, IxDyn, Slice};
use serde::{Deserialize, Serialize};

/// Concatenates entries along the last axis into a new one (the parts are removed); the
/// inverse splits it by the sizes `fit` recorded. The log-dets of the parts add up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concatenate {
    /// Entries, in order.
    pub keys: Vec<String>,
    /// The new entry.
    pub into: String,
    /// Last-axis sizes of the parts, recorded by `fit` for the inverse.
    #[serde(default)]
    pub sizes: Option<Vec<usize>>,
}

impl Step for Concatenate {
    fn name(&self) -> &'static str {
        "concatenate"
    }

    fn validate(&self) -> Result<()> {
        if self.keys.is_empty() {
            return Err(invalid(
                self.name(),
                format!("no entries to concatenate into `{}`", self.into),
            ));
        }
        Ok(())
    }

    fn fit(&mut self, data: &Data, _merge: bool) -> Result<()> {
        let s: Vec<usize> = self
            .keys
            .iter()
            .map(|k| data.f64(self.name(), k).map(|x| last_dim(&x)))
            .collect::<Result<_>>()?;
        self.sizes = Some(s);
        Ok(())
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        let name = self.name();
        let parts: Vec<ArrayD<f64>> = self
            .keys
            .iter()
            .map(|k| data.f64(name, k))
            .collect::<Result<_>>()?;
        let first = parts.first().ok_or_else(|| invalid(name, "no entries"))?;
        if let Some((k, p)) = self.keys.iter().zip(&parts).find(|(_, p)| p.ndim() < 2) {
            return Err(invalid(
                name,
                format!(
                    "`{k}` has shape {:?}, one value per data set: concatenating it along its \
                     last axis would join data sets; give it a trailing axis first \
                     (expand_dims, or the simulator's expand_scalars)",
                    p.shape()
                ),
            ));
        }
        let lead = lead_shape(first.shape()).to_vec();
        for (k, p) in self.keys.iter().zip(&parts) {
            if p.ndim() == 0 || lead_shape(p.shape()) != &lead[..] {
                return Err(shape_error(name, k, first.shape().to_vec(), p.shape()));
            }
        }
        if let Some(s) = &self.sizes {
            let got: Vec<usize> = parts.iter().map(last_dim).collect();
            if *s != got {
                return Err(invalid(
                    name,
                    format!(
                        "parts of `{}` have last-axis sizes {got:?}, fitted {s:?}",
                        self.into
                    ),
                ));
            }
        }
        let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
        let y = ndarray::concatenate(Axis(lead.len()), &views)
            .map_err(|e| invalid(name, e.to_string()))?;
        if let Some(l) = ldj {
            let mut total = ArrayD::<f64>::zeros(IxDyn(&lead));
            for k in &self.keys {
                if let Some(t) = l.take(k) {
                    if t.shape() != total.shape() {
                        return Err(invalid(
                            name,
                            format!(
                                "log-det-Jacobian of `{k}` has shape {:?}, expected {lead:?}",
                                t.shape()
                            ),
                        ));
                    }
                    total += &t;
                }
            }
            l.put(&self.into, total);
        }
        for k in &self.keys {
            data.remove(k);
        }
        data.set(self.into.clone(), y);
        Ok(())
    }

    fn inverse(&self, data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        let Some(a) = data.get(&self.into) else {
            return Ok(());
        };
        let sizes = self.sizes.as_ref().ok_or_else(|| AdapterError::NotFitted {
            transform: self.name().into(),
            key: self.into.clone(),
        })?;
        let x = a.to_f64();
        split_into(self.name(), &self.into, &x, &self.keys, sizes, data)?;
        data.remove(&self.into);
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        match self.keys.iter().find(|k| !data.contains(k)) {
            None => Ok(true),
            Some(_) if self.keys.iter().all(|k| !data.contains(k)) => Ok(false),
            Some(absent) => Err(data.missing(self.name(), absent)),
        }
    }
}

/// Splits `x` (entry `key`) along its last axis into entries `into` of the given `sizes`.
pub(crate) fn split_into(
    transform: &str,
    key: &str,
    x: &ArrayD<f64>,
    into: &[String],
    sizes: &[usize],
    data: &mut Data,
) -> Result<()> {
    // sizes may come from a file: a sum that overflows matches no array
    let total = sizes
        .iter()
        .try_fold(0usize, |t, &s| t.checked_add(s))
        .unwrap_or(usize::MAX);
    if into.len() != sizes.len() || x.ndim() == 0 || last_dim(x) != total {
        return Err(shape_error(transform, key, vec![total], x.shape()));
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
