//! [`GaussianMeans`]: BayesFlow's quickstart model, a set of exchangeable Gaussian draws.

use crate::batch::Batch;
use crate::compose::{VectorizedSimulator, make_vectorized};
use crate::error::{Result, SimError};
use crate::padding::{mask_name, pad_ragged};
use ndarray::{ArrayD, ArrayView2, IxDyn};
use rand::{Rng, RngCore};
use rand_distr::StandardNormal;

/// How many observations each data set has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetSize {
    /// Always `n`.
    Fixed(usize),
    /// Drawn uniformly from `lo..=hi` once per batch: every data set of a batch has the same
    /// size, batches differ.
    PerBatch(usize, usize),
    /// Drawn uniformly from `lo..=hi` for every data set; `x` is padded to the largest size in
    /// the batch, with the mask `mask_x`.
    PerDataSet(usize, usize),
}

/// μ ~ N(0, I_D), x₁ … x_N | μ ~ N(μ, I_D) independently (BayesFlow's quickstart, D = 4,
/// N = 50). The posterior is `N(Σ xᵢ / (N + 1), I / (N + 1))` ([`GaussianMeans::posterior`]).
///
/// Entries: `mu` `(batch, D)`, `x` `(batch, N, D)`, `n` `(batch, 1)` (the number of real
/// observations) and, for [`SetSize::PerDataSet`], `mask_x` `(batch, N)`.
///
/// ```
/// use abi_sim::models::{GaussianMeans, SetSize};
/// use abi_sim::Simulator;
/// use rand::SeedableRng;
/// let model = GaussianMeans::new(4, SetSize::Fixed(50))?;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let batch = model.simulator().sample(32, &mut rng)?;
/// assert_eq!(batch.get("x")?.shape(), &[32, 50, 4]);
/// # Ok::<(), abi_sim::SimError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GaussianMeans {
    dim: usize,
    size: SetSize,
}

impl GaussianMeans {
    /// The model in `dim` dimensions with data sets of `size`.
    pub fn new(dim: usize, size: SetSize) -> Result<Self> {
        let ok = match size {
            SetSize::Fixed(n) => n > 0,
            SetSize::PerBatch(lo, hi) | SetSize::PerDataSet(lo, hi) => lo > 0 && lo <= hi,
        };
        if dim == 0 || !ok {
            return Err(SimError::invalid(
                "GaussianMeans",
                format!("need dim > 0 and set sizes 0 < lo <= hi, got dim {dim} and {size:?}"),
            ));
        }
        Ok(Self { dim, size })
    }

    /// The dimension D.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The simulator (vectorised, deterministic for a seeded RNG).
    pub fn simulator(&self) -> VectorizedSimulator {
        let model = *self;
        make_vectorized(move |batch, rng| model.draw(batch, rng))
    }

    fn draw(&self, batch: usize, rng: &mut dyn RngCore) -> Result<Batch> {
        let d = self.dim;
        let sizes: Vec<usize> = match self.size {
            SetSize::Fixed(n) => vec![n; batch],
            SetSize::PerBatch(lo, hi) => vec![rng.random_range(lo..=hi); batch],
            SetSize::PerDataSet(lo, hi) => (0..batch).map(|_| rng.random_range(lo..=hi)).collect(),
        };
        let mut normal = || -> f64 { rng.sample(StandardNormal) };
        let mut mu = Vec::with_capacity(batch * d);
        let mut sets = Vec::with_capacity(batch);
        for &n in &sizes {
            let m: Vec<f64> = (0..d).map(|_| normal()).collect();
            let x: Vec<f64> = (0..n * d).map(|i| m[i % d] + normal()).collect();
            mu.extend(m);
            sets.push(
                ArrayD::from_shape_vec(IxDyn(&[n, d]), x)
                    .map_err(|e| SimError::invalid("GaussianMeans", e.to_string()))?,
            );
        }
        let mut out = Batch::new();
        let array = |shape: &[usize], v: Vec<f64>| {
            ArrayD::from_shape_vec(IxDyn(shape), v)
                .map_err(|e| SimError::invalid("GaussianMeans", e.to_string()))
        };
        out.insert("mu", array(&[batch, d], mu)?)?;
        let (x, mask) = pad_ragged("x", &sets, 0.0)?;
        out.insert("x", x)?;
        if matches!(self.size, SetSize::PerDataSet(..)) {
            out.insert(mask_name("x"), mask)?;
        }
        let n: Vec<f64> = sizes.iter().map(|&n| n as f64).collect();
        out.insert("n", array(&[batch, 1], n)?)?;
        Ok(out)
    }

    /// The exact posterior of μ given one data set `x` `(N, D)` of real observations: its
    /// mean `Σ xᵢ / (N + 1)` and its variance `1 / (N + 1)` (the same in every dimension).
    pub fn posterior(&self, x: ArrayView2<'_, f64>) -> Result<(Vec<f64>, f64)> {
        if x.ncols() != self.dim {
            return Err(SimError::invalid(
                "GaussianMeans::posterior",
                format!("x has {} columns, the model {}", x.ncols(), self.dim),
            ));
        }
        let n = x.nrows() as f64;
        let mean = x
            .columns()
            .into_iter()
            .map(|c| c.sum() / (n + 1.0))
            .collect();
        Ok((mean, 1.0 / (n + 1.0)))
    }
}
