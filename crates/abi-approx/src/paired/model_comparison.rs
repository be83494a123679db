//! The model-comparison kind: a classifier of which model simulated a data set.

use super::model_classifier::ModelClassifierConfig;
use super::{PairKind, PairedApproximator};
use crate::continuous::ApproximatorSpec;
use crate::error::{ApproxError, Result};
use crate::parts::parameters::ParameterLayout;
use abi_nets::{InferenceConfig, NetworkSpec, Registry};
use abi_sim::Batch;
use abi_tensor::Backend;
use ndarray::{Array2, ArrayD, IxDyn};

/// The [`PairKind`] of amortized model comparison.
#[derive(Debug, Clone, Copy)]
pub struct ModelComparison;

impl PairKind for ModelComparison {
    const KIND: &'static str = "model_comparison";

    fn default_network() -> NetworkSpec {
        NetworkSpec::new(ModelClassifierConfig::NAME)
    }

    fn registry<B: Backend>(registry: &Registry<B>) -> Result<Registry<B>> {
        super::with_network::<B, ModelClassifierConfig>(registry)
    }

    fn check(spec: &ApproximatorSpec, parameters: &ParameterLayout) -> Result<()> {
        let one_hot = parameters.keys.len() == 1 && parameters.keys[0].shape.len() == 1;
        if !one_hot || spec.inference_dim != parameters.dim() {
            return Err(ApproxError::Config(format!(
                "model comparison needs one one-hot model key (batch, models) mapped to \
                 inference_variables, got keys {:?} and inference_variables {} wide",
                parameters.keys, spec.inference_dim
            )));
        }
        Ok(())
    }
}

impl<B: Backend> PairedApproximator<B, ModelComparison> {
    /// Number of candidate models.
    pub fn num_models(&self) -> usize {
        self.parameters.dim()
    }

    /// Posterior model probabilities `p(model | x)` of every data set (row) of `data`,
    /// `(rows, models)`, under the prior model probabilities of the training simulations.
    pub fn predict(&self, data: &Batch) -> Result<Array2<f64>> {
        let rows = data
            .batch_size()
            .ok_or_else(|| ApproxError::Config("the data hold no data sets".into()))?;
        let k = self.num_models();
        let key = &self.parameters.keys[0].name;
        let mut out = Array2::zeros((rows, k));
        for m in 0..k {
            let one_hot =
                ArrayD::from_shape_fn(IxDyn(&[rows, k]), |i| f64::from(u8::from(i[1] == m)));
            let mut with_model = data.clone();
            with_model.set(key.clone(), one_hot)?;
            let log_p = self.net.network_log_prob(&with_model)?;
            out.column_mut(m)
                .assign(&ndarray::Array1::from(log_p).mapv(f64::exp));
        }
        Ok(out)
    }

    /// `log` Bayes factors of model `numerator` against model `denominator` for every data
    /// set of `data`: the log posterior odds minus the log prior odds, with `prior` the
    /// training simulations' model probabilities.
    pub fn log_bayes_factors(
        &self,
        data: &Batch,
        numerator: usize,
        denominator: usize,
        prior: &[f64],
    ) -> Result<Vec<f64>> {
        let k = self.num_models();
        if numerator >= k
            || denominator >= k
            || prior.len() != k
            || prior.iter().any(|p| !(*p > 0.0))
        {
            return Err(ApproxError::Config(format!(
                "models {numerator} and {denominator} of {k} with positive prior probabilities {prior:?}"
            )));
        }
        let probs = self.predict(data)?;
        let prior_odds = (prior[numerator] / prior[denominator]).ln();
        Ok(probs
            .rows()
            .into_iter()
            .map(|r| r[numerator].ln() - r[denominator].ln() - prior_odds)
            .collect())
    }
}
