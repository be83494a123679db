//! [`make_simulator`]: a simulator composed of per-draw functions, batched automatically.

use crate::array::Array;
use crate::batch::Batch;
use crate::error::{Result, SimError};
use crate::panics::catching;
use crate::simulator::{Simulator, check_finite, draw_rng};
use crate::vars::{Value, Vars};
use ndarray::{ArrayD, IxDyn};
use rand::RngCore;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// The error type user simulation functions may return (any error converts with `?`).
pub type FnError = Box<dyn std::error::Error + Send + Sync>;

type DrawFn =
    Box<dyn Fn(&Vars, &mut ChaCha8Rng) -> std::result::Result<Vars, FnError> + Send + Sync>;
type MetaFn = Box<dyn Fn(&mut ChaCha8Rng) -> std::result::Result<Vars, FnError> + Send + Sync>;

/// Starts a simulator composed of per-draw functions (BayesFlow's `make_simulator`).
///
/// Each function receives the values of the functions before it (and of the meta function)
/// by name, and an RNG of its own draw. Functions run once per draw, in parallel over the
/// batch; their outputs are stacked into `(batch, ...)` arrays. An optional meta function runs
/// once per batch (e.g. to draw the number of observations `n`), so data shapes may vary
/// between batches; its values are passed to every function and returned repeated per row.
///
/// ```
/// use abi_sim::{make_simulator, Simulator, Vars};
/// use rand::{Rng, SeedableRng};
/// use rand_distr::{Distribution, Normal};
///
/// let sim = make_simulator()
///     .meta(|rng| Ok(Vars::new().with("n", rng.random_range(5..=10) as f64)))
///     .then("prior", |_, rng| Ok(Vars::new().with("mu", Normal::new(0.0, 1.0)?.sample(rng))))
///     .then("likelihood", |v, rng| {
///         let (mu, n) = (v.scalar("mu")?, v.count("n")?);
///         let noise = Normal::new(0.0, 1.0)?;
///         Ok(Vars::new().with("x", (0..n).map(|_| mu + noise.sample(rng)).collect::<Vec<_>>()))
///     });
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
/// let batch = sim.sample(32, &mut rng)?;
/// let n = batch.f64("n")?[[0]] as usize;
/// assert_eq!(batch.get("x")?.shape(), &[32, n]);
/// # Ok::<(), abi_sim::SimError>(())
/// ```
pub fn make_simulator() -> ComposedSimulator {
    ComposedSimulator {
        meta: None,
        steps: Vec::new(),
        parallel: true,
        check_finite: true,
        padded: Vec::new(),
        expand_scalars: false,
    }
}

/// A simulator built from per-draw functions; see [`make_simulator`].
pub struct ComposedSimulator {
    meta: Option<MetaFn>,
    steps: Vec<(String, DrawFn)>,
    parallel: bool,
    padded: Vec<String>,
    expand_scalars: bool,
    check_finite: bool,
}

impl std::fmt::Debug for ComposedSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComposedSimulator")
            .field("meta", &self.meta.is_some())
            .field(
                "steps",
                &self.steps.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("parallel", &self.parallel)
            .finish()
    }
}

impl ComposedSimulator {
    /// Sets the function drawn once per batch.
    pub fn meta(
        mut self,
        f: impl Fn(&mut ChaCha8Rng) -> std::result::Result<Vars, FnError> + Send + Sync + 'static,
    ) -> Self {
        self.meta = Some(Box::new(f));
        self
    }

    /// Appends a per-draw function under a name (used in error messages).
    pub fn then(
        mut self,
        name: impl Into<String>,
        f: impl Fn(&Vars, &mut ChaCha8Rng) -> std::result::Result<Vars, FnError> + Send + Sync + 'static,
    ) -> Self {
        self.steps.push((name.into(), Box::new(f)));
        self
    }

    /// Runs draws on the rayon pool (default) or on the calling thread.
    pub fn parallel(mut self, parallel: bool) -> Self {
        self.parallel = parallel;
        self
    }

    /// Turns off the check for non-finite outputs (use a [`Checked`](crate::Checked) wrapper
    /// with [`NonFinitePolicy::Drop`](crate::NonFinitePolicy) to drop such draws instead).
    pub fn allow_non_finite(mut self) -> Self {
        self.check_finite = false;
        self
    }

    /// Lets the entries `names` have a different number of observations (first axis) in each
    /// draw of a batch: they are padded with zeros to the longest and come with a mask entry
    /// `mask_<name>` `(batch, n)`, 1 for a real observation and 0 for padding (the slides'
    /// second strategy for data sets of varying size; the first is a meta function).
    pub fn pad(mut self, names: &[&str]) -> Self {
        self.padded.extend(names.iter().map(|n| n.to_string()));
        self
    }

    /// Gives scalar outputs a trailing axis, `(batch, 1)` instead of `(batch,)` (BayesFlow's
    /// `expand_outputs`), so they concatenate with vector outputs.
    pub fn expand_scalars(mut self, expand: bool) -> Self {
        self.expand_scalars = expand;
        self
    }

    /// Draw `index`: every step in turn, each seeing the values before it; a value of
    /// `given` replaces what a step draws under its name (and is returned as given).
    fn draw(&self, meta: &Vars, given: &Vars, seed: u64, index: usize) -> Result<Vars> {
        let mut rng = draw_rng(seed, index as u64);
        let mut vars = meta.clone();
        let mut outputs = Vars::new();
        for (key, value) in given.iter() {
            vars.set(key, value.clone());
            outputs.set(key, value.clone());
        }
        for (name, step) in &self.steps {
            let out = catching(|| step(&vars, &mut rng)).map_err(|reason| SimError::Function {
                function: name.clone(),
                draw: index,
                reason,
            })?;
            for (key, value) in out.iter() {
                if given.get(key).is_ok() {
                    continue;
                }
                if vars.get(key).is_ok() {
                    return Err(SimError::Duplicate(format!(
                        "{key} (set again by `{name}` at draw {index})"
                    )));
                }
                vars.set(key, value.clone());
                outputs.set(key, value.clone());
            }
        }
        Ok(outputs)
    }

    /// Simulates one draw per row of `given`, with the row's values in place of what the
    /// steps would draw under those names: e.g. data for given parameters θ (sbi's
    /// `simulator(θ)`, BayesFlow's `sample` with replaced inputs), for posterior predictive
    /// checks and sequential rounds. The batch holds the given entries and everything else
    /// the steps produce.
    ///
    /// ```
    /// use abi_sim::{make_simulator, Batch, Vars};
    /// use rand::SeedableRng;
    /// use rand_distr::{Distribution, Normal};
    ///
    /// let sim = make_simulator()
    ///     .then("prior", |_, rng| Ok(Vars::new().with("mu", Normal::new(0.0, 1.0)?.sample(rng))))
    ///     .then("likelihood", |v, rng| {
    ///         Ok(Vars::new().with("x", v.scalar("mu")? + 0.01 * Normal::new(0.0, 1.0)?.sample(rng)))
    ///     });
    /// let mut given = Batch::new();
    /// given.insert("mu", ndarray::array![5.0, -5.0].into_dyn())?;
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    /// let sims = sim.sample_given(&given, &mut rng)?;
    /// assert!((sims.f64("x")?[[1]] + 5.0).abs() < 0.1);
    /// # Ok::<(), abi_sim::SimError>(())
    /// ```
    pub fn sample_given(&self, given: &Batch, rng: &mut dyn RngCore) -> Result<Batch> {
        let rows = given
            .batch_size()
            .filter(|&r| r > 0)
            .ok_or_else(|| SimError::invalid("sample_given", "the given batch holds no rows"))?;
        let mut per_row = vec![Vars::new(); rows];
        for (name, array) in given.iter() {
            let a = array.to_f64();
            let shape = a.shape()[1..].to_vec();
            for (i, row) in a.outer_iter().enumerate() {
                per_row[i].set(
                    name,
                    Value::array(shape.clone(), row.iter().copied().collect())?,
                );
            }
        }
        self.simulate_rows(&per_row, rng)
    }

    fn simulate_rows(&self, given: &[Vars], rng: &mut dyn RngCore) -> Result<Batch> {
        let batch_size = given.len();
        let seed = rng.next_u64();
        let meta = match &self.meta {
            Some(f) => catching(|| f(&mut draw_rng(seed, u64::MAX))).map_err(|reason| {
                SimError::Function {
                    function: "meta".into(),
                    draw: 0,
                    reason,
                }
            })?,
            None => Vars::new(),
        };
        let draws: Vec<Vars> = if self.parallel {
            (0..batch_size)
                .into_par_iter()
                .map(|i| self.draw(&meta, &given[i], seed, i))
                .collect::<Result<_>>()?
        } else {
            (0..batch_size)
                .map(|i| self.draw(&meta, &given[i], seed, i))
                .collect::<Result<_>>()?
        };
        let mut batch = Batch::new();
        for name in draws[0].names() {
            if self.padded.iter().any(|p| p == name) {
                let arrays: Vec<ArrayD<f64>> = draws
                    .iter()
                    .map(|d| d.get(name).map(value_array))
                    .collect::<Result<_>>()?;
                let (x, mask) = crate::padding::pad_ragged(name, &arrays, 0.0)?;
                batch.insert(name, x)?;
                batch.insert(crate::padding::mask_name(name), mask)?;
                continue;
            }
            let stacked = stack(name, &draws)?;
            let stacked = match stacked {
                Array::F64(a) if self.expand_scalars && a.ndim() == 1 => {
                    Array::F64(a.insert_axis(ndarray::Axis(1)))
                }
                other => other,
            };
            batch.insert(name, stacked)?;
        }
        for (name, value) in meta.iter() {
            batch.insert(name, Array::broadcast_rows(&value_array(value), batch_size))?;
        }
        if self.check_finite {
            check_finite(&batch)?;
        }
        Ok(batch)
    }
}

fn stack(name: &str, draws: &[Vars]) -> Result<Array> {
    let first = draws[0].get(name)?;
    let mut shape = vec![draws.len()];
    shape.extend_from_slice(first.shape());
    let mut data = Vec::with_capacity(shape.iter().product());
    for (i, d) in draws.iter().enumerate() {
        let v = d.get(name)?;
        if v.shape() != first.shape() {
            return Err(SimError::Shape {
                name: name.to_string(),
                expected: first.shape().to_vec(),
                got: v.shape().to_vec(),
                context: format!(
                    "draw {i} of one batch; vary shapes between batches with a meta function"
                ),
            });
        }
        data.extend_from_slice(v.data());
    }
    Ok(Array::F64(
        ArrayD::from_shape_vec(IxDyn(&shape), data)
            .unwrap_or_else(|_| unreachable!("length matches the shape")),
    ))
}

fn value_array(v: &Value) -> ArrayD<f64> {
    ArrayD::from_shape_vec(IxDyn(v.shape()), v.data().to_vec())
        .unwrap_or_else(|_| unreachable!("a Value's data fills its shape"))
}

impl Simulator for ComposedSimulator {
    fn sample(&self, batch_size: usize, rng: &mut dyn RngCore) -> Result<Batch> {
        if batch_size == 0 || batch_size > crate::limits::MAX_ARRAY_ELEMENTS {
            return Err(SimError::invalid(
                "sample",
                format!(
                    "the batch size must be in 1..={}, got {batch_size}",
                    crate::limits::MAX_ARRAY_ELEMENTS
                ),
            ));
        }
        self.simulate_rows(&vec![Vars::new(); batch_size], rng)
    }
}

type BatchFn = Box<dyn Fn(usize, &mut dyn RngCore) -> Result<Batch> + Send + Sync>;

/// A simulator from a user function that draws a whole batch at once (fully vectorised).
///
/// The output is checked: every entry must have `batch_size` rows and finite values.
pub fn make_vectorized(
    f: impl Fn(usize, &mut dyn RngCore) -> Result<Batch> + Send + Sync + 'static,
) -> VectorizedSimulator {
    VectorizedSimulator { f: Box::new(f) }
}

/// See [`make_vectorized`].
pub struct VectorizedSimulator {
    f: BatchFn,
}

impl std::fmt::Debug for VectorizedSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VectorizedSimulator")
    }
}

impl Simulator for VectorizedSimulator {
    fn sample(&self, batch_size: usize, rng: &mut dyn RngCore) -> Result<Batch> {
        let batch = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            (self.f)(batch_size, rng)
        })) {
            Ok(result) => result?,
            Err(payload) => {
                return Err(SimError::Function {
                    function: "vectorized simulator".into(),
                    draw: 0,
                    reason: format!(
                        "panicked: {}",
                        crate::panics::panic_message(payload.as_ref())
                    ),
                });
            }
        };
        batch.validate()?;
        if let Some(rows) = batch.batch_size() {
            if rows != batch_size {
                let name = batch.names().next().unwrap_or_default().to_string();
                return Err(SimError::BatchSize {
                    name,
                    expected: batch_size,
                    got: rows,
                });
            }
        }
        check_finite(&batch)?;
        Ok(batch)
    }
}
