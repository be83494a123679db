//! The standard SBI benchmark tasks (Lueckmann et al., 2021, "Benchmarking Simulation-Based
//! Inference", AISTATS; the `sbibm` package), plus inverse kinematics (Kruse et al., 2021).
//!
//! Every task is a [`BenchmarkTask`]: a prior, a one-draw simulator and, where tractable, the
//! log-likelihood (and, for the Gaussian linear task, the analytic posterior). Its
//! [`BenchmarkTask::simulator`] draws batches with entries `theta` `(batch, dim_parameters)`
//! and `x` `(batch, dim_data)`, one ChaCha stream per draw, in parallel.

mod bernoulli_glm;
mod gaussian;
mod inverse_kinematics;
mod ode;
pub(crate) mod population;
mod reference;
mod slcp;
mod two_moons;

pub use abi_mcmc::SliceOptions;
pub use bernoulli_glm::BernoulliGlm;
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

impl<T: BenchmarkTask> Simulator for TaskSimulator<T> {
    fn sample(&self, batch_size: usize, rng: &mut dyn RngCore) -> Result<Batch> {
        if batch_size == 0 {
            return Err(SimError::invalid("sample", "batch size must be positive"));
        }
        let seed = rng.next_u64();
        let (dp, dx) = (self.task.dim_parameters(), self.task.dim_data());
        let draws: Vec<(Vec<f64>, Vec<f64>)> = (0..batch_size)
            .into_par_iter()
            .map(|i| {
                let mut r = draw_rng(seed, i as u64);
                let theta = self.task.prior().sample(&mut r);
                let x = self.task.simulate(&theta, &mut r);
                (theta, x)
            })
            .collect();
        let mut theta = Array2::<f64>::zeros((batch_size, dp));
        let mut x = Array2::<f64>::zeros((batch_size, dx));
        for (i, (t, d)) in draws.iter().enumerate() {
            theta
                .row_mut(i)
                .assign(&ndarray::ArrayView1::from(t.as_slice()));
            x.row_mut(i)
                .assign(&ndarray::ArrayView1::from(d.as_slice()));
        }
        let mut batch = Batch::new();
        batch.insert("theta", Array::F64(theta.into_dyn()))?;
        batch.insert("x", Array::F64(x.into_dyn()))?;
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
