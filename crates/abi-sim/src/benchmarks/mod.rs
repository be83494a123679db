//! The standard SBI benchmark tasks (Lueckmann et al., 2021, "Benchmarking Simulation-Based
//! Inference", AISTATS; the `sbibm` package), plus inverse kinematics (Kruse et al., 2021).
//!
//! Every task is a [`BenchmarkTask`]: a prior, a one-draw simulator and, where tractable, the
//! log-likelihood (and, for the Gaussian linear task, the analytic posterior). Its
//! [`BenchmarkTask::simulator`] draws batches with entries `theta` `(batch, dim_parameters)`
//! and `x` `(batch, dim_data)`, one ChaCha stream per draw, in parallel.

mod bernoulli_glm;
mod catalog;
mod gaussian;
mod inverse_kinematics;
mod ode;
pub(crate) mod population;
mod reference;
mod slcp;
mod two_moons;

pub use abi_mcmc::SliceOptions;
pub use bernoulli_glm::BernoulliGlm;
pub use catalog::{TASK_NAMES, simulator_by_name, task_by_name};
pub use gaussian::{GaussianLinear, GaussianMixture};
pub use inverse_kinematics::InverseKinematics;
pub use population::{LotkaVolterra, Sir};
pub use reference::{ReferenceOptions, reference_posterior};
pub use slcp::Slcp;
pub use two_moons::TwoMoons;

use crate::array::Array;
use crate::batch::Batch;
use crate::distribution::Distribution;
use crate::error::{Result, SimError};
use crate::simulator::{Checked, NonFinitePolicy, Simulator, draw_rng};
use ndarray::Array2;
use rand::RngCore;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// A benchmark task: prior, simulator and (where known) likelihood.
pub trait BenchmarkTask: Send + Sync {
    /// The task's name in the benchmark (e.g. `"two_moons"`).
    fn name(&self) -> &'static str;
    /// The prior over parameters.
    fn prior(&self) -> &Distribution;
    /// Dimension of the data.
    fn dim_data(&self) -> usize;
    /// Simulates one data set for parameters `theta`.
    fn simulate(&self, theta: &[f64], rng: &mut ChaCha8Rng) -> Vec<f64>;
    /// `log p(x | theta)` where the likelihood is tractable.
    fn log_likelihood(&self, _theta: &[f64], _x: &[f64]) -> Option<f64> {
        None
    }
    /// Moves `theta` by a random symmetry of the model: a map under which the prior density
    /// and the likelihood are unchanged for every observation (for `slcp`, sign flips of θ₃
    /// and θ₄, which enter the likelihood squared). MCMC reference samplers apply it as an
    /// exact extra move that carries chains between symmetric modes. The default moves
    /// nothing.
    fn posterior_symmetry(&self, _theta: &mut [f64], _rng: &mut ChaCha8Rng) {}
    /// Dimension of the parameters.
    fn dim_parameters(&self) -> usize {
        self.prior().dim()
    }
    /// A batch simulator (`theta`, `x`) that errors on non-finite data.
    fn simulator(self) -> Checked<TaskSimulator<Self>>
    where
        Self: Sized,
    {
        self.simulator_with(NonFinitePolicy::Error)
    }
    /// A batch simulator with the given non-finite policy.
    fn simulator_with(self, policy: NonFinitePolicy) -> Checked<TaskSimulator<Self>>
    where
        Self: Sized,
    {
        Checked::new(TaskSimulator { task: self }, policy)
    }
}

/// Draws `(theta, x)` batches from a [`BenchmarkTask`].
#[derive(Debug, Clone)]
pub struct TaskSimulator<T> {
    task: T,
}

impl<T: BenchmarkTask> TaskSimulator<T> {
    /// The task.
    pub fn task(&self) -> &T {
        &self.task
    }
}

impl<T: BenchmarkTask> TaskSimulator<T> {
    /// Simulates data for given parameters: `params` holds `theta` `(rows, dim_parameters)`;
    /// returns it with `x` `(rows, dim_data)` added (sbi's `simulator(θ)`, for sequential
    /// rounds and posterior predictive checks). Rows run in parallel, each on its own stream;
    /// non-finite data are an error naming the row.
    ///
    /// ```
    /// use abi_sim::benchmarks::{BenchmarkTask, TwoMoons};
    /// use abi_sim::Batch;
    /// use rand::SeedableRng;
    ///
    /// let simulator = TwoMoons::new()?.simulator();
    /// let mut params = Batch::new();
    /// params.insert("theta", ndarray::array![[0.1, -0.2], [0.3, 0.0]].into_dyn())?;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    /// let sims = simulator.inner().simulate_given(&params, &mut rng)?;
    /// assert_eq!(sims.f64("x")?.shape(), &[2, 2]);
    /// # Ok::<(), abi_sim::SimError>(())
    /// ```
    pub fn simulate_given(&self, params: &Batch, rng: &mut dyn RngCore) -> Result<Batch> {
        let theta = params.f64("theta")?;
        let dp = self.task.dim_parameters();
        if theta.ndim() != 2 || theta.shape()[1] != dp || theta.shape()[0] == 0 {
            return Err(SimError::invalid(
                "theta",
                format!(
                    "{} takes parameters of shape (rows, {dp}) with rows > 0, got {:?}",
                    self.task.name(),
                    theta.shape()
                ),
            ));
        }
        let seed = rng.next_u64();
        let rows: Vec<Vec<f64>> = (0..theta.shape()[0])
            .into_par_iter()
            .map(|i| {
                let t: Vec<f64> = (0..dp).map(|j| theta[[i, j]]).collect();
                self.task.simulate(&t, &mut draw_rng(seed, i as u64))
            })
            .collect();
        if let Some(row) = rows.iter().position(|r| r.iter().any(|v| !v.is_finite())) {
            return Err(SimError::invalid(
                "x",
                format!(
                    "{} gave non-finite data for parameter row {row}",
                    self.task.name()
                ),
            ));
        }
        let mut out = params.clone();
        out.insert(
            "x",
            Array::F64(stack(&rows, self.task.dim_data()).into_dyn()),
        )?;
        Ok(out)
    }
}

/// Rows of equal width `width` as one matrix.
fn stack(rows: &[Vec<f64>], width: usize) -> Array2<f64> {
    let mut out = Array2::<f64>::zeros((rows.len(), width));
    for (i, r) in rows.iter().enumerate() {
        out.row_mut(i)
            .assign(&ndarray::ArrayView1::from(r.as_slice()));
    }
    out
}

impl<T: BenchmarkTask> Simulator for TaskSimulator<T> {
    fn sample(&self, batch_size: usize, rng: &mut dyn RngCore) -> Result<Batch> {
        if batch_size == 0 {
            return Err(SimError::invalid("sample", "batch size must be positive"));
        }
        let (dp, dx) = (self.task.dim_parameters(), self.task.dim_data());
        if crate::limits::array_elements(&[batch_size, dp.max(dx).max(1)]).is_none() {
            return Err(SimError::invalid(
                "sample",
                format!(
                    "{batch_size} draws of {} would exceed the cap of {} elements per array",
                    self.task.name(),
                    crate::limits::MAX_ARRAY_ELEMENTS
                ),
            ));
        }
        let seed = rng.next_u64();
        let draws: Vec<(Vec<f64>, Vec<f64>)> = (0..batch_size)
            .into_par_iter()
            .map(|i| {
                let mut r = draw_rng(seed, i as u64);
                let theta = self.task.prior().sample(&mut r);
                let x = self.task.simulate(&theta, &mut r);
                (theta, x)
            })
            .collect();
        if let Some((i, (t, x))) = draws
            .iter()
            .enumerate()
            .find(|(_, (t, x))| t.len() != dp || x.len() != dx)
        {
            return Err(SimError::invalid(
                "sample",
                format!(
                    "draw {i} of {} has {} parameters and {} data values; the task declares {dp} \
                     and {dx}",
                    self.task.name(),
                    t.len(),
                    x.len()
                ),
            ));
        }
        let (theta, x): (Vec<Vec<f64>>, Vec<Vec<f64>>) = draws.into_iter().unzip();
        let mut batch = Batch::new();
        batch.insert("theta", Array::F64(stack(&theta, dp).into_dyn()))?;
        batch.insert("x", Array::F64(stack(&x, dx).into_dyn()))?;
        Ok(batch)
    }
}

/// Draws from `N(0, 1)`.
pub(crate) fn std_normal(rng: &mut ChaCha8Rng) -> f64 {
    use rand_distr::Distribution as _;
    rand_distr::StandardNormal.sample(rng)
}

/// `log N(x; mean, std²)` summed over elements.
pub(crate) fn normal_log_density(x: &[f64], mean: &[f64], std: f64) -> f64 {
    let c = -0.5 * (2.0 * std::f64::consts::PI).ln() - std.ln();
    x.iter()
        .zip(mean)
        .map(|(x, m)| c - 0.5 * ((x - m) / std).powi(2))
        .sum()
}
