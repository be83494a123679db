//! [`Batch`]: named arrays sharing a first (batch) axis.

use crate::array::Array;
use crate::error::{Result, SimError};
use ndarray::ArrayD;
use std::fmt;

/// An ordered map of named arrays whose first axis is the batch (one row per simulation).
///
/// Names are unique and every entry has the same number of rows; both are checked on insert.
///
/// ```
/// use abi_sim::Batch;
/// use ndarray::{ArrayD, IxDyn};
/// let mut b = Batch::new();
/// b.insert("theta", ArrayD::<f64>::zeros(IxDyn(&[4, 2]))).unwrap();
/// b.insert("x", ArrayD::<f64>::zeros(IxDyn(&[4, 10, 3]))).unwrap();
/// assert_eq!(b.batch_size(), Some(4));
/// assert!(b.insert("n", ArrayD::<f64>::zeros(IxDyn(&[3]))).is_err()); // 3 rows, not 4
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    entries: Vec<(String, Array)>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an entry; its first axis must match the other entries'.
    pub fn insert(&mut self, name: impl Into<String>, array: impl Into<Array>) -> Result<()> {
        let name = name.into();
        let array = array.into();
        if self.contains(&name) {
            return Err(SimError::Duplicate(name));
        }
        if array.shape().is_empty() {
            return Err(SimError::Shape {
                name,
                expected: vec![self.batch_size().unwrap_or(0)],
                got: vec![],
                context: "an entry needs a batch axis".into(),
            });
        }
        if let Some(rows) = self.batch_size() {
            if array.rows() != rows {
                return Err(SimError::BatchSize {
                    name,
                    expected: rows,
                    got: array.rows(),
                });
            }
        }
        self.entries.push((name, array));
        Ok(())
    }

    /// Replaces an entry (or adds it) with the same row check as [`Batch::insert`].
    pub fn set(&mut self, name: impl Into<String>, array: impl Into<Array>) -> Result<()> {
        let name = name.into();
        let position = self.entries.iter().position(|(n, _)| *n == name);
        match position {
            Some(i) => {
                let old = self.entries.remove(i);
                if let Err(e) = self.insert(name, array) {
                    self.entries.insert(i, old);
                    return Err(e);
                }
                // move the new entry (appended last) back to the old position
                self.entries[i..].rotate_right(1);
                Ok(())
            }
            None => self.insert(name, array),
        }
    }

    /// Removes and returns an entry.
    pub fn remove(&mut self, name: &str) -> Result<Array> {
        match self.entries.iter().position(|(n, _)| n == name) {
            Some(i) => Ok(self.entries.remove(i).1),
            None => Err(self.missing(name)),
        }
    }

    fn missing(&self, name: &str) -> SimError {
        SimError::MissingKey {
            name: name.to_string(),
            available: self.names().map(String::from).collect(),
        }
    }

    /// Whether an entry of that name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.iter().any(|(n, _)| n == name)
    }

    /// The entry of that name.
    pub fn get(&self, name: &str) -> Result<&Array> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a)
            .ok_or_else(|| self.missing(name))
    }

    /// The `f64` entry of that name (an error for other element types).
    pub fn f64(&self, name: &str) -> Result<&ArrayD<f64>> {
        match self.get(name)? {
            Array::F64(a) => Ok(a),
            other => Err(SimError::DType {
                name: name.into(),
                wanted: "f64",
                found: other.dtype(),
            }),
        }
    }

    /// The names in insertion order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    /// The entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Array)> {
        self.entries.iter().map(|(n, a)| (n.as_str(), a))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the batch has no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Rows of every entry (`None` while empty).
    pub fn batch_size(&self) -> Option<usize> {
        self.entries.first().map(|(_, a)| a.rows())
    }

    /// The rows `start..end`.
    pub fn slice(&self, start: usize, end: usize) -> Result<Batch> {
        let rows = self.batch_size().unwrap_or(0);
        if start > end || end > rows {
            return Err(SimError::invalid(
                "Batch::slice",
                format!("rows {start}..{end} outside a batch of {rows}"),
            ));
        }
        Ok(Batch {
            entries: self
                .entries
                .iter()
                .map(|(n, a)| (n.clone(), a.slice_rows(start, end)))
                .collect(),
        })
    }

    /// The given rows (in that order, repeats allowed).
    pub fn select(&self, rows: &[usize]) -> Result<Batch> {
        let n = self.batch_size().unwrap_or(0);
        if let Some(&bad) = rows.iter().find(|&&r| r >= n) {
            return Err(SimError::invalid(
                "Batch::select",
                format!("row {bad} outside a batch of {n}"),
            ));
        }
        Ok(Batch {
            entries: self
                .entries
                .iter()
                .map(|(name, a)| (name.clone(), a.select_rows(rows)))
                .collect(),
        })
    }

    /// Concatenates batches with the same names, shapes and element types along the batch.
    pub fn concat(batches: &[Batch]) -> Result<Batch> {
        let Some(first) = batches.first() else {
            return Ok(Batch::new());
        };
        let mut out = Batch::new();
        for (name, _) in &first.entries {
            let parts: Vec<&Array> = batches.iter().map(|b| b.get(name)).collect::<Result<_>>()?;
            out.insert(name.clone(), Array::concat(name, &parts)?)?;
        }
        for b in batches {
            if b.len() != first.len() {
                let extra = b.names().find(|n| !first.contains(n)).unwrap_or_default();
                return Err(SimError::invalid(
                    "Batch::concat",
                    format!("batches hold different entries (e.g. `{extra}`)"),
                ));
            }
        }
        Ok(out)
    }

    /// Checks every entry's row count (useful after building a batch by hand).
    pub fn validate(&self) -> Result<()> {
        let Some(rows) = self.batch_size() else {
            return Ok(());
        };
        for (i, (name, a)) in self.entries.iter().enumerate() {
            if a.rows() != rows {
                return Err(SimError::BatchSize {
                    name: name.clone(),
                    expected: rows,
                    got: a.rows(),
                });
            }
            if self.entries[..i].iter().any(|(n, _)| n == name) {
                return Err(SimError::Duplicate(name.clone()));
            }
        }
        Ok(())
    }

    /// Names, shapes and element types, one line per entry.
    pub fn summary(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.names().map(str::len).max().unwrap_or(0);
        for (name, a) in self.iter() {
            writeln!(f, "{name:<width$}  {:<4} {:?}", a.dtype(), a.shape())?;
        }
        Ok(())
    }
}
