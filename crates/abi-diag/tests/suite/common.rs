//! Seeded posteriors for a conjugate Gaussian model: `θ ~ N(0, 1)`, `x ~ N(θ, 1)` with `obs`
//! observations, so the exact posterior is `N(Σx / (obs + 1), 1 / (obs + 1))`.

use ndarray::{Array2, Array3};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// How the approximate posterior departs from the exact one.
#[derive(Debug, Clone, Copy)]
pub struct Distortion {
    /// factor on the posterior standard deviation (1 exact, > 1 over-, < 1 under-dispersed)
    pub scale: f64,
    /// shift of the posterior mean in posterior standard deviations
    pub shift: f64,
}

pub const EXACT: Distortion = Distortion {
    scale: 1.0,
    shift: 0.0,
};

pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(rng)
}

/// `(draws (n, m, p), truths (n, p))` for `p` independent copies of the model.
pub fn gaussian_posterior(
    n: usize,
    m: usize,
    p: usize,
    obs: usize,
    d: Distortion,
    seed: u64,
) -> (Array3<f64>, Array2<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let truths = Array2::from_shape_fn((n, p), |_| normal(&mut rng));
    let post_var = 1.0 / (obs as f64 + 1.0);
    let mut means = Array2::zeros((n, p));
    for ((i, j), mu) in means.indexed_iter_mut() {
        let sum: f64 = (0..obs).map(|_| truths[[i, j]] + normal(&mut rng)).sum();
        *mu = sum * post_var + d.shift * post_var.sqrt();
    }
    let sd = post_var.sqrt() * d.scale;
    let draws = Array3::from_shape_fn((n, m, p), |(i, _, j)| means[[i, j]] + sd * normal(&mut rng));
    (draws, truths)
}

pub fn gaussian_sample(n: usize, dim: usize, shift: f64, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_fn((n, dim), |(_, j)| {
        normal(&mut rng) + if j == 0 { shift } else { 0.0 }
    })
}
