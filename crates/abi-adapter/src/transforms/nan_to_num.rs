//! `nan_to_num`: missing values (NaN) replaced by a number, optionally with a mask entry.

use super::step::{Step, invalid, restrict_keys, shape_error};
use crate::data::Data;
use crate::error::Result;
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use serde::{Deserialize, Serialize};

/// The name of the mask entry [`NanToNum`] writes for `key`: `mask_<key>`.
pub fn nan_mask_key(key: &str) -> String {
    format!("mask_{key}")
}

fn default_value() -> f64 {
    0.0
}

/// Replaces NaN (missing data) with `value`. With `mask`, also writes an entry
/// [`nan_mask_key`]`(key)` of the same shape holding 1 where a value was observed and 0 where
/// it was missing (Wang et al. 2024, missing data in amortised inference); the inverse then
/// puts the NaNs back and removes the mask. Without a mask the inverse passes values through.
/// Observed values are unchanged, so the log-det is 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NanToNum {
    /// Entries.
    pub keys: Vec<String>,
    /// The number that replaces NaN (default 0).
    #[serde(default = "default_value", with = "crate::float::exact")]
    pub value: f64,
    /// Whether to write the 0/1 mask entries.
    #[serde(default)]
    pub mask: bool,
}

impl Step for NanToNum {
    fn name(&self) -> &'static str {
        "nan_to_num"
    }

    fn validate(&self) -> Result<()> {
        if self.value.is_nan() {
            return Err(invalid(self.name(), "the replacement value is NaN"));
        }
        Ok(())
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        _ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        for k in &self.keys {
            let x = data.f64(self.name(), k)?;
            if self.mask {
                let m = nan_mask_key(k);
                if data.contains(&m) {
                    return Err(invalid(
                        self.name(),
                        format!("the mask entry `{m}` of `{k}` already exists"),
                    ));
                }
                data.set(m, x.mapv(|v| if v.is_nan() { 0.0 } else { 1.0 }));
            }
            data.set(
                k.clone(),
                x.mapv(|v| if v.is_nan() { self.value } else { v }),
            );
        }
        Ok(())
    }

    fn inverse(&self, data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        if !self.mask {
            return Ok(());
        }
        for k in &self.keys {
            let m = nan_mask_key(k);
            let (Some(a), Some(mask)) = (data.get(k), data.get(&m)) else {
                continue;
            };
            let (mut x, mask) = (a.to_f64(), mask.to_f64());
            if x.shape() != mask.shape() {
                return Err(shape_error(
                    self.name(),
                    &m,
                    x.shape().to_vec(),
                    mask.shape(),
                ));
            }
            x.zip_mut_with(&mask, |v, m| {
                if *m == 0.0 {
                    *v = f64::NAN;
                }
            });
            data.set(k.clone(), x);
            data.remove(&m);
        }
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(restrict_keys(&mut self.keys, data))
    }
}
