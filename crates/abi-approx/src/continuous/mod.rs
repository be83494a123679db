//! [`ContinuousApproximator`]: neural posterior estimation (NPE).

mod builder;
mod files;
mod gradient;
mod importance;
mod sequential;

pub use builder::ContinuousApproximatorBuilder;
pub use importance::ImportanceDraws;

use crate::dataset::Dataset;
use crate::error::{ApproxError, Result};
use crate::history::{EpochRecord, History};
use crate::parts::conditions::{ConditionLayout, variables};
use crate::parts::mmd::mmd_squared;
use crate::parts::sampler;
use crate::roles::{INFERENCE_VARIABLES, to_array};
use crate::sampling::{Draws, SampleOptions};
use crate::train::{BoxedOptimizer, Callback, TrainConfig, Trainable, train_into};
use abi_adapter::{Adapter, Data};
use abi_nets::inference::InferenceNetwork;
use abi_nets::summary::SummaryNetwork;
use abi_nets::{Mode, NetworkSpec, Registry};
use abi_sim::Batch;
use abi_tensor::{Backend, ParamStore, Tensor, no_grad};
use ndarray::ArrayD;
use rand::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use std::ops::ControlFlow;

/// What an approximator was built with: enough to rebuild its networks through a registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproximatorSpec {
    /// The inference network, resolved (every setting filled in); `None` for a network given
    /// ready-made without a spec.
    pub inference_network: Option<NetworkSpec>,
    /// The summary network of `summary_variables`, resolved, when there is one.
    pub summary_network: Option<NetworkSpec>,
    /// Width of `inference_variables`.
    pub inference_dim: usize,
    /// The condition roles' shapes.
    pub layout: ConditionLayout,
    /// Seed of the initial weights and of the random structures (stored with the weights,
    /// never rebuilt from it at load).
    pub seed: u64,
    /// Weight of the MMD between the summaries of a training batch and standard-normal
    /// draws, added to the loss so that summaries of simulated data follow N(0, I); data
    /// whose summaries fall outside it are suspect (Schmitt et al., 2023). `None`: no
    /// penalty.
    #[serde(default)]
    pub summary_mmd: Option<f64>,
}

const KIND: &str = "continuous";

/// Neural posterior estimation (NPE; Papamakarios & Murray, 2016; Greenberg et al., 2019;
/// Radev et al., 2020 — BayesFlow's `ContinuousApproximator`): an adapter, an optional summary
/// network and an inference network that learns `q(θ | x)` from simulations, trained once and
/// then queried for any data set.
///
/// ```no_run
/// use abi_adapter::Adapter;
/// use abi_approx::{ContinuousApproximatorBuilder, TrainConfig};
/// use abi_approx::dataset::OfflineDataset;
/// use abi_ndarray::{Cpu, NdArray};
/// use abi_sim::benchmarks::{BenchmarkTask, TwoMoons};
/// use abi_sim::{simulate, Simulator};
/// use rand::SeedableRng;
///
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let sims = simulate(&TwoMoons::new()?.simulator(), 10_000, 1_000, &mut rng, true)?;
/// let adapter = Adapter::new()
///     .standardize(&["theta", "x"])
///     .rename("theta", "inference_variables")
///     .rename("x", "inference_conditions");
/// let mut approx = ContinuousApproximatorBuilder::new(adapter)
///     .inference_network("spline_coupling_flow")
///     .build::<NdArray>(&sims, &Cpu)?;
/// approx.fit(&mut OfflineDataset::new(sims.clone(), 256, 0)?, &TrainConfig::new(30))?;
/// let draws = approx.sample(1_000, &sims.slice(0, 1)?, &mut rng)?;
/// assert_eq!(draws.f64("theta")?.shape(), &[1, 1_000, 2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ContinuousApproximator<B: Backend> {
    adapter: Adapter,
    spec: ApproximatorSpec,
    store: ParamStore<B>,
    inference: Box<dyn InferenceNetwork<B>>,
    summary: Option<Box<dyn SummaryNetwork<B>>>,
    history: History,
    train_config: Option<TrainConfig>,
    optimizer: Option<BoxedOptimizer<B>>,
}

impl<B: Backend> std::fmt::Debug for ContinuousApproximator<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContinuousApproximator")
            .field("spec", &self.spec)
            .field("parameters", &self.store.num_elements())
            .field("epochs_trained", &self.history.len())
            .finish()
    }
}

impl<B: Backend> ContinuousApproximator<B> {
    /// Builds the networks of `spec` through `registry`, with the initial weights of its seed.
    pub fn from_spec(
        adapter: Adapter,
        spec: ApproximatorSpec,
        device: &B::Device,
        registry: &Registry<B>,
    ) -> Result<Self> {
        Self::from_spec_within(adapter, spec, device, registry, None)
    }

    /// [`from_spec`](Self::from_spec) with at most `max_elements` parameter elements in all
    /// (checked before each is allocated): a model loaded from a file can need no more than
    /// its weights file holds.
    pub(crate) fn from_spec_within(
        adapter: Adapter,
        mut spec: ApproximatorSpec,
        device: &B::Device,
        registry: &Registry<B>,
        max_elements: Option<usize>,
    ) -> Result<Self> {
        let store = ParamStore::<B>::new(device.clone());
        store.limit_elements(max_elements);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(spec.seed);
        let summary = match (&spec.summary_network, spec.layout.summary_source_shapes()) {
            (Some(s), Some(sources)) => {
                let path = store.root().sub("summary");
                let (net, resolved) =
                    registry.build_summary_sources(s, &path, &sources, &mut rng)?;
                spec.summary_network = Some(resolved);
                Some(net)
            }
            (None, None) => None,
            _ => {
                return Err(ApproxError::Config(
                    "a summary network and the shape of summary_variables go together".into(),
                ));
            }
        };
        let inference_spec = spec.inference_network.clone().ok_or_else(|| {
            ApproxError::Config("the spec names no inference network to build".into())
        })?;
        let cond_dim = spec.layout.condition_dim + summary.as_ref().map_or(0, |s| s.output_dim());
        let (inference, resolved) = registry.build_inference(
            &inference_spec,
            &store.root().sub("inference"),
            spec.inference_dim,
            cond_dim,
            &mut rng,
        )?;
        spec.inference_network = Some(resolved);
        store.limit_elements(None);
        Ok(Self::assemble(adapter, spec, store, inference, summary))
    }

    pub(crate) fn assemble(
        adapter: Adapter,
        spec: ApproximatorSpec,
        store: ParamStore<B>,
        inference: Box<dyn InferenceNetwork<B>>,
        summary: Option<Box<dyn SummaryNetwork<B>>>,
    ) -> Self {
        Self {
            adapter,
            spec,
            store,
            inference,
            summary,
            history: History::default(),
            train_config: None,
            optimizer: None,
        }
    }

    /// Names the specs that rebuild networks given ready-made, so that the approximator can
    /// be saved; they are resolved through `registry` (which must know them).
    pub fn with_network_specs(
        mut self,
        registry: &Registry<B>,
        inference: &NetworkSpec,
        summary: Option<&NetworkSpec>,
    ) -> Result<Self> {
        self.spec.inference_network = Some(registry.resolve_inference(inference)?);
        self.spec.summary_network = summary.map(|s| registry.resolve_summary(s)).transpose()?;
        Ok(self)
    }

    /// The adapter (fitted).
    pub fn adapter(&self) -> &Adapter {
        &self.adapter
    }

    /// The settings the networks were built with.
    pub fn spec(&self) -> &ApproximatorSpec {
        &self.spec
    }

    /// The trainable parameters and buffers.
    pub fn parameters(&self) -> &ParamStore<B> {
        &self.store
    }

    /// The inference network.
    pub fn inference_network(&self) -> &dyn InferenceNetwork<B> {
        self.inference.as_ref()
    }

    /// The summary network, when there is one.
    pub fn summary_network(&self) -> Option<&dyn SummaryNetwork<B>> {
        self.summary.as_deref()
    }

    /// The loss history of the last `fit` (continued across resumed runs).
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The settings of the last `fit`.
    pub fn train_config(&self) -> Option<&TrainConfig> {
        self.train_config.as_ref()
    }

    /// Trains on `data` with `cfg` (see [`TrainConfig`]) and returns the history.
    pub fn fit(&mut self, data: &mut dyn Dataset, cfg: &TrainConfig) -> Result<&History> {
        self.fit_with(data, cfg, None, &mut |_: &EpochRecord| {
            ControlFlow::Continue(())
        })
    }

    /// [`fit`](Self::fit) with a validation set (early stopping watches its loss) and a
    /// callback after every epoch.
    pub fn fit_with(
        &mut self,
        data: &mut dyn Dataset,
        cfg: &TrainConfig,
        validation: Option<&Batch>,
        callback: &mut dyn Callback,
    ) -> Result<&History> {
        let mut history = History::default();
        let trained = train_into(&*self, data, cfg, validation, callback, &mut history);
        if trained.is_ok() || !history.is_empty() {
            // a failed run keeps the epochs it finished
            self.history = history;
        }
        self.optimizer = Some(trained?);
        self.train_config = Some(cfg.clone());
        Ok(&self.history)
    }

    fn conditions(&self, roles: &Data, range: Option<(usize, usize)>) -> Result<Option<Tensor<B>>> {
        self.spec
            .layout
            .assemble(roles, range, self.summary.as_deref(), self.store.device())
    }

    /// The summary network's output on a training batch (with its training noise in
    /// `Train` mode), when there is one.
    fn training_summaries(
        &self,
        roles: &Data,
        mode: Mode,
        rng: &mut dyn RngCore,
    ) -> Result<Option<Tensor<B>>> {
        let Some(net) = &self.summary else {
            return Ok(None);
        };
        let summary_rng = match mode {
            Mode::Train => Some(rng),
            Mode::Eval => None,
        };
        let device = self.store.device();
        Ok(Some(self.spec.layout.summaries(
            roles,
            None,
            net.as_ref(),
            summary_rng,
            device,
        )?))
    }

    /// The conditions of a training batch: the summaries followed by
    /// `inference_conditions`.
    fn training_conditions(
        &self,
        roles: &Data,
        mode: Mode,
        rng: &mut dyn RngCore,
    ) -> Result<Option<Tensor<B>>> {
        let summaries = self.training_summaries(roles, mode, rng)?;
        self.spec
            .layout
            .join(roles, None, summaries, self.store.device())
    }

    fn variables(&self, roles: &Data) -> Result<Tensor<B>> {
        variables(
            roles,
            INFERENCE_VARIABLES,
            self.spec.inference_dim,
            "training, log_prob and latent need the parameters",
            self.store.device(),
        )
    }

    /// `log q(θ | x)` of each row of `data` (parameters and conditions), in the original
    /// parameter space: the network's density plus the adapter's log-Jacobian.
    pub fn log_prob(&self, data: &Batch) -> Result<Vec<f64>> {
        let (roles, ldj) = self
            .adapter
            .forward_with_log_det(data, INFERENCE_VARIABLES)?;
        let lp = no_grad::<B, _>(|| -> Result<Vec<f64>> {
            let v = self.variables(&roles)?;
            let c = self.conditions(&roles, None)?;
            Ok(self.inference.log_prob(&v, c.as_ref())?.to_f64_vec()?)
        })?;
        Ok(lp.iter().zip(ldj.iter()).map(|(a, b)| a + b).collect())
    }

    /// The conditions of the data sets in `data` (summaries followed by
    /// `inference_conditions`), without training noise.
    pub(crate) fn network_conditions(&self, data: &Batch) -> Result<Option<Tensor<B>>> {
        let roles = self.adapter.forward_available(data)?;
        no_grad::<B, _>(|| self.conditions(&roles, None))
    }

    /// The inference network's `log_prob` output for each row of `data`, without the
    /// adapter's log-Jacobian (for networks whose output is not a density of the inference
    /// variables, such as a ratio classifier's logit).
    pub(crate) fn network_log_prob(&self, data: &Batch) -> Result<Vec<f64>> {
        let roles = self.adapter.forward(data)?;
        no_grad::<B, _>(|| -> Result<Vec<f64>> {
            let v = self.variables(&roles)?;
            let c = self.conditions(&roles, None)?;
            Ok(self.inference.log_prob(&v, c.as_ref())?.to_f64_vec()?)
        })
    }

    /// The inference network's latent codes `z` of the parameters in `data` given their
    /// conditions, `(rows, dim)`; standard normal for simulations when the flow has learned
    /// the posterior (the latent-space check). An error for networks without a latent map.
    pub fn latent(&self, data: &Batch) -> Result<ArrayD<f64>> {
        let roles = self.adapter.forward(data)?;
        no_grad::<B, _>(|| {
            let v = self.variables(&roles)?;
            let c = self.conditions(&roles, None)?;
            to_array(&self.inference.latent(&v, c.as_ref())?)
        })
    }

    /// The summary network's output for the data sets in `data` (the flattened data when the
    /// model has the identity summary); an error when the model has no summary network.
    pub fn summarize(&self, data: &Batch) -> Result<ArrayD<f64>> {
        let summary = self.summary.as_ref().ok_or_else(|| {
            ApproxError::Config("this approximator has no summary network".into())
        })?;
        let roles = self.adapter.forward_available(data)?;
        no_grad::<B, _>(|| {
            let device = self.store.device();
            let s = self
                .spec
                .layout
                .summaries(&roles, None, summary.as_ref(), None, device)?;
            to_array(&s)
        })
    }

    /// `n` posterior draws for every data set (row) in `conditions`, as named parameters in
    /// their original space, shaped `(data sets, n, ...)`.
    pub fn sample(&self, n: usize, conditions: &Batch, rng: &mut dyn RngCore) -> Result<Batch> {
        Ok(self
            .sample_with(n, conditions, &SampleOptions::default(), rng)?
            .draws)
    }

    /// [`sample`](Self::sample) with options: bounded memory per network call, progress bar,
    /// and rejection of draws outside a prior's support.
    pub fn sample_with(
        &self,
        n: usize,
        conditions: &Batch,
        options: &SampleOptions,
        rng: &mut dyn RngCore,
    ) -> Result<Draws> {
        let roles = self.adapter.forward_available(conditions)?;
        let rows = ConditionLayout::rows(&roles).unwrap_or(1);
        let mut propose = |start: usize, end: usize, m: usize| -> Result<Batch> {
            let v = no_grad::<B, _>(|| -> Result<ArrayD<f64>> {
                let cond = self.conditions(&roles, Some((start, end)))?;
                if cond.is_none() && end - start > 1 {
                    return Err(ApproxError::Config(
                        "an unconditional model samples one data set at a time".into(),
                    ));
                }
                to_array(&self.inference.sample(m, cond.as_ref(), rng)?)
            })?;
            self.to_parameters(v)
        };
        sampler::sample_posterior(rows, n, options, &mut propose)
    }

    /// Network-space draws back to named parameters through the adapter's inverse.
    pub(crate) fn to_parameters(&self, v: ArrayD<f64>) -> Result<Batch> {
        let back = self
            .adapter
            .inverse(&Data::new().with(INFERENCE_VARIABLES, v))?;
        let mut out = Batch::new();
        for (name, a) in back.iter() {
            out.insert(name, a.clone())?;
        }
        Ok(out)
    }
}

impl<B: Backend> Trainable<B> for ContinuousApproximator<B> {
    fn parameters(&self) -> &ParamStore<B> {
        &self.store
    }

    fn batch_loss(&self, batch: &Batch, mode: Mode, rng: &mut dyn RngCore) -> Result<Tensor<B>> {
        let roles = self.adapter.forward(batch)?;
        let v = self.variables(&roles)?;
        let device = self.store.device();
        let summaries = self.training_summaries(&roles, mode, rng)?;
        let penalty = match (self.spec.summary_mmd, &summaries) {
            (Some(weight), Some(s)) => {
                let z = Tensor::<B>::randn(&s.shape(), rng, device)?;
                Some(mmd_squared(s, &z)?.mul_scalar(weight)?)
            }
            _ => None,
        };
        let c = self.spec.layout.join(&roles, None, summaries, device)?;
        let loss = self.inference.loss(&v, c.as_ref(), mode, rng)?;
        Ok(match penalty {
            Some(p) => loss.add(&p)?,
            None => loss,
        })
    }
}
