//! Coordinate-wise slice sampling (Neal, 2003, "Slice sampling": stepping out, then
//! shrinkage) of many chains in lockstep, the way sbi's vectorised slice sampler runs: every
//! evaluation the chains need at one moment goes to the density in one batch.

use crate::chains::Chains;
use crate::density::LogDensity;
use crate::error::{McmcError, Result};
use crate::progress::progress_bar;
use ndarray::{Array2, Array3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Settings of [`slice_sample`].
#[derive(Debug, Clone, PartialEq)]
pub struct SliceOptions {
    /// Chains moved together (100).
    pub chains: usize,
    /// Sweeps (one update of every coordinate) discarded at the start of each chain (500); the
    /// slice widths adapt during them.
    pub warmup: usize,
    /// Sweeps between kept draws (10).
    pub thin: usize,
    /// Initial width of the slice interval in every coordinate (0.5).
    pub width: f64,
    /// Most steps of stepping out on both sides together (50).
    pub max_steps: usize,
    /// Show a progress bar over the sweeps (only on a terminal).
    pub progress: bool,
}

impl Default for SliceOptions {
    fn default() -> Self {
        Self {
            chains: 100,
            warmup: 500,
            thin: 10,
            width: 0.5,
            max_steps: 50,
            progress: true,
        }
    }
}

impl SliceOptions {
    /// The same settings without a progress bar.
    pub fn quiet(mut self) -> Self {
        self.progress = false;
        self
    }

    fn check(&self) -> Result<()> {
        let valid = self.chains > 0
            && self.thin > 0
            && self.max_steps > 0
            && self.width.is_finite()
            && self.width > 0.0;
        if valid {
            Ok(())
        } else {
            Err(McmcError::invalid(
                "SliceOptions",
                format!(
                    "chains, thin and max_steps must be positive and width positive and finite, got {self:?}"
                ),
            ))
        }
    }
}

/// The random stream of chain `chain` for `seed`: chains never share a stream, and a chain's
/// draws do not depend on how many others run beside it.
pub fn chain_rng(seed: u64, chain: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(chain as u64);
    rng
}

/// Draws `n` samples (at least; every chain keeps `⌈n / chains⌉`) from `exp(density)` by
/// coordinate-wise slice sampling in `options.chains` chains started at `inits` (one start
/// per chain, cycled when there are fewer). Deterministic for a seed: chain `c` draws from
/// [`chain_rng`]`(seed, c)` alone.
///
/// ```
/// use abi_mcmc::{Pointwise, SliceOptions, slice_sample};
/// let normal = Pointwise::new(2, |x: &[f64]| -0.5 * (x[0] * x[0] + x[1] * x[1]));
/// let opts = SliceOptions { chains: 8, warmup: 50, thin: 2, ..Default::default() }.quiet();
/// let chains = slice_sample(&normal, &[vec![0.0, 0.0]], 2_000, &opts, 7).unwrap();
/// let draws = chains.take(2_000).unwrap();
/// assert!(draws.column(0).mean().unwrap().abs() < 0.15);
/// assert!(chains.split_rhat().iter().all(|r| *r < 1.05));
/// ```
pub fn slice_sample(
    density: &impl LogDensity,
    inits: &[Vec<f64>],
    n: usize,
    options: &SliceOptions,
    seed: u64,
) -> Result<Chains> {
    slice_sample_with(density, |_, _| {}, inits, n, options, seed)
}

/// [`slice_sample`] with an extra move after every sweep: `symmetry` may move a chain's state
/// by a map that leaves the density unchanged (e.g. a sign flip of parameters that enter a
/// likelihood squared), an exact move that carries chains between symmetric modes.
pub fn slice_sample_with(
    density: &impl LogDensity,
    symmetry: impl Fn(&mut [f64], &mut ChaCha8Rng),
    inits: &[Vec<f64>],
    n: usize,
    options: &SliceOptions,
    seed: u64,
) -> Result<Chains> {
    options.check()?;
    let dim = density.dim();
    if dim == 0 || inits.is_empty() || inits.iter().any(|s| s.len() != dim) {
        return Err(McmcError::invalid(
            "slice_sample",
            format!(
                "needs starting points of the density's dimension {dim}, got {} of dimensions {:?}",
                inits.len(),
                inits.iter().map(Vec::len).collect::<Vec<_>>()
            ),
        ));
    }
    let chains = options.chains;
    let per_chain = n.div_ceil(chains);
    let mut state = State::start(density, inits, chains, options, seed)?;
    let sweeps = options.warmup + per_chain * options.thin;
    let bar = progress_bar(sweeps as u64, "slice sampling", options.progress);
    let mut moved = Array2::<f64>::zeros((chains, dim));
    for sweep in 0..options.warmup {
        state.sweep(&mut moved)?;
        state.apply(&symmetry);
        // widths follow each chain's typical move, over windows of 25 sweeps
        if (sweep + 1) % 25 == 0 {
            state
                .width
                .zip_mut_with(&moved, |w, m| *w = (2.0 * m / 25.0).max(1e-6));
            moved.fill(0.0);
        }
        bar.inc(1);
    }
    let mut out = Array3::zeros((chains, per_chain, dim));
    for i in 0..per_chain {
        for _ in 0..options.thin {
            state.sweep(&mut moved)?;
            state.apply(&symmetry);
            bar.inc(1);
        }
        for c in 0..chains {
            out.slice_mut(ndarray::s![c, i, ..]).assign(&state.x.row(c));
        }
    }
    bar.finish_and_clear();
    Ok(Chains::new(out, state.evaluations))
}

/// All chains' positions, log densities, slice widths and random streams.
struct State<'a, D> {
    density: &'a D,
    x: Array2<f64>,
    lp: Vec<f64>,
    width: Array2<f64>,
    rngs: Vec<ChaCha8Rng>,
    max_steps: usize,
    evaluations: u64,
}

impl<'a, D: LogDensity> State<'a, D> {
    fn start(
        density: &'a D,
        inits: &[Vec<f64>],
        chains: usize,
        options: &SliceOptions,
        seed: u64,
    ) -> Result<Self> {
        let dim = density.dim();
        let x = Array2::from_shape_fn((chains, dim), |(c, j)| inits[c % inits.len()][j]);
        let mut state = Self {
            density,
            lp: Vec::new(),
            width: Array2::from_elem((chains, dim), options.width),
            rngs: (0..chains).map(|c| chain_rng(seed, c)).collect(),
            max_steps: options.max_steps,
            evaluations: 0,
            x,
        };
        let all: Vec<usize> = (0..chains).collect();
        let points = state.x.clone();
        state.lp = state.evaluate(&all, &points)?;
        if let Some(c) = state.lp.iter().position(|l| !l.is_finite()) {
            return Err(McmcError::invalid(
                "slice_sample",
                format!(
                    "starting point of chain {c} ({:?}) has no finite log density",
                    state.x.row(c).to_vec()
                ),
            ));
        }
        Ok(state)
    }

    /// The density at `points`, one row for each chain in `rows`; NaN becomes −∞.
    fn evaluate(&mut self, rows: &[usize], points: &Array2<f64>) -> Result<Vec<f64>> {
        let values = self.density.log_density(points.view())?;
        if values.len() != rows.len() {
            return Err(McmcError::invalid(
                "LogDensity::log_density",
                format!("returned {} values for {} points", values.len(), rows.len()),
            ));
        }
        self.evaluations += rows.len() as u64;
        Ok(values
            .into_iter()
            .map(|v| if v.is_nan() { f64::NEG_INFINITY } else { v })
            .collect())
    }

    /// The density with coordinate `j` of chain `rows[k]` set to `values[k]`.
    fn evaluate_at(&mut self, j: usize, rows: &[usize], values: &[f64]) -> Result<Vec<f64>> {
        let mut points = Array2::zeros((rows.len(), self.x.ncols()));
        for (k, (&c, &v)) in rows.iter().zip(values).enumerate() {
            points.row_mut(k).assign(&self.x.row(c));
            points[[k, j]] = v;
        }
        self.evaluate(rows, &points)
    }

    fn apply(&mut self, symmetry: &impl Fn(&mut [f64], &mut ChaCha8Rng)) {
        for (c, rng) in self.rngs.iter_mut().enumerate() {
            let mut row = self.x.row(c).to_vec();
            symmetry(&mut row, rng);
            self.x.row_mut(c).assign(&ndarray::ArrayView1::from(&row));
        }
    }

    /// Updates every coordinate of every chain once, adding the size of each move to `moved`.
    fn sweep(&mut self, moved: &mut Array2<f64>) -> Result<()> {
        for j in 0..self.x.ncols() {
            let before = self.x.column(j).to_owned();
            self.update(j)?;
            for (c, b) in before.iter().enumerate() {
                moved[[c, j]] += (self.x[[c, j]] - b).abs();
            }
        }
        Ok(())
    }

    /// One slice-sampling update of coordinate `j` in every chain.
    fn update(&mut self, j: usize) -> Result<()> {
        let chains = self.x.nrows();
        let mut level = vec![0.0; chains];
        let mut lo = vec![0.0; chains];
        let mut hi = vec![0.0; chains];
        let mut steps_lo = vec![0usize; chains];
        let mut steps_hi = vec![0usize; chains];
        for c in 0..chains {
            let rng = &mut self.rngs[c];
            level[c] = self.lp[c] + rng.random::<f64>().max(f64::MIN_POSITIVE).ln();
            let w = self.width[[c, j]];
            lo[c] = self.x[[c, j]] - w * rng.random::<f64>();
            hi[c] = lo[c] + w;
            steps_lo[c] = rng.random_range(0..self.max_steps);
            steps_hi[c] = self.max_steps - 1 - steps_lo[c];
        }
        // stepping out: both ends of every chain's interval in one batch per step
        loop {
            let mut rows = Vec::new();
            let mut values = Vec::new();
            let mut ends = Vec::new();
            for c in 0..chains {
                if steps_lo[c] > 0 {
                    rows.push(c);
                    values.push(lo[c]);
                    ends.push(false);
                }
                if steps_hi[c] > 0 {
                    rows.push(c);
                    values.push(hi[c]);
                    ends.push(true);
                }
            }
            if rows.is_empty() {
                break;
            }
            let lps = self.evaluate_at(j, &rows, &values)?;
            for ((&c, &upper), lp) in rows.iter().zip(&ends).zip(lps) {
                let w = self.width[[c, j]];
                match (upper, lp > level[c]) {
                    (false, true) => {
                        lo[c] -= w;
                        steps_lo[c] -= 1;
                    }
                    (true, true) => {
                        hi[c] += w;
                        steps_hi[c] -= 1;
                    }
                    (false, false) => steps_lo[c] = 0,
                    (true, false) => steps_hi[c] = 0,
                }
            }
        }
        // shrinkage until every chain has accepted a point of its slice
        let mut active: Vec<usize> = (0..chains).collect();
        while !active.is_empty() {
            let proposals: Vec<f64> = active
                .iter()
                .map(|&c| self.rngs[c].random_range(lo[c]..hi[c]))
                .collect();
            let lps = self.evaluate_at(j, &active, &proposals)?;
            let mut still = Vec::with_capacity(active.len());
            for ((&c, &v), lp) in active.iter().zip(&proposals).zip(lps) {
                if lp > level[c] {
                    self.x[[c, j]] = v;
                    self.lp[c] = lp;
                    continue;
                }
                if v < self.x[[c, j]] {
                    lo[c] = v;
                } else {
                    hi[c] = v;
                }
                // a slice shrunk onto the current point keeps it
                if hi[c] - lo[c] >= 1e-12 {
                    still.push(c);
                }
            }
            active = still;
        }
        Ok(())
    }
}
