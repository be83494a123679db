//! [`ContinuousApproximator`]: neural posterior estimation (NPE).

use crate::dataset::Dataset;
use crate::error::{ApproxError, Result};
use crate::history::History;
use crate::roles::{
    INFERENCE_CONDITIONS, INFERENCE_VARIABLES, SUMMARY_VARIABLES, check_finite, required,
    role_array, to_array, to_tensor,
};
use crate::sampling::{Draws, SampleOptions};
use crate::train::{Callback, TrainConfig, Trainable, train};
use abi_adapter::{Adapter, Data};
use abi_nets::Mode;
use abi_nets::inference::{InferenceNetwork, InferenceNetworkConfig};
use abi_nets::summary::{Flatten, SummaryNetwork};
use abi_sim::Batch;
use abi_tensor::optim::Adam;
use abi_tensor::{Backend, ParamStore, Tensor, no_grad};
use ndarray::{ArrayD, Axis, Slice};
use rand::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};
use std::ops::ControlFlow;

/// The built-in summary networks an approximator can rebuild from its saved settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "network", rename_all = "snake_case")]
pub enum SummarySpec {
    /// [`Flatten`]: each data set flattened, no parameters.
    Flatten {
        /// shape of one data set
        item_shape: Vec<usize>,
    },
}

/// What an approximator was built with: enough to rebuild its networks from JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApproximatorSpec {
    /// The inference network's settings.
    pub inference_network: InferenceNetworkConfig,
    /// Width of `inference_variables`.
    pub inference_dim: usize,
    /// Width of `inference_conditions` (0 when absent).
    pub condition_dim: usize,
    /// The summary network of `summary_variables`, when present.
    pub summary: Option<SummarySpec>,
    /// Seed of the initial weights and of the fixed random permutations, which are part of
    /// the model but not of its weights file: loading rebuilds them from it.
    pub seed: u64,
}

impl ApproximatorSpec {
    fn summary_dim(&self) -> usize {
        match &self.summary {
            Some(SummarySpec::Flatten { item_shape }) => item_shape.iter().product(),
            None => 0,
        }
    }
}

/// Builds a [`ContinuousApproximator`]: the adapter is fitted to (and the network widths read
/// from) a batch of simulations.
#[derive(Debug, Clone)]
pub struct ContinuousApproximatorBuilder {
    adapter: Adapter,
    inference_network: InferenceNetworkConfig,
    seed: u64,
    fit_adapter: bool,
}

impl ContinuousApproximatorBuilder {
    /// Starts building an approximator around `adapter`.
    pub fn new(adapter: Adapter) -> Self {
        Self {
            adapter,
            inference_network: InferenceNetworkConfig::CouplingFlow(Default::default()),
            seed: 0,
            fit_adapter: true,
        }
    }

    /// Sets the inference network (default: BayesFlow's affine coupling flow).
    pub fn inference_network(mut self, cfg: InferenceNetworkConfig) -> Self {
        self.inference_network = cfg;
        self
    }

    /// Seed of the initial weights and fixed permutations.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Whether `build` fits the adapter's statistics to its batch (default `true`; turn it off
    /// for an adapter fitted elsewhere).
    pub fn fit_adapter(mut self, fit: bool) -> Self {
        self.fit_adapter = fit;
        self
    }

    /// Fits the adapter to `data`, reads the role widths from it and builds the networks on
    /// `device`.
    pub fn build<B: Backend>(
        mut self,
        data: &Batch,
        device: &B::Device,
    ) -> Result<ContinuousApproximator<B>> {
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
        let condition_dim = match role_array(&roles, INFERENCE_CONDITIONS) {
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
        let summary = role_array(&roles, SUMMARY_VARIABLES).map(|s| SummarySpec::Flatten {
            item_shape: s.shape()[1..].to_vec(),
        });
        let spec = ApproximatorSpec {
            inference_network: self.inference_network,
            inference_dim: v.shape()[1],
            condition_dim,
            summary,
            seed: self.seed,
        };
        ContinuousApproximator::from_spec(self.adapter, spec, device)
    }
}

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
/// let mut approx = ContinuousApproximatorBuilder::new(adapter).build::<NdArray>(&sims, &Cpu)?;
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
    optimizer: Option<Adam<B>>,
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
    /// Builds the networks of `spec` with the initial weights of its seed.
    pub fn from_spec(adapter: Adapter, spec: ApproximatorSpec, device: &B::Device) -> Result<Self> {
        let store = ParamStore::<B>::new(device.clone());
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(spec.seed);
        let cond_dim = spec.condition_dim + spec.summary_dim();
        let inference = spec.inference_network.build(
            &store.root().sub("inference"),
            spec.inference_dim,
            cond_dim,
            &mut rng,
        )?;
        let summary: Option<Box<dyn SummaryNetwork<B>>> = match &spec.summary {
            Some(SummarySpec::Flatten { item_shape }) => Some(Box::new(Flatten::new(item_shape))),
            None => None,
        };
        Ok(Self {
            adapter,
            spec,
            store,
            inference,
            summary,
            history: History::default(),
            train_config: None,
            optimizer: None,
        })
    }

    /// The adapter (fitted).
    pub fn adapter(&self) -> &Adapter {
        &self.adapter
    }

    /// The settings the networks were built with.
    pub fn spec(&self) -> &ApproximatorSpec {
        &self.spec
    }

    /// The trainable parameters.
    pub fn parameters(&self) -> &ParamStore<B> {
        &self.store
    }

    /// The loss history of the last `fit` (continued across resumed runs).
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The settings of the last `fit`.
    pub fn train_config(&self) -> Option<&TrainConfig> {
        self.train_config.as_ref()
    }

    pub(crate) fn optimizer(&self) -> Option<&Adam<B>> {
        self.optimizer.as_ref()
    }

    pub(crate) fn restore(&mut self, history: History, train_config: Option<TrainConfig>) {
        self.history = history;
        self.train_config = train_config;
    }

    /// Trains on `data` with `cfg` (see [`TrainConfig`]) and returns the history.
    pub fn fit(&mut self, data: &mut dyn Dataset, cfg: &TrainConfig) -> Result<&History> {
        self.fit_with(data, cfg, None, &mut |_: &crate::EpochRecord| {
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
        let (history, optimizer) = train(&*self, data, cfg, validation, callback)?;
        self.history = history;
        self.optimizer = Some(optimizer);
        self.train_config = Some(cfg.clone());
        Ok(&self.history)
    }

    /// Rows (data sets) of adapted conditions; 1 when the model has no conditions.
    fn condition_rows(&self, roles: &Data) -> Option<usize> {
        [INFERENCE_CONDITIONS, SUMMARY_VARIABLES]
            .iter()
            .find_map(|r| roles.get(r).and_then(|a| a.shape().first().copied()))
    }

    /// The inference network's conditions for rows `range` of adapted data: the summaries
    /// of `summary_variables` next to `inference_conditions`.
    fn conditions(&self, roles: &Data, range: Option<(usize, usize)>) -> Result<Option<Tensor<B>>> {
        let device = self.store.device();
        let slice = |a: ArrayD<f64>| match range {
            Some((s, e)) => a.slice_axis(Axis(0), Slice::from(s..e)).to_owned(),
            None => a,
        };
        let mut parts = Vec::new();
        if let Some(summary) = &self.summary {
            let x = required(
                roles,
                SUMMARY_VARIABLES,
                "the approximator was built with a summary network",
            )?;
            check_finite(SUMMARY_VARIABLES, &x)?;
            let x = to_tensor::<B>(&slice(x), device)?;
            parts.push(summary.summarize(&x, None)?);
        }
        if self.spec.condition_dim > 0 {
            let c = required(
                roles,
                INFERENCE_CONDITIONS,
                "the approximator was built with inference conditions",
            )?;
            if c.ndim() != 2 || c.shape()[1] != self.spec.condition_dim {
                return Err(ApproxError::RoleShape {
                    role: INFERENCE_CONDITIONS.into(),
                    got: c.shape().to_vec(),
                    expected: format!("(batch, {})", self.spec.condition_dim),
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

    fn variables(&self, roles: &Data) -> Result<Tensor<B>> {
        let v = required(
            roles,
            INFERENCE_VARIABLES,
            "training and log_prob need the parameters",
        )?;
        if v.ndim() != 2 || v.shape()[1] != self.spec.inference_dim {
            return Err(ApproxError::RoleShape {
                role: INFERENCE_VARIABLES.into(),
                got: v.shape().to_vec(),
                expected: format!("(batch, {})", self.spec.inference_dim),
            });
        }
        check_finite(INFERENCE_VARIABLES, &v)?;
        to_tensor::<B>(&v, self.store.device())
    }

    /// `log q(θ | x)` of each row of `data` (parameters and conditions), in the original
    /// parameter space: the network's density plus the adapter's log-Jacobian.
    pub fn log_prob(&self, data: &Batch) -> Result<Vec<f64>> {
        let roles = self.adapter.forward(data)?;
        let ldj = self.adapter.log_det_jacobian(data, INFERENCE_VARIABLES)?;
        let lp = no_grad::<B, _>(|| -> Result<Vec<f64>> {
            let v = self.variables(&roles)?;
            let c = self.conditions(&roles, None)?;
            Ok(self.inference.log_prob(&v, c.as_ref())?.to_f64_vec()?)
        })?;
        Ok(lp.iter().zip(ldj.iter()).map(|(a, b)| a + b).collect())
    }

    /// The summary network's output for the data sets in `data` (the flattened data when the
    /// model has the identity summary); an error when the model has no summary network.
    pub fn summarize(&self, data: &Batch) -> Result<ArrayD<f64>> {
        let summary = self.summary.as_ref().ok_or_else(|| {
            ApproxError::Config("this approximator has no summary network".into())
        })?;
        let roles = self.adapter.forward_available(data)?;
        let x = required(&roles, SUMMARY_VARIABLES, "summarize needs the raw data")?;
        no_grad::<B, _>(|| {
            to_array(&summary.summarize(&to_tensor::<B>(&x, self.store.device())?, None)?)
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
        if n == 0 {
            return Err(ApproxError::Config(
                "number of draws must be positive".into(),
            ));
        }
        options.check()?;
        let roles = self.adapter.forward_available(conditions)?;
        let rows = self.condition_rows(&roles).unwrap_or(1);
        let per_chunk = (options.max_draws_per_call / n).max(1);
        let bar = abi_sim::progress_bar(rows as u64, "sampling", options.progress);
        let (mut parts, mut proposed, mut accepted) = (Vec::new(), 0usize, 0usize);
        let mut start = 0;
        while start < rows {
            let end = (start + per_chunk).min(rows);
            let cond = no_grad::<B, _>(|| self.conditions(&roles, Some((start, end))))?;
            let v = match &options.support {
                None => self.draw(n, cond.as_ref(), end - start, rng)?,
                Some(support) => {
                    let (v, p, a) = crate::sampling::reject(
                        self,
                        n,
                        cond.as_ref(),
                        end - start,
                        start,
                        support,
                        options,
                        rng,
                    )?;
                    proposed += p;
                    accepted += a;
                    v
                }
            };
            parts.push(self.to_parameters(v)?);
            bar.inc((end - start) as u64);
            start = end;
        }
        bar.finish_and_clear();
        Ok(Draws {
            draws: Batch::concat(&parts)?,
            acceptance_rate: options
                .support
                .as_ref()
                .map(|_| accepted as f64 / proposed.max(1) as f64),
        })
    }

    /// `n` draws in network space for each of `rows` condition rows: `(rows, n, dim)`.
    pub(crate) fn draw(
        &self,
        n: usize,
        cond: Option<&Tensor<B>>,
        rows: usize,
        rng: &mut dyn RngCore,
    ) -> Result<ArrayD<f64>> {
        no_grad::<B, _>(|| {
            let v = self.inference.sample(n, cond, rng)?;
            let a = to_array(&v)?;
            if cond.is_none() && rows > 1 {
                return Err(ApproxError::Config(
                    "an unconditional model samples one data set at a time".into(),
                ));
            }
            Ok(a)
        })
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
        let c = self.conditions(&roles, None)?;
        Ok(self.inference.loss(&v, c.as_ref(), mode, rng)?)
    }
}
