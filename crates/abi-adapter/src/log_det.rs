//! Log-det-Jacobian bookkeeping while data flow forward through an adapter.

use crate::error::{AdapterError, Result};
use ndarray::{ArrayD, Axis};
use std::collections::BTreeMap;

/// `ln |det ∂y/∂x|` accumulated per entry, each shaped like its entry without the last axis.
#[derive(Debug, Default)]
pub(crate) struct LogDet {
    map: BTreeMap<String, ArrayD<f64>>,
}

impl LogDet {
    /// Adds a term to the entry's log-det; shapes must agree.
    pub(crate) fn add(&mut self, transform: &str, key: &str, term: ArrayD<f64>) -> Result<()> {
        match self.map.get_mut(key) {
            Some(acc) if acc.shape() == term.shape() => *acc += &term,
            Some(acc) => {
                return Err(AdapterError::Invalid {
                    transform: transform.into(),
                    reason: format!(
                        "log-det-Jacobian of `{key}` has shape {:?}, the new term {:?}",
                        acc.shape(),
                        term.shape()
                    ),
                });
            }
            None => {
                self.map.insert(key.to_string(), term);
            }
        }
        Ok(())
    }

    /// Removes and returns the entry's log-det.
    pub(crate) fn take(&mut self, key: &str) -> Option<ArrayD<f64>> {
        self.map.remove(key)
    }

    /// Sets the entry's log-det, replacing what it had.
    pub(crate) fn put(&mut self, key: &str, ldj: ArrayD<f64>) {
        self.map.insert(key.to_string(), ldj);
    }

    /// Moves the log-det of `from` to `to` (a rename).
    pub(crate) fn rename(&mut self, from: &str, to: &str) {
        if let Some(t) = self.map.remove(from) {
            self.map.insert(to.to_string(), t);
        }
    }

    /// Structural changes that alter the leading shape cannot carry a non-zero log-det: drops
    /// an all-zero one, errors on any other.
    pub(crate) fn reshaped(&mut self, transform: &str, key: &str) -> Result<()> {
        match self.map.remove(key) {
            Some(l) if l.iter().any(|v| *v != 0.0) => Err(AdapterError::Invalid {
                transform: transform.into(),
                reason: format!("cannot carry the log-det-Jacobian of `{key}` through a reshape"),
            }),
            _ => Ok(()),
        }
    }

    /// Selects `indices` along a leading `axis` of the entry's log-det (the entry itself was
    /// indexed the same way along that axis).
    pub(crate) fn select(&mut self, key: &str, axis: usize, indices: &[usize]) {
        if let Some(l) = self.map.get_mut(key) {
            if axis < l.ndim() {
                *l = l.select(Axis(axis), indices);
            }
        }
    }
}
