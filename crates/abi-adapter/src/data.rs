//! [`Data`]: named arrays as they flow through an adapter.

use crate::error::{AdapterError, Result};
use abi_sim::{Array, Batch};
use ndarray::ArrayD;

/// Separates a group's name from its members' names: group `g` is the entries `g/<member>`
/// (see [`Adapter::group`](crate::Adapter::group)).
pub const GROUP_SEPARATOR: &str = "/";

/// Named arrays in order, without the batch-row invariant of a [`Batch`] (an adapter may
/// broadcast, split and reshape on the way to the network roles).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Data {
    entries: Vec<(String, Array)>,
}

impl Data {
    /// No entries.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces an entry.
    pub fn set(&mut self, name: impl Into<String>, array: impl Into<Array>) {
        let name = name.into();
        let array = array.into();
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = array,
            None => self.entries.push((name, array)),
        }
    }

    /// Builder-style [`Data::set`].
    pub fn with(mut self, name: impl Into<String>, array: impl Into<Array>) -> Self {
        self.set(name, array);
        self
    }

    pub(crate) fn missing(&self, transform: &str, key: &str) -> AdapterError {
        AdapterError::MissingKey {
            transform: transform.to_string(),
            key: key.to_string(),
            available: self.names().map(String::from).collect(),
        }
    }

    /// The entry of that name.
    pub fn get(&self, name: &str) -> Option<&Array> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }

    /// The entry as `f64` (converted from other element types), or a missing-key error naming
    /// the transform.
    pub fn f64(&self, transform: &str, name: &str) -> Result<ArrayD<f64>> {
        self.get(name)
            .map(Array::to_f64)
            .ok_or_else(|| self.missing(transform, name))
    }

    /// Removes an entry.
    pub fn remove(&mut self, name: &str) -> Option<Array> {
        let i = self.entries.iter().position(|(n, _)| n == name)?;
        Some(self.entries.remove(i).1)
    }

    /// Whether an entry of that name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Names in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Array)> {
        self.entries.iter().map(|(n, a)| (n.as_str(), a))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The members of group `name` (the entries `name/<member>`), named by member, in order;
    /// empty when there is no such group. A fusion network takes its inputs from here.
    pub fn group(&self, name: &str) -> Data {
        let prefix = format!("{name}{GROUP_SEPARATOR}");
        Data {
            entries: self
                .entries
                .iter()
                .filter_map(|(n, a)| {
                    n.strip_prefix(&prefix)
                        .filter(|m| !m.is_empty())
                        .map(|m| (m.to_string(), a.clone()))
                })
                .collect(),
        }
    }

    /// The member names of group `name`, in order.
    pub(crate) fn group_members(&self, name: &str) -> Vec<String> {
        let prefix = format!("{name}{GROUP_SEPARATOR}");
        self.names()
            .filter_map(|n| n.strip_prefix(&prefix).filter(|m| !m.is_empty()))
            .map(String::from)
            .collect()
    }

    /// Keeps only the named entries (in their current order).
    pub(crate) fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.entries.retain(|(n, _)| keep(n));
    }
}

impl From<&Batch> for Data {
    fn from(b: &Batch) -> Self {
        Data {
            entries: b.iter().map(|(n, a)| (n.to_string(), a.clone())).collect(),
        }
    }
}

impl From<Batch> for Data {
    fn from(b: Batch) -> Self {
        Data::from(&b)
    }
}
