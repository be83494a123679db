//! [`ConditionLayout`]: which roles make up the inference network's conditions, and building
//! the condition tensor from adapted data.

use crate::error::{ApproxError, Result};
use crate::roles::{
    INFERENCE_CONDITIONS, SUMMARY_MASK, SUMMARY_VARIABLES, check_finite, required, role_array,
    to_tensor,
};
use abi_adapter::{Data, GROUP_SEPARATOR};
use abi_nets::summary::{SummaryNetwork, SummarySource};
use abi_tensor::{Backend, Tensor};
use ndarray::{ArrayD, Axis, Slice};
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// The shapes of the condition roles: the width of `inference_conditions` and the shape of one
/// data set of `summary_variables` (without the batch axis), or, for multi-source data, the
/// members of the group `summary_variables/<source>` and their shapes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ConditionLayout {
    /// Width of `inference_conditions` (0 when absent).
    pub condition_dim: usize,
    /// Shape of one data set of `summary_variables`, when present.
    pub summary_shape: Option<Vec<usize>>,
    /// The sources of grouped summary variables (`summary_variables/<name>`) with the shape
    /// of one data set each, in the adapter's order; empty for a single input.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub summary_sources: Vec<(String, Vec<usize>)>,
}

impl ConditionLayout {
    /// Reads the layout from adapted data.
    pub fn of(roles: &Data) -> Result<Self> {
        let condition_dim = match role_array(roles, INFERENCE_CONDITIONS) {
            Some(c) if c.ndim() == 2 => c.shape()[1],
            Some(c) => {
                return Err(ApproxError::RoleShape {
                    role: INFERENCE_CONDITIONS.into(),
                    got: c.shape().to_vec(),
                    expected: "(batch, k); use expand_dims or concatenate".into(),
                });
            }
            None => 0,
        };
        let summary_shape = roles
            .get(SUMMARY_VARIABLES)
            .map(|s| s.shape()[1..].to_vec());
        let summary_sources = if summary_shape.is_some() {
            Vec::new()
        } else {
            roles
                .group(SUMMARY_VARIABLES)
                .iter()
                .map(|(name, a)| (name.to_string(), a.shape()[1..].to_vec()))
                .collect()
        };
        Ok(Self {
            condition_dim,
            summary_shape,
            summary_sources,
        })
    }

    /// Whether there is an input for a summary network (one or several sources).
    pub fn has_summary_input(&self) -> bool {
        self.summary_shape.is_some() || !self.summary_sources.is_empty()
    }

    /// The summary network's sources with their shapes: the single input (named `""`) or
    /// the grouped ones; `None` without summary variables.
    pub fn summary_source_shapes(&self) -> Option<Vec<(String, Vec<usize>)>> {
        match &self.summary_shape {
            Some(shape) => Some(vec![(String::new(), shape.clone())]),
            None if !self.summary_sources.is_empty() => Some(self.summary_sources.clone()),
            None => None,
        }
    }

    /// Rows (data sets) of the condition roles in `roles`, or `None` when there are none.
    pub fn rows(roles: &Data) -> Option<usize> {
        [INFERENCE_CONDITIONS, SUMMARY_VARIABLES]
            .iter()
            .find_map(|r| roles.get(r).and_then(|a| a.shape().first().copied()))
            .or_else(|| {
                let group = roles.group(SUMMARY_VARIABLES);
                let first = group.iter().next();
                first.and_then(|(_, a)| a.shape().first().copied())
            })
    }

    /// The summaries of rows `range` (all for `None`): `net` on `summary_variables` (with
    /// `summary_mask`), or on the sources `summary_variables/<name>` (with masks
    /// `summary_mask/<name>`); in training mode when `rng` is given.
    pub fn summaries<B: Backend>(
        &self,
        roles: &Data,
        range: Option<(usize, usize)>,
        net: &dyn SummaryNetwork<B>,
        rng: Option<&mut dyn RngCore>,
        device: &B::Device,
    ) -> Result<Tensor<B>> {
        if self.summary_sources.is_empty() {
            let (x, mask) = Self::summary_input::<B>(roles, range, device)?;
            return Ok(match rng {
                Some(r) => net.summarize_train(&x, mask.as_ref(), r)?,
                None => net.summarize(&x, mask.as_ref())?,
            });
        }
        let inputs = self
            .summary_sources
            .iter()
            .map(|(name, _)| {
                let x_role = format!("{SUMMARY_VARIABLES}{GROUP_SEPARATOR}{name}");
                let mask_role = format!("{SUMMARY_MASK}{GROUP_SEPARATOR}{name}");
                let (x, mask) = Self::input_of::<B>(roles, &x_role, &mask_role, range, device)?;
                Ok((name.as_str(), x, mask))
            })
            .collect::<Result<Vec<_>>>()?;
        let sources: Vec<SummarySource<'_, B>> = inputs
            .iter()
            .map(|(name, x, mask)| SummarySource {
                name,
                x,
                mask: mask.as_ref(),
            })
            .collect();
        Ok(net.summarize_sources(&sources, rng)?)
    }

    /// The conditions for rows `range` (all rows for `None`) of adapted data: the summaries
    /// of `summary_variables` next to `inference_conditions`; `None` for an unconditional
    /// model. Shapes and values are checked, naming the role.
    pub fn assemble<B: Backend>(
        &self,
        roles: &Data,
        range: Option<(usize, usize)>,
        summary: Option<&dyn SummaryNetwork<B>>,
        device: &B::Device,
    ) -> Result<Option<Tensor<B>>> {
        let summaries = match summary {
            Some(net) => Some(self.summaries(roles, range, net, None, device)?),
            None => None,
        };
        self.join(roles, range, summaries, device)
    }

    /// The conditions from summaries computed by the caller (e.g. in training mode) followed
    /// by `inference_conditions` for rows `range`.
    pub fn join<B: Backend>(
        &self,
        roles: &Data,
        range: Option<(usize, usize)>,
        summaries: Option<Tensor<B>>,
        device: &B::Device,
    ) -> Result<Option<Tensor<B>>> {
        let slice = |a: ArrayD<f64>| match range {
            Some((s, e)) => a.slice_axis(Axis(0), Slice::from(s..e)).to_owned(),
            None => a,
        };
        let mut parts = Vec::with_capacity(2);
        parts.extend(summaries);
        if self.condition_dim > 0 {
            let c = required(
                roles,
                INFERENCE_CONDITIONS,
                "the approximator was built with inference conditions",
            )?;
            if c.ndim() != 2 || c.shape()[1] != self.condition_dim {
                return Err(ApproxError::RoleShape {
                    role: INFERENCE_CONDITIONS.into(),
                    got: c.shape().to_vec(),
                    expected: format!("(batch, {})", self.condition_dim),
                });
            }
            check_finite(INFERENCE_CONDITIONS, &c)?;
            parts.push(to_tensor::<B>(&slice(c), device)?);
        }
        Ok(match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Tensor::cat(&parts, 1)?),
        })
    }
}

impl ConditionLayout {
    /// The summary network's input for rows `range` (all for `None`): `summary_variables`
    /// and, for padded data, `summary_mask`, checked for shape and finite values.
    pub fn summary_input<B: Backend>(
        roles: &Data,
        range: Option<(usize, usize)>,
        device: &B::Device,
    ) -> Result<(Tensor<B>, Option<Tensor<B>>)> {
        Self::input_of::<B>(roles, SUMMARY_VARIABLES, SUMMARY_MASK, range, device)
    }

    /// Role `x_role` and its optional mask `mask_role` for rows `range`, checked.
    fn input_of<B: Backend>(
        roles: &Data,
        x_role: &str,
        mask_role: &str,
        range: Option<(usize, usize)>,
        device: &B::Device,
    ) -> Result<(Tensor<B>, Option<Tensor<B>>)> {
        let slice = |a: ArrayD<f64>| match range {
            Some((s, e)) => a.slice_axis(Axis(0), Slice::from(s..e)).to_owned(),
            None => a,
        };
        let x = required(
            roles,
            x_role,
            "the approximator was built with a summary network",
        )?;
        check_finite(x_role, &x)?;
        let mask = match role_array(roles, mask_role) {
            Some(m) => {
                if m.ndim() < 2 || m.ndim() >= x.ndim() || x.shape()[..m.ndim()] != m.shape()[..] {
                    return Err(ApproxError::RoleShape {
                        role: mask_role.into(),
                        got: m.shape().to_vec(),
                        expected: format!(
                            "the leading axes of {x_role} {:?}, without the last",
                            x.shape()
                        ),
                    });
                }
                Some(to_tensor::<B>(&slice(m), device)?)
            }
            None => None,
        };
        Ok((to_tensor::<B>(&slice(x), device)?, mask))
    }
}

/// The `(batch, dim)` tensor of role `role`, checked for its width and for finite values.
pub fn variables<B: Backend>(
    roles: &Data,
    role: &str,
    dim: usize,
    hint: &str,
    device: &B::Device,
) -> Result<Tensor<B>> {
    let v = required(roles, role, hint)?;
    if v.ndim() != 2 || v.shape()[1] != dim {
        return Err(ApproxError::RoleShape {
            role: role.into(),
            got: v.shape().to_vec(),
            expected: format!("(batch, {dim})"),
        });
    }
    check_finite(role, &v)?;
    to_tensor::<B>(&v, device)
}
