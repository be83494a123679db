//! The benchmark tasks by name, as the command line and configuration files name them.

use super::{
    BenchmarkTask, BernoulliGlm, GaussianLinear, GaussianMixture, InverseKinematics, LotkaVolterra,
    Sir, Slcp, TwoMoons,
};
use crate::error::{Result, SimError};
use crate::simulator::Simulator;
use std::sync::Arc;

/// Every built-in task's name.
pub const TASK_NAMES: [&str; 11] = [
    "gaussian_linear",
    "gaussian_linear_uniform",
    "gaussian_mixture",
    "two_moons",
    "slcp",
    "slcp_distractors",
    "bernoulli_glm",
    "bernoulli_glm_raw",
    "sir",
    "lotka_volterra",
    "inverse_kinematics",
];

/// The benchmark task called `name` (one of [`TASK_NAMES`]).
///
/// ```
/// let task = abi_sim::benchmarks::task_by_name("two_moons")?;
/// assert_eq!(task.dim_parameters(), 2);
/// assert!(abi_sim::benchmarks::task_by_name("three_moons").is_err());
/// # Ok::<(), abi_sim::SimError>(())
/// ```
pub fn task_by_name(name: &str) -> Result<Arc<dyn BenchmarkTask>> {
    Ok(match name {
        "gaussian_linear" => Arc::new(GaussianLinear::new()?),
        "gaussian_linear_uniform" => Arc::new(GaussianLinear::uniform()?),
        "gaussian_mixture" => Arc::new(GaussianMixture::new()?),
        "two_moons" => Arc::new(TwoMoons::new()?),
        "slcp" => Arc::new(Slcp::new()?),
        "slcp_distractors" => Arc::new(Slcp::with_distractors()?),
        "bernoulli_glm" => Arc::new(BernoulliGlm::new()?),
        "bernoulli_glm_raw" => Arc::new(BernoulliGlm::raw()?),
        "sir" => Arc::new(Sir::new()?),
        "lotka_volterra" => Arc::new(LotkaVolterra::new()?),
        "inverse_kinematics" => Arc::new(InverseKinematics::new()?),
        other => {
            return Err(SimError::invalid(
                "task",
                format!(
                    "no built-in task `{other}`; the tasks are {}",
                    TASK_NAMES.join(", ")
                ),
            ));
        }
    })
}

/// The batch simulator (`theta`, `x`, erroring on non-finite data) of the task `name`.
pub fn simulator_by_name(name: &str) -> Result<Arc<dyn Simulator>> {
    Ok(Arc::new(task_by_name(name)?.simulator()))
}

impl<T: BenchmarkTask + ?Sized> BenchmarkTask for Arc<T> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn prior(&self) -> &crate::Distribution {
        (**self).prior()
    }
    fn dim_data(&self) -> usize {
        (**self).dim_data()
    }
    fn simulate(&self, theta: &[f64], rng: &mut rand_chacha::ChaCha8Rng) -> Vec<f64> {
        (**self).simulate(theta, rng)
    }
    fn log_likelihood(&self, theta: &[f64], x: &[f64]) -> Option<f64> {
        (**self).log_likelihood(theta, x)
    }
    fn posterior_symmetry(&self, theta: &mut [f64], rng: &mut rand_chacha::ChaCha8Rng) {
        (**self).posterior_symmetry(theta, rng)
    }
    fn dim_parameters(&self) -> usize {
        (**self).dim_parameters()
    }
}
