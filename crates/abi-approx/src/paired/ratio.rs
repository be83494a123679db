//! The ratio kind: a classifier whose logit is the log likelihood-to-evidence ratio.

use super::classifier::RatioClassifierConfig;
use super::{PairKind, PairedApproximator, PairedApproximatorBuilder, PosteriorByMcmc};
use crate::continuous::{ApproximatorSpec, ContinuousApproximator};
use crate::error::{ApproxError, Result};
use crate::parts::parameters::ParameterLayout;
use abi_nets::{InferenceConfig, NetworkSpec, Registry};
use abi_sim::Batch;
use abi_tensor::Backend;

/// The [`PairKind`] of neural ratio estimation.
#[derive(Debug, Clone, Copy)]
pub struct Ratio;

impl PosteriorByMcmc for Ratio {
    const PARAMETERS_AS_CONDITIONS: bool = false;

    fn per_pair<B: Backend>(net: &ContinuousApproximator<B>, pairs: &Batch) -> Result<Vec<f64>> {
        net.network_log_prob(pairs)
    }
}

impl PairKind for Ratio {
    const KIND: &'static str = "ratio";

    fn default_network() -> NetworkSpec {
        NetworkSpec::new(RatioClassifierConfig::NAME)
    }

    fn registry<B: Backend>(registry: &Registry<B>) -> Result<Registry<B>> {
        super::with_network::<B, RatioClassifierConfig>(registry)
    }

    fn check(spec: &ApproximatorSpec, parameters: &ParameterLayout) -> Result<()> {
        parameters_are_variables(spec, parameters)
    }
}

/// The parameters must be exactly the inference variables.
pub(super) fn parameters_are_variables(
    spec: &ApproximatorSpec,
    parameters: &ParameterLayout,
) -> Result<()> {
    if spec.inference_dim != parameters.dim() {
        return Err(ApproxError::Config(format!(
            "the adapter's inference_variables are {} wide but the parameters {:?} {}: \
             map exactly the parameters to inference_variables",
            spec.inference_dim,
            parameters.keys.iter().map(|k| &k.name).collect::<Vec<_>>(),
            parameters.dim()
        )));
    }
    Ok(())
}

impl PairedApproximatorBuilder<Ratio> {
    /// Sets the classifier's settings (default: NRE-C with 5 classes and γ = 1, hidden
    /// widths (128, 128)).
    pub fn classifier(self, config: &RatioClassifierConfig) -> Result<Self> {
        Ok(self.inference_network(NetworkSpec::from_config(config)?))
    }
}

impl<B: Backend> PairedApproximator<B, Ratio> {
    /// The classifier's logit `log r(θ, x)` for each row of `data` (parameters and data): the
    /// log posterior-to-prior ratio, up to a constant of `x`.
    pub fn log_ratio(&self, data: &Batch) -> Result<Vec<f64>> {
        self.net.network_log_prob(data)
    }
}
