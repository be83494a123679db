//! Simulating from several competing models for model comparison.

use crate::array::Array;
use crate::batch::Batch;
use crate::error::{Result, SimError};
use crate::simulator::Simulator;
use ndarray::{Array1, Array2};
use rand::{Rng, RngCore};

/// Draws each row from one of several simulators, chosen with the given prior model
/// probabilities, and adds `model_indices` (`i64`, `(batch,)`) and `model` (one-hot `f64`,
/// `(batch, models)`).
///
/// Entries every model produces are kept (shapes must agree beyond the batch axis). Entries
/// only some models produce are an error naming them, unless
/// [`ModelComparisonSimulator::drop_model_specific`] is set, which removes them and lists them
/// in [`ModelComparisonSimulator::dropped_keys`].
pub struct ModelComparisonSimulator {
    simulators: Vec<Box<dyn Simulator>>,
    probabilities: Vec<f64>,
    drop_specific: bool,
}

impl std::fmt::Debug for ModelComparisonSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelComparisonSimulator")
            .field("models", &self.simulators.len())
            .field("probabilities", &self.probabilities)
            .finish()
    }
}

impl ModelComparisonSimulator {
    /// Models with equal prior probabilities.
    pub fn new(simulators: Vec<Box<dyn Simulator>>) -> Result<Self> {
        let k = simulators.len();
        Self::with_probabilities(simulators, vec![1.0 / k.max(1) as f64; k])
    }

    /// Models with the given prior probabilities (normalised).
    pub fn with_probabilities(
        simulators: Vec<Box<dyn Simulator>>,
        probabilities: Vec<f64>,
    ) -> Result<Self> {
        let total: f64 = probabilities.iter().sum();
        if simulators.len() < 2
            || probabilities.len() != simulators.len()
            || probabilities.iter().any(|p| !(*p >= 0.0))
            || !(total > 0.0)
        {
            return Err(SimError::invalid(
                "ModelComparisonSimulator",
                format!(
                    "need at least two models and as many non-negative probabilities, got {} models and {probabilities:?}",
                    simulators.len()
                ),
            ));
        }
        Ok(Self {
            simulators,
            probabilities: probabilities.iter().map(|p| p / total).collect(),
            drop_specific: false,
        })
    }

    /// Removes entries that not every model produces instead of failing.
    pub fn drop_model_specific(mut self, drop: bool) -> Self {
        self.drop_specific = drop;
        self
    }

    /// Entries that only some models produce, given one batch of each.
    pub fn dropped_keys(batches: &[Batch]) -> Vec<String> {
        let mut keys: Vec<String> = batches
            .iter()
            .flat_map(|b| b.names().map(String::from).collect::<Vec<_>>())
            .filter(|n| !batches.iter().all(|b| b.contains(n)))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

impl Simulator for ModelComparisonSimulator {
    fn sample(&self, batch_size: usize, rng: &mut dyn RngCore) -> Result<Batch> {
        let k = self.simulators.len();
        let mut indices = Vec::with_capacity(batch_size);
        for _ in 0..batch_size {
            let u: f64 = rng.random();
            let mut acc = 0.0;
            let mut chosen = k - 1;
            for (m, p) in self.probabilities.iter().enumerate() {
                acc += p;
                if u < acc {
                    chosen = m;
                    break;
                }
            }
            indices.push(chosen);
        }
        // one sub-batch per model that was drawn, then rows back in their drawn order
        let mut parts = Vec::new();
        let mut order = Vec::new();
        for m in 0..k {
            let rows: Vec<usize> = (0..batch_size).filter(|&i| indices[i] == m).collect();
            if rows.is_empty() {
                continue;
            }
            parts.push(self.simulators[m].sample(rows.len(), rng)?);
            order.extend(rows);
        }
        let specific = Self::dropped_keys(&parts);
        if !specific.is_empty() && !self.drop_specific {
            return Err(SimError::invalid(
                "ModelComparisonSimulator",
                format!(
                    "entries {specific:?} are produced by only some models; call drop_model_specific(true) to drop them"
                ),
            ));
        }
        for p in &mut parts {
            for key in &specific {
                if p.contains(key) {
                    p.remove(key)?;
                }
            }
        }
        let stacked = Batch::concat(&parts)?;
        let mut inverse = vec![0; batch_size];
        for (position, &row) in order.iter().enumerate() {
            inverse[row] = position;
        }
        let mut out = stacked.select(&inverse)?;
        let idx = Array1::from_iter(indices.iter().map(|&m| m as i64)).into_dyn();
        let mut one_hot = Array2::<f64>::zeros((batch_size, k));
        for (i, &m) in indices.iter().enumerate() {
            one_hot[(i, m)] = 1.0;
        }
        out.insert("model_indices", Array::I64(idx))?;
        out.insert("model", Array::F64(one_hot.into_dyn()))?;
        Ok(out)
    }
}
