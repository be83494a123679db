//! `broadcast`: repeating one-row entries (context scalars) to a batch size.

use super::step::{Step, restrict_keys, shape_error};
use crate::data::Data;
use crate::error::Result;
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use ndarray::{ArrayD, IxDyn};
use serde::{Deserialize, Serialize};

/// Repeats entries with one row (or scalars) to the batch size (first axis) of `to`; entries
/// that already have that many rows pass. Not invertible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Broadcast {
    /// Entries.
    pub keys: Vec<String>,
    /// The entry whose first axis gives the batch size.
    pub to: String,
}

impl Step for Broadcast {
    fn name(&self) -> &'static str {
        "broadcast"
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        mut ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        let name = self.name();
        let rows = data
            .get(&self.to)
            .ok_or_else(|| data.missing(name, &self.to))?
            .shape()
            .first()
            .copied()
            .unwrap_or(1);
        for k in &self.keys {
            let x = data.f64(name, k)?;
            let y = match x.shape().first() {
                None => ArrayD::from_elem(IxDyn(&[rows]), x.iter().copied().next().unwrap_or(0.0)),
                Some(&r) if r == rows => continue,
                Some(1) => {
                    let mut shape = x.shape().to_vec();
                    shape[0] = rows;
                    x.broadcast(IxDyn(&shape))
                        .ok_or_else(|| shape_error(name, k, shape.clone(), x.shape()))?
                        .to_owned()
                }
                Some(_) => return Err(shape_error(name, k, vec![rows], x.shape())),
            };
            if let Some(l) = ldj.as_deref_mut() {
                l.reshaped(name, k)?;
            }
            data.set(k.clone(), y);
        }
        Ok(())
    }

    fn inverse(&self, _data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(data.contains(&self.to) && restrict_keys(&mut self.keys, data))
    }
}
