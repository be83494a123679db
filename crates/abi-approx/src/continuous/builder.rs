//! [`ContinuousApproximatorBuilder`]: an adapter and network specs, fitted to simulations.

use super::{ApproximatorSpec, ContinuousApproximator};
use crate::error::{ApproxError, Result};
use crate::parts::conditions::ConditionLayout;
use crate::roles::{INFERENCE_VARIABLES, required};
use abi_adapter::Adapter;
use abi_nets::inference::InferenceNetwork;
use abi_nets::summary::SummaryNetwork;
use abi_nets::{NetworkSpec, Registry};
use abi_sim::Batch;
use abi_tensor::{Backend, ParamStore};

/// Builds a [`ContinuousApproximator`]: the adapter is fitted to (and the network widths read
/// from) a batch of simulations, and the networks are built by name through a [`Registry`]
/// or given ready-made.
///
/// ```
/// use abi_adapter::Adapter;
/// use abi_approx::ContinuousApproximatorBuilder;
/// use abi_ndarray::{Cpu, NdArray};
/// use abi_nets::NetworkSpec;
/// use abi_sim::benchmarks::{BenchmarkTask, GaussianLinear};
/// use abi_sim::{Simulator, simulate};
/// use rand::SeedableRng;
///
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let sims = simulate(&GaussianLinear::with_dim(2)?.simulator(), 256, 256, &mut rng, false)?;
/// let adapter = Adapter::new()
///     .rename("theta", "inference_variables")
///     .rename("x", "inference_conditions");
/// let approx = ContinuousApproximatorBuilder::new(adapter)
///     .inference_network(NetworkSpec::new("spline_coupling_flow").set("depth=2")?)
///     .build::<NdArray>(&sims, &Cpu)?;
/// assert_eq!(approx.spec().inference_network.as_ref().map(|s| &s.settings["depth"]), Some(&2.into()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ContinuousApproximatorBuilder {
    adapter: Adapter,
    inference_network: NetworkSpec,
    summary_network: Option<NetworkSpec>,
    seed: u64,
    fit_adapter: bool,
    summary_mmd: Option<f64>,
}

impl ContinuousApproximatorBuilder {
    /// Starts building an approximator around `adapter`.
    pub fn new(adapter: Adapter) -> Self {
        Self {
            adapter,
            inference_network: NetworkSpec::new("coupling_flow"),
            summary_network: None,
            seed: 0,
            fit_adapter: true,
            summary_mmd: None,
        }
    }

    /// Sets the inference network by registry name and settings (default: BayesFlow's affine
    /// `coupling_flow`).
    pub fn inference_network(mut self, spec: impl Into<NetworkSpec>) -> Self {
        self.inference_network = spec.into();
        self
    }

    /// Sets the summary network of `summary_variables` (default: `flatten`, the identity,
    /// when the adapter produces `summary_variables`).
    pub fn summary_network(mut self, spec: impl Into<NetworkSpec>) -> Self {
        self.summary_network = Some(spec.into());
        self
    }

    /// Seed of the initial weights and of the random structures (permutations), which are
    /// stored with the weights.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Trains the summary space towards N(0, I): the MMD between each batch's summaries and
    /// standard-normal draws, times `weight`, is added to the loss (BayesFlow's
    /// `summary_loss="MMD"`), so that the summaries of observed data can be tested against
    /// it for misspecification.
    pub fn summary_mmd(mut self, weight: f64) -> Self {
        self.summary_mmd = Some(weight);
        self
    }

    /// Whether `build` fits the adapter's statistics to its batch (default `true`; turn it off
    /// for an adapter fitted elsewhere).
    pub fn fit_adapter(mut self, fit: bool) -> Self {
        self.fit_adapter = fit;
        self
    }

    /// Fits the adapter and reads the role shapes: the spec without network settings
    /// resolved.
    fn prepare(&mut self, data: &Batch) -> Result<ApproximatorSpec> {
        if self.fit_adapter {
            self.adapter.fit(data)?;
        }
        let roles = self.adapter.forward(data)?;
        let v = required(
            &roles,
            INFERENCE_VARIABLES,
            "the adapter must concatenate or rename the parameters into it",
        )?;
        if v.ndim() != 2 {
            return Err(ApproxError::RoleShape {
                role: INFERENCE_VARIABLES.into(),
                got: v.shape().to_vec(),
                expected: "(batch, dim)".into(),
            });
        }
        let layout = ConditionLayout::of(&roles)?;
        if let Some(w) = self.summary_mmd {
            if !(w > 0.0 && w.is_finite() && layout.has_summary_input()) {
                return Err(ApproxError::Config(format!(
                    "summary_mmd needs a positive finite weight and summary_variables, got {w}"
                )));
            }
        }
        let summary_network = match (layout.has_summary_input(), &self.summary_network) {
            (true, spec) => Some(spec.clone().unwrap_or_else(|| NetworkSpec::new("flatten"))),
            (false, Some(_)) => {
                return Err(ApproxError::Config(
                    "a summary network was set, but the adapter produces no summary_variables"
                        .into(),
                ));
            }
            (false, None) => None,
        };
        Ok(ApproximatorSpec {
            inference_network: Some(self.inference_network.clone()),
            summary_network,
            inference_dim: v.shape()[1],
            layout,
            seed: self.seed,
            summary_mmd: self.summary_mmd,
        })
    }

    /// Fits the adapter to `data`, reads the role widths from it and builds the built-in
    /// networks on `device`.
    pub fn build<B: Backend>(
        self,
        data: &Batch,
        device: &B::Device,
    ) -> Result<ContinuousApproximator<B>> {
        self.build_with_registry(data, device, &Registry::new())
    }

    /// [`build`](Self::build) with networks from `registry` (e.g. with a downstream crate's
    /// networks registered).
    pub fn build_with_registry<B: Backend>(
        mut self,
        data: &Batch,
        device: &B::Device,
        registry: &Registry<B>,
    ) -> Result<ContinuousApproximator<B>> {
        let spec = self.prepare(data)?;
        ContinuousApproximator::from_spec(self.adapter, spec, device, registry)
    }

    /// Fits the adapter to `data` and assembles the approximator from networks built by the
    /// caller, whose parameters live in `store`: `inference` must take the adapter's
    /// `inference_variables`, conditioned on the summaries (`summary`'s output) followed by
    /// `inference_conditions`. Such an approximator trains and samples like any other; since
    /// loading rebuilds networks by name, it saves once it knows the specs that rebuild them
    /// ([`ContinuousApproximator::with_network_specs`]).
    pub fn build_from_networks<B: Backend>(
        mut self,
        data: &Batch,
        store: ParamStore<B>,
        inference: Box<dyn InferenceNetwork<B>>,
        summary: Option<Box<dyn SummaryNetwork<B>>>,
    ) -> Result<ContinuousApproximator<B>> {
        let mut spec = self.prepare(data)?;
        spec.inference_network = None;
        spec.summary_network = None;
        if inference.dim() != spec.inference_dim {
            return Err(ApproxError::Config(format!(
                "the inference network models {} variables, the adapter produces {}",
                inference.dim(),
                spec.inference_dim
            )));
        }
        if spec.layout.has_summary_input() != summary.is_some() {
            return Err(ApproxError::Config(
                "a summary network is needed exactly when the adapter produces summary_variables"
                    .into(),
            ));
        }
        Ok(ContinuousApproximator::assemble(
            self.adapter,
            spec,
            store,
            inference,
            summary,
        ))
    }
}
