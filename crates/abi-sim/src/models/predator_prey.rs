//! [`PredatorPrey`]: Lotka–Volterra dynamics observed as whole noisy trajectories, the raw
//! input of time-series summary networks.

use crate::batch::Batch;
use crate::benchmarks::population::lotka_volterra_states;
use crate::compose::{VectorizedSimulator, make_vectorized};
use crate::error::{Result, SimError};
use ndarray::{ArrayD, IxDyn};
use rand::{Rng, RngCore};
use rand_distr::StandardNormal;

/// Predator–prey dynamics as a time series: θ = (α, β, γ, δ) with the `lotka_volterra`
/// benchmark's prior (log-normal, log-means −0.125, −3, −0.125, −3, log-sd 0.5),
/// `x' = α x − β x y`, `y' = −γ y + δ x y` from `(30, 1)` over 20 time units (RK4, step
/// 0.01), observed at `points` equally spaced times as `LogNormal(ln u, 0.1²)`.
///
/// Outputs `theta` `(batch, 4)` and `x` `(batch, points, 2)` (prey, predator): the whole
/// trajectory, where the benchmark keeps ten points of each species.
///
/// ```
/// use abi_sim::Simulator;
/// use abi_sim::models::PredatorPrey;
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let batch = PredatorPrey::new(40)?.simulator().sample(3, &mut rng)?;
/// assert_eq!(batch.f64("x")?.shape(), [3, 40, 2]);
/// # Ok::<(), abi_sim::SimError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PredatorPrey {
    points: usize,
}

/// Log-means of the prior of (α, β, γ, δ); the log-sd is [`LOG_SD`].
pub const LOG_MEANS: [f64; 4] = [-0.125, -3.0, -0.125, -3.0];
/// Log-sd of the prior of every parameter.
pub const LOG_SD: f64 = 0.5;

impl PredatorPrey {
    /// Trajectories of `points` (at least 2) observation times.
    pub fn new(points: usize) -> Result<Self> {
        if points < 2 {
            return Err(SimError::invalid(
                "PredatorPrey",
                format!("need at least 2 observation times, got {points}"),
            ));
        }
        Ok(Self { points })
    }

    /// The simulator of `theta` and `x`.
    pub fn simulator(&self) -> VectorizedSimulator {
        let model = *self;
        make_vectorized(move |batch, rng| model.draw(batch, rng))
    }

    /// The observation times, equally spaced over 20 time units.
    pub fn times(&self) -> Vec<f64> {
        let t = self.points;
        (0..t).map(|k| 20.0 * k as f64 / (t - 1) as f64).collect()
    }

    /// Simulates one noisy trajectory per row of the given `theta` `(rows, 4)` (posterior
    /// draws, for a posterior predictive check): `theta` and `x` as from the simulator.
    ///
    /// ```
    /// use abi_sim::models::PredatorPrey;
    /// use rand::SeedableRng;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    /// let model = PredatorPrey::new(20)?;
    /// let theta = ndarray::array![[0.9, 0.05, 0.9, 0.05], [1.1, 0.04, 0.8, 0.06]];
    /// let batch = model.simulate_given(theta.view(), &mut rng)?;
    /// assert_eq!(batch.f64("x")?.shape(), [2, 20, 2]);
    /// assert!(model.simulate_given(ndarray::array![[1.0, -0.1, 1.0, 0.1]].view(), &mut rng).is_err());
    /// # Ok::<(), abi_sim::SimError>(())
    /// ```
    pub fn simulate_given(
        &self,
        theta: ndarray::ArrayView2<'_, f64>,
        rng: &mut dyn RngCore,
    ) -> Result<Batch> {
        if theta.ncols() != 4 || theta.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(SimError::invalid(
                "PredatorPrey::simulate_given",
                format!(
                    "theta must be (rows, 4) with positive finite rates, got shape {:?}",
                    theta.shape()
                ),
            ));
        }
        let times = self.times();
        let mut x = Vec::with_capacity(theta.nrows() * self.points * 2);
        for row in theta.rows() {
            self.observe(&row.to_vec(), &times, &mut x, rng);
        }
        self.batch(theta.iter().copied().collect(), x)
    }

    /// Appends the noisy observations of the trajectory of `p` at `times` to `x`.
    fn observe(&self, p: &[f64], times: &[f64], x: &mut Vec<f64>, rng: &mut dyn RngCore) {
        for s in &lotka_volterra_states(p, times) {
            for &v in s {
                // a state that escaped to infinity (or NaN) reads as the ceiling
                let v = if v.is_finite() {
                    v.clamp(1e-10, 1e4)
                } else {
                    1e4
                };
                let noise: f64 = rng.sample(StandardNormal);
                x.push((v.ln() + 0.1 * noise).exp());
            }
        }
    }

    fn draw(&self, batch: usize, rng: &mut dyn RngCore) -> Result<Batch> {
        let times = self.times();
        let mut theta = Vec::with_capacity(batch * 4);
        let mut x = Vec::with_capacity(batch * self.points * 2);
        for _ in 0..batch {
            let p: Vec<f64> = LOG_MEANS
                .iter()
                .map(|m| (m + LOG_SD * rng.sample::<f64, _>(StandardNormal)).exp())
                .collect();
            self.observe(&p, &times, &mut x, rng);
            theta.extend(p);
        }
        self.batch(theta, x)
    }

    fn batch(&self, theta: Vec<f64>, x: Vec<f64>) -> Result<Batch> {
        let (batch, t) = (theta.len() / 4, self.points);
        let array = |shape: &[usize], v: Vec<f64>| {
            ArrayD::from_shape_vec(IxDyn(shape), v)
                .map_err(|e| SimError::invalid("PredatorPrey", e.to_string()))
        };
        let mut out = Batch::new();
        out.insert("theta", array(&[batch, 4], theta)?)?;
        out.insert("x", array(&[batch, t, 2], x)?)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Simulator;
    use rand::SeedableRng;

    #[test]
    fn given_parameters_reproduce_the_simulators_trajectories_up_to_the_noise() {
        let model = PredatorPrey::new(30).unwrap_or_else(|e| panic!("{e}"));
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let sims = model
            .simulator()
            .sample(20, &mut rng)
            .unwrap_or_else(|e| panic!("{e}"));
        let theta = sims.f64("theta").unwrap_or_else(|e| panic!("{e}"));
        let theta = theta
            .view()
            .into_dimensionality::<ndarray::Ix2>()
            .unwrap_or_else(|e| panic!("{e}"));
        let again = model
            .simulate_given(theta, &mut rng)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            again.f64("theta").unwrap_or_else(|e| panic!("{e}")),
            sims.f64("theta").unwrap_or_else(|e| panic!("{e}"))
        );
        let (a, b) = (
            sims.f64("x").unwrap_or_else(|e| panic!("{e}")),
            again.f64("x").unwrap_or_else(|e| panic!("{e}")),
        );
        // two draws of log-normal noise of sd 0.1 around one trajectory: log differences of sd 0.14
        let d: Vec<f64> = a.iter().zip(b.iter()).map(|(u, v)| (u / v).ln()).collect();
        let sd = (d.iter().map(|v| v * v).sum::<f64>() / d.len() as f64).sqrt();
        assert!(
            (sd - 0.1 * 2f64.sqrt()).abs() < 0.02,
            "log differences of sd {sd}"
        );
    }
}
