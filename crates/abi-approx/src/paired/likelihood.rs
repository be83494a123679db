//! The likelihood kind: a conditional density of the data given the parameters.

use super::{PairKind, PairedApproximator, PosteriorByMcmc};
use crate::continuous::{ApproximatorSpec, ContinuousApproximator};
use crate::error::{ApproxError, Result};
use crate::parts::parameters::ParameterLayout;
use abi_nets::{NetworkSpec, Registry};
use abi_sim::Batch;
use abi_tensor::Backend;
use rand::RngCore;

/// The [`PairKind`] of neural likelihood estimation.
#[derive(Debug, Clone, Copy)]
pub struct Likelihood;

impl PosteriorByMcmc for Likelihood {
    const PARAMETERS_AS_CONDITIONS: bool = true;

    fn per_pair<B: Backend>(net: &ContinuousApproximator<B>, pairs: &Batch) -> Result<Vec<f64>> {
        net.log_prob(pairs)
    }
}

impl PairKind for Likelihood {
    const KIND: &'static str = "likelihood";

    fn default_network() -> NetworkSpec {
        NetworkSpec::new("maf")
    }

    fn registry<B: Backend>(registry: &Registry<B>) -> Result<Registry<B>> {
        Ok(registry.clone())
    }

    fn check(spec: &ApproximatorSpec, parameters: &ParameterLayout) -> Result<()> {
        if spec.layout.condition_dim != parameters.dim() || spec.layout.has_summary_input() {
            return Err(ApproxError::Config(format!(
                "the adapter's inference_conditions are {} wide but the parameters {:?} {}: \
                 map exactly the parameters to inference_conditions and the data to \
                 inference_variables",
                spec.layout.condition_dim,
                parameters.keys.iter().map(|k| &k.name).collect::<Vec<_>>(),
                parameters.dim()
            )));
        }
        Ok(())
    }
}

impl<B: Backend> PairedApproximator<B, Likelihood> {
    /// `log q(x | θ)` of each row of `data` (parameters and data), with the adapter's
    /// log-Jacobian of the data.
    pub fn log_prob(&self, data: &Batch) -> Result<Vec<f64>> {
        self.net.log_prob(data)
    }

    /// `n` synthetic data sets for every row of `parameters` (named parameter arrays), shaped
    /// `(rows, n, ...)`: the learned emulator of the simulator.
    pub fn sample(&self, n: usize, parameters: &Batch, rng: &mut dyn RngCore) -> Result<Batch> {
        self.net.sample(n, parameters, rng)
    }
}
