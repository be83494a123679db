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

    fn draw(&self, batch: usize, rng: &mut dyn RngCore) -> Result<Batch> {
        let t = self.points;
        let times: Vec<f64> = (0..t).map(|k| 20.0 * k as f64 / (t - 1) as f64).collect();
        let mut theta = Vec::with_capacity(batch * 4);
        let mut x = Vec::with_capacity(batch * t * 2);
        for _ in 0..batch {
            let p: Vec<f64> = LOG_MEANS
                .iter()
                .map(|m| (m + LOG_SD * rng.sample::<f64, _>(StandardNormal)).exp())
                .collect();
            let states = lotka_volterra_states(&p, &times);
            for s in &states {
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
            theta.extend(p);
        }
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
