//! [`Variables`]: which simulator outputs play which role, and the default adapter built from
//! them.

use abi_adapter::Adapter;
use serde::{Deserialize, Serialize};

/// The names of the simulator's outputs by role, BayesFlow's `inference_variables`,
/// `inference_conditions` and `summary_variables`, with an optional padding mask of the
/// summary variables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variables {
    /// What the posterior is over (the parameters).
    pub inference_variables: Vec<String>,
    /// Data and context passed to the inference network directly.
    #[serde(default)]
    pub inference_conditions: Vec<String>,
    /// Data passed through the summary network first (sets, time series).
    #[serde(default)]
    pub summary_variables: Vec<String>,
    /// The mask of padded summary variables (1 real, 0 padding), when data sets vary in size
    /// within a batch.
    #[serde(default)]
    pub summary_mask: Option<String>,
}

impl Variables {
    /// The default adapter: every variable standardised (the summary variables over their
    /// real entries where a mask is given; statistics fitted on the first simulations and
    /// stored), then each role's keys concatenated along the last axis (or renamed, for one
    /// key).
    ///
    /// ```
    /// let vars = abi_workflow::Variables {
    ///     inference_variables: vec!["theta".into()],
    ///     inference_conditions: vec!["x".into()],
    ///     ..Default::default()
    /// };
    /// let adapter = vars.default_adapter();
    /// // one standardisation of both keys, then a rename into each role
    /// assert_eq!(adapter.transforms().len(), 3);
    /// ```
    pub fn default_adapter(&self) -> Adapter {
        let mut adapter = Adapter::new();
        let direct: Vec<&String> = self
            .inference_variables
            .iter()
            .chain(&self.inference_conditions)
            .collect();
        if !direct.is_empty() {
            adapter = adapter.standardize(&direct);
        }
        if !self.summary_variables.is_empty() {
            adapter = match &self.summary_mask {
                Some(mask) => adapter.standardize_masked(&self.summary_variables, mask),
                None => adapter.standardize(&self.summary_variables),
            };
        }
        adapter = into_role(adapter, &self.inference_variables, "inference_variables");
        adapter = into_role(adapter, &self.inference_conditions, "inference_conditions");
        adapter = into_role(adapter, &self.summary_variables, "summary_variables");
        if let Some(mask) = &self.summary_mask {
            adapter = adapter.rename(mask, "summary_mask");
        }
        adapter
    }

    /// Every key named, in role order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.inference_variables
            .iter()
            .chain(&self.inference_conditions)
            .chain(&self.summary_variables)
            .chain(&self.summary_mask)
    }

    /// The keys that condition the posterior: everything but the inference variables.
    pub fn condition_keys(&self) -> impl Iterator<Item = &String> {
        self.inference_conditions
            .iter()
            .chain(&self.summary_variables)
            .chain(&self.summary_mask)
    }
}

fn into_role(adapter: Adapter, keys: &[String], role: &str) -> Adapter {
    match keys {
        [] => adapter,
        [one] => adapter.rename(one, role),
        many => adapter.concatenate(many, role),
    }
}
