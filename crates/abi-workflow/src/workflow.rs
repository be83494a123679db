//! [`BasicWorkflow`]: a simulator, the variables' roles, an inference network and an optional
//! summary network; train online, offline or from disk, then sample, score and diagnose.

use crate::error::{Result, WorkflowError};
use crate::variables::Variables;
use abi_approx::dataset::{Dataset, DiskDataset, OfflineDataset, OnlineDataset};
use abi_approx::{
    ContinuousApproximator, ContinuousApproximatorBuilder, EpochRecord, History, SampleOptions,
    TrainConfig,
};
use abi_sim::{Batch, Simulator};
use abi_tensor::Backend;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

/// Training and sampling settings of a workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowSettings {
    /// Peak learning rate of Adam under the cosine schedule with warm-up (1e-3: on the
    /// Gaussian-means quickstart model it gave posterior means within 0.100 posterior sd of
    /// the analytic ones, against 0.121 at BayesFlow's 5e-4).
    pub learning_rate: f64,
    /// Fresh simulations of the validation set in online training (300).
    pub validation_simulations: usize,
    /// Share of offline simulations held out for validation (0.1).
    pub validation_fraction: f64,
    /// Data-parallel pieces of every batch, one per core (2).
    pub shards: usize,
    /// Seed of the networks' weights, the data order and every draw.
    pub seed: u64,
    /// Progress bars for training and sampling.
    pub progress: bool,
    /// Early stopping: end training after this many epochs without a better validation loss
    /// and restore the best weights (`None`, the default: train every epoch).
    #[serde(default)]
    pub patience: Option<usize>,
}

impl Default for WorkflowSettings {
    fn default() -> Self {
        Self {
            learning_rate: 1e-3,
            validation_simulations: 300,
            validation_fraction: 0.1,
            shards: 2,
            seed: 0,
            progress: true,
            patience: None,
        }
    }
}

/// The whole amortized workflow: simulate, train, sample, diagnose, save.
///
/// ```no_run
/// use abi_workflow::BasicWorkflow;
/// # fn run(simulator: std::sync::Arc<dyn abi_sim::Simulator>) -> abi_workflow::Result<()> {
/// let mut workflow = BasicWorkflow::builder()
///     .simulator(simulator)
///     .inference_variables(&["mu"])
///     .summary_variables(&["x"])
///     .build::<abi_ndarray::NdArray>(&abi_ndarray::Cpu)?;
/// workflow.fit_online(10, 1_000, 32)?;
/// let report = workflow.plot_default_diagnostics("target/report", 300, 500)?;
/// println!("{}", report.index.display());
/// # Ok(())
/// # }
/// ```
pub struct BasicWorkflow<B: Backend> {
    pub(crate) simulator: Option<Arc<dyn Simulator>>,
    pub(crate) variables: Variables,
    pub(crate) builder: ContinuousApproximatorBuilder,
    pub(crate) approximator: Option<ContinuousApproximator<B>>,
    /// No inference network was named: one-dimensional parameters get `flow_matching`.
    pub(crate) default_inference: bool,
    pub(crate) settings: WorkflowSettings,
    pub(crate) device: B::Device,
    pub(crate) rng: ChaCha8Rng,
}

impl<B: Backend> std::fmt::Debug for BasicWorkflow<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicWorkflow")
            .field("variables", &self.variables)
            .field("settings", &self.settings)
            .field("has_simulator", &self.simulator.is_some())
            .field("trained", &self.approximator.is_some())
            .finish_non_exhaustive()
    }
}

impl<B: Backend> BasicWorkflow<B> {
    pub(crate) fn from_parts(
        simulator: Option<Arc<dyn Simulator>>,
        variables: Variables,
        approximator: ContinuousApproximator<B>,
        settings: WorkflowSettings,
        device: B::Device,
    ) -> Self {
        Self {
            simulator,
            variables,
            builder: ContinuousApproximatorBuilder::new(approximator.adapter().clone()),
            approximator: Some(approximator),
            default_inference: false,
            rng: ChaCha8Rng::seed_from_u64(settings.seed),
            settings,
            device,
        }
    }

    /// The variables' roles.
    pub fn variables(&self) -> &Variables {
        &self.variables
    }

    /// The settings.
    pub fn settings(&self) -> &WorkflowSettings {
        &self.settings
    }

    /// The trained approximator; an error before any training.
    pub fn approximator(&self) -> Result<&ContinuousApproximator<B>> {
        self.approximator.as_ref().ok_or_else(untrained)
    }

    /// The training history (empty before training).
    pub fn history(&self) -> History {
        self.approximator
            .as_ref()
            .map(|a| a.history().clone())
            .unwrap_or_default()
    }

    /// Restarts the workflow's random stream (data order, draws) from `seed`.
    pub fn reseed(&mut self, seed: u64) {
        self.rng = ChaCha8Rng::seed_from_u64(seed);
    }

    /// Shows or hides progress bars.
    pub fn set_progress(&mut self, show: bool) {
        self.settings.progress = show;
    }

    /// Sets (or replaces) the simulator, e.g. after [`load`](Self::load).
    pub fn set_simulator(&mut self, simulator: Arc<dyn Simulator>) {
        self.simulator = Some(simulator);
    }

    fn simulator_or_err(&self, what: &str) -> Result<Arc<dyn Simulator>> {
        self.simulator.clone().ok_or_else(|| {
            WorkflowError::Config(format!(
                "{what} needs a simulator; give one to the builder or with set_simulator"
            ))
        })
    }

    /// `n` fresh simulations.
    pub fn simulate(&mut self, n: usize) -> Result<Batch> {
        let simulator = self.simulator_or_err("simulate")?;
        Ok(simulator.sample(n, &mut self.rng)?)
    }

    fn train_config(&self, epochs: usize, seed: u64) -> TrainConfig {
        let cfg = TrainConfig::new(epochs)
            .learning_rate(self.settings.learning_rate)
            .patience(self.settings.patience)
            .shards(self.settings.shards)
            .seed(seed);
        if self.settings.progress {
            cfg
        } else {
            cfg.quiet()
        }
    }

    fn fit_on(
        &mut self,
        first: &Batch,
        data: &mut dyn Dataset,
        epochs: usize,
        validation: Option<&Batch>,
    ) -> Result<&History> {
        if self.approximator.is_none() {
            let mut builder = self.builder.clone();
            if self.default_inference && self.inference_width(first)? == 1 {
                builder = builder.inference_network("flow_matching");
            }
            self.approximator = Some(builder.build::<B>(first, &self.device)?);
        }
        let seed = self.rng.random();
        let cfg = self.train_config(epochs, seed);
        let approximator = self.approximator.as_mut().ok_or_else(untrained)?;
        let mut each = |_: &EpochRecord| ControlFlow::Continue(());
        Ok(approximator.fit_with(data, &cfg, validation, &mut each)?)
    }

    /// Values per data set of the inference variables in `batch`.
    fn inference_width(&self, batch: &Batch) -> Result<usize> {
        let mut width = 0;
        for key in &self.variables.inference_variables {
            let shape = batch.get(key)?.shape().to_vec();
            width += shape.iter().skip(1).product::<usize>();
        }
        Ok(width)
    }

    /// Trains on fresh simulations: `epochs` × `batches_per_epoch` batches of `batch_size`,
    /// validated on `validation_simulations` more (BayesFlow's `fit_online`). A second call
    /// continues from the current weights.
    pub fn fit_online(
        &mut self,
        epochs: usize,
        batches_per_epoch: usize,
        batch_size: usize,
    ) -> Result<&History> {
        let simulator = self.simulator_or_err("online training")?;
        let validation = simulator.sample(self.settings.validation_simulations, &mut self.rng)?;
        let mut data =
            OnlineDataset::new(simulator, batch_size, batches_per_epoch, self.rng.random())?;
        self.fit_on(&validation.clone(), &mut data, epochs, Some(&validation))
    }

    /// Trains on the simulations `data` for `epochs` epochs of `batch_size`, holding out the
    /// last `validation_fraction` of the rows for validation.
    pub fn fit_offline(
        &mut self,
        data: &Batch,
        epochs: usize,
        batch_size: usize,
    ) -> Result<&History> {
        let rows = data.batch_size().unwrap_or(0);
        let held = if self.settings.validation_fraction > 0.0 && rows >= 2 {
            ((self.settings.validation_fraction * rows as f64).round() as usize).clamp(1, rows - 1)
        } else {
            0
        };
        let training = data.slice(0, rows - held)?;
        let validation = (held > 0)
            .then(|| data.slice(rows - held, rows))
            .transpose()?;
        let mut dataset = OfflineDataset::new(training.clone(), batch_size, self.rng.random())?;
        self.fit_on(&training, &mut dataset, epochs, validation.as_ref())
    }

    /// Trains on the `.npz` shards in `dir` (as `abi simulate` writes them), streamed from
    /// disk; validated on fresh simulations when the workflow has a simulator.
    pub fn fit_disk(
        &mut self,
        dir: impl AsRef<Path>,
        epochs: usize,
        batch_size: usize,
    ) -> Result<&History> {
        let dir = dir.as_ref();
        let shards = abi_sim::npz::shard_paths(dir)?;
        let first = shards
            .first()
            .ok_or_else(|| WorkflowError::file(dir, "no .npz shards in the folder"))?;
        let first = abi_sim::npz::read_npz(first)?;
        let mut dataset = DiskDataset::new(dir, batch_size, self.rng.random())?;
        let validation = match &self.simulator {
            Some(s) => Some(s.sample(self.settings.validation_simulations, &mut self.rng)?),
            None => None,
        };
        self.fit_on(&first, &mut dataset, epochs, validation.as_ref())
    }

    /// `n` posterior draws for every data set (row) of `conditions`, as named parameters
    /// `(data sets, n, ...)` in their original space.
    pub fn sample(&mut self, n: usize, conditions: &Batch) -> Result<Batch> {
        let options = SampleOptions {
            progress: self.settings.progress,
            ..SampleOptions::default()
        };
        let approximator = self.approximator.as_ref().ok_or_else(untrained)?;
        Ok(approximator
            .sample_with(n, conditions, &options, &mut self.rng)?
            .draws)
    }

    /// The approximate posterior log density of the parameters in `data` given its
    /// conditions, one value per row.
    pub fn log_prob(&self, data: &Batch) -> Result<Vec<f64>> {
        Ok(self.approximator()?.log_prob(data)?)
    }
}

fn untrained() -> WorkflowError {
    WorkflowError::Config(
        "the workflow has not been trained: call fit_online, fit_offline or fit_disk, or load a model"
            .into(),
    )
}
