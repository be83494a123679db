//! [`Adapter`]: the ordered pipeline, fitting, and the forward and inverse passes.

use crate::data::Data;
use crate::error::{AdapterError, Result};
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use crate::transforms::step::lead_shape;
use crate::transforms::{CustomTransform, Transform};
use ndarray::{ArrayD, IxDyn};
use std::sync::Arc;

/// An ordered, serialisable pipeline of named transforms from simulations to the network roles
/// (`inference_variables`, `inference_conditions`, `summary_variables`, ...) and back.
///
/// Build it with BayesFlow's vocabulary; [`Adapter::fit`] learns standardisation statistics
/// and split sizes from training data; [`Adapter::forward`] maps data to roles;
/// [`Adapter::inverse`] maps network samples back to named parameters in their original
/// space; [`Adapter::forward_with_log_det`] also gives the density correction of the forward
/// map from the same pass.
///
/// ```
/// use abi_adapter::Adapter;
/// use abi_sim::Batch;
/// use ndarray::{ArrayD, IxDyn};
///
/// let mut batch = Batch::new();
/// batch.insert("mu", ArrayD::from_shape_vec(IxDyn(&[2, 1]), vec![0.5, -0.5]).unwrap())?;
/// batch.insert("sigma", ArrayD::from_shape_vec(IxDyn(&[2, 1]), vec![1.0, 2.0]).unwrap())?;
/// let mut adapter = Adapter::new()
///     .constrain(&["sigma"], Some(0.0), None)
///     .concatenate(&["mu", "sigma"], "inference_variables");
/// adapter.fit(&batch)?;
/// let (roles, log_det) = adapter.forward_with_log_det(&batch, "inference_variables")?;
/// assert_eq!(roles.get("inference_variables").unwrap().shape(), &[2, 2]);
/// assert_eq!(log_det.shape(), &[2]);
/// let back = adapter.inverse(&roles)?;
/// let sigma = back.f64("inverse", "sigma")?;
/// assert!((sigma[[1, 0]] - 2.0).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct Adapter {
    pub(crate) transforms: Vec<Transform>,
    pub(crate) custom: CustomRegistry,
}

impl std::fmt::Debug for Adapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Adapter")
            .field("transforms", &self.transforms)
            .field("custom", &self.custom.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Adapter {
    /// An empty pipeline.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a transform.
    pub fn push(mut self, t: Transform) -> Self {
        self.transforms.push(t);
        self
    }

    /// The transforms in order.
    pub fn transforms(&self) -> &[Transform] {
        &self.transforms
    }

    /// Registers the function of a custom transform (after loading a saved adapter).
    pub fn register(&mut self, name: &str, f: impl CustomTransform + 'static) {
        self.custom.insert(name.to_string(), Arc::new(f));
    }

    /// Names of the custom transforms whose function is not registered, in pipeline order,
    /// each once. A loaded adapter that uses custom functions lists them all here until they
    /// are registered again; using it before fails with
    /// [`AdapterError::UnregisteredCustom`] naming the first one the data reach.
    pub fn missing_custom(&self) -> Vec<String> {
        let mut missing: Vec<String> = Vec::new();
        for t in &self.transforms {
            if let Transform::Custom(c) = t {
                if !self.custom.contains_key(&c.name) && !missing.contains(&c.name) {
                    missing.push(c.name.clone());
                }
            }
        }
        missing
    }

    /// Checks the parameters of every transform (ordered bounds, a non-zero scale, positive
    /// fixed standard deviations, ...); [`Adapter::from_json`] runs it on what it loads, and
    /// every pass runs each transform's check before using it.
    pub fn validate(&self) -> Result<()> {
        self.transforms.iter().try_for_each(Transform::validate)
    }

    fn run(&self, data: &mut Data, mut ldj: Option<&mut LogDet>) -> Result<()> {
        for t in &self.transforms {
            t.validate()?;
            t.forward(data, &self.custom, ldj.as_deref_mut())?;
        }
        Ok(())
    }

    /// Learns statistics and sizes from (training) data, replacing earlier ones.
    pub fn fit(&mut self, data: impl Into<Data>) -> Result<()> {
        self.fit_impl(data.into(), false)
    }

    /// Merges statistics of more data into those held (running standardisation).
    pub fn partial_fit(&mut self, data: impl Into<Data>) -> Result<()> {
        self.fit_impl(data.into(), true)
    }

    fn fit_impl(&mut self, mut data: Data, merge: bool) -> Result<()> {
        for t in self.transforms.iter_mut() {
            t.validate()?;
            t.fit(&data, merge)?;
            t.forward(&mut data, &self.custom, None)?;
        }
        Ok(())
    }

    /// Maps data (a `Batch` or [`Data`]) through the pipeline.
    pub fn forward(&self, data: impl Into<Data>) -> Result<Data> {
        let mut d = data.into();
        self.run(&mut d, None)?;
        Ok(d)
    }

    /// Maps data through the pipeline and gives, from the same pass, `ln |det ∂y/∂x|` of the
    /// forward map for the output entry `key` (typically `inference_variables`), shaped like
    /// that entry without its last axis (one value per data set). The density of the original
    /// variables is `p_x(x) = p_y(y) · exp(log_det)`. The outputs equal those of
    /// [`Adapter::forward`]; a reshape that cannot carry a non-zero log-det (e.g. a broadcast
    /// of a constrained entry) is an error here only.
    pub fn forward_with_log_det(
        &self,
        data: impl Into<Data>,
        key: &str,
    ) -> Result<(Data, ArrayD<f64>)> {
        let mut d = data.into();
        let mut ldj = LogDet::default();
        self.run(&mut d, Some(&mut ldj))?;
        let out = d
            .get(key)
            .ok_or_else(|| d.missing("log_det_jacobian", key))?;
        let lead = lead_shape(out.shape()).to_vec();
        let l = ldj.take(key).unwrap_or_else(|| ArrayD::zeros(IxDyn(&lead)));
        if l.shape() != lead.as_slice() {
            return Err(AdapterError::Shape {
                transform: "log_det_jacobian".into(),
                key: key.into(),
                expected: lead,
                got: l.shape().to_vec(),
            });
        }
        Ok((d, l))
    }

    /// `ln |det ∂y/∂x|` of the forward map for the output entry `key`: the log-det of
    /// [`Adapter::forward_with_log_det`] without its data. Callers that also need the outputs
    /// should call that instead, which runs the pipeline once for both.
    pub fn log_det_jacobian(&self, data: impl Into<Data>, key: &str) -> Result<ArrayD<f64>> {
        self.forward_with_log_det(data, key).map(|(_, l)| l)
    }

    /// Maps data through the pipeline skipping what it lacks (BayesFlow's `strict=False`):
    /// transforms act on the entries present and are skipped when all their inputs are absent,
    /// so conditions alone (without parameters) map to `inference_conditions` /
    /// `summary_variables` at inference time.
    pub fn forward_available(&self, data: impl Into<Data>) -> Result<Data> {
        let mut d = data.into();
        for t in &self.transforms {
            t.validate()?;
            if let Some(t) = t.restricted_to(&d)? {
                t.forward(&mut d, &self.custom, None)?;
            }
        }
        Ok(d)
    }

    /// Maps network outputs back through the inverse of every invertible transform, in reverse
    /// order. Transforms act on the last axis, so extra leading axes (e.g. posterior draws
    /// `(batch, draws, dim)`) pass through.
    pub fn inverse(&self, data: &Data) -> Result<Data> {
        let mut d = data.clone();
        for t in self.transforms.iter().rev() {
            t.validate()?;
            t.inverse(&mut d, &self.custom)?;
        }
        Ok(d)
    }
}
