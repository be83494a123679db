//! Named parameters as flat points and back: MCMC moves points `(m, dim)` while the adapter
//! and the networks see a [`Batch`] of named arrays.

use crate::error::{ApproxError, Result};
use abi_sim::Batch;
use ndarray::{Array2, ArrayD, ArrayView2, IxDyn};
use serde::{Deserialize, Serialize};

/// One named parameter array and the shape of one draw of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterKey {
    /// The key in a simulation batch.
    pub name: String,
    /// The shape of one draw (after the batch axis), `[]` for a scalar.
    pub shape: Vec<usize>,
}

impl ParameterKey {
    fn width(&self) -> usize {
        // saturating: a shape read from a file that overflows matches no network's width
        self.shape.iter().fold(1usize, |w, &d| w.saturating_mul(d))
    }
}

/// Where each named parameter sits in a flat point: the keys in order, each flattened
/// row-major.
///
/// ```
/// use abi_approx::parts::parameters::ParameterLayout;
/// use abi_sim::Batch;
/// let mut batch = Batch::new();
/// batch.insert("theta", ndarray::array![[1.0, 2.0], [3.0, 4.0]].into_dyn()).unwrap();
/// let layout = ParameterLayout::of(&batch, &["theta"]).unwrap();
/// assert_eq!(layout.dim(), 2);
/// let points = layout.to_points(&batch).unwrap();
/// let again = layout.to_batch(points.view(), 1).unwrap();
/// assert_eq!(again.f64("theta").unwrap(), batch.f64("theta").unwrap());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterLayout {
    /// The parameters in order.
    pub keys: Vec<ParameterKey>,
}

impl ParameterLayout {
    /// The layout of the keys `names` as they are shaped in `batch`; an error for a missing
    /// key or for no keys.
    pub fn of(batch: &Batch, names: &[&str]) -> Result<Self> {
        if names.is_empty() {
            return Err(ApproxError::Config(
                "name at least one parameter key".into(),
            ));
        }
        let keys = names
            .iter()
            .map(|&name| {
                let shape = batch.get(name)?.shape()[1..].to_vec();
                Ok(ParameterKey {
                    name: name.to_string(),
                    shape,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { keys })
    }

    /// Width of a flat point.
    pub fn dim(&self) -> usize {
        self.keys
            .iter()
            .fold(0usize, |d, k| d.saturating_add(k.width()))
    }

    /// The parameters of `batch` as flat points `(rows, dim)`.
    pub fn to_points(&self, batch: &Batch) -> Result<Array2<f64>> {
        let rows = batch.batch_size().unwrap_or(0);
        let mut out = Array2::zeros((rows, self.dim()));
        let mut offset = 0;
        for key in &self.keys {
            let a = batch.get(&key.name)?.to_f64();
            if a.shape()[1..] != key.shape[..] {
                return Err(ApproxError::RoleShape {
                    role: key.name.clone(),
                    got: a.shape().to_vec(),
                    expected: format!("(rows, {:?})", key.shape),
                });
            }
            let w = key.width();
            let flat = a
                .into_shape_with_order((rows, w))
                .map_err(|e| ApproxError::Config(e.to_string()))?;
            out.slice_mut(ndarray::s![.., offset..offset + w])
                .assign(&flat);
            offset += w;
        }
        Ok(out)
    }

    /// Flat points `(m, dim)` as a batch of named arrays with `m · repeat` rows: every point
    /// repeated `repeat` times in a row (to pair it with each of `repeat` trials).
    pub fn to_batch(&self, points: ArrayView2<'_, f64>, repeat: usize) -> Result<Batch> {
        self.shaped(points, &[points.nrows() * repeat], repeat)
    }

    /// Flat points `(n, dim)` as the draws of one data set: named arrays `(1, n, ...)`, the
    /// shape the approximators' `sample` returns.
    pub fn to_draws(&self, points: ArrayView2<'_, f64>) -> Result<Batch> {
        self.shaped(points, &[1, points.nrows()], 1)
    }

    fn shaped(&self, points: ArrayView2<'_, f64>, lead: &[usize], repeat: usize) -> Result<Batch> {
        if points.ncols() != self.dim() {
            return Err(ApproxError::RoleShape {
                role: "parameters".into(),
                got: points.shape().to_vec(),
                expected: format!("(points, {})", self.dim()),
            });
        }
        let mut batch = Batch::new();
        let mut offset = 0;
        for key in &self.keys {
            let w = key.width();
            let mut values: Vec<f64> = Vec::with_capacity(points.nrows() * repeat * w);
            for row in points.rows() {
                let part = row.slice(ndarray::s![offset..offset + w]);
                for _ in 0..repeat {
                    values.extend(part.iter());
                }
            }
            let shape: Vec<usize> = lead.iter().chain(&key.shape).copied().collect();
            let a = ArrayD::from_shape_vec(IxDyn(&shape), values)
                .map_err(|e| ApproxError::Config(e.to_string()))?;
            batch.insert(key.name.clone(), a)?;
            offset += w;
        }
        Ok(batch)
    }
}
