//! The backend conformance kit: every backend crate runs it (feature `conformance`).
//!
//! Each family function returns the list of failures (empty when the backend conforms), so a
//! test can also show that a deliberately wrong backend is caught. The
//! [`conformance_tests!`](crate::conformance_tests) macro turns the families into `#[test]`s:
//!
//! ```ignore
//! abi_tensor::conformance_tests!(abi_ndarray::NdArray<f64>, Default::default());
//! ```
//!
//! What is checked:
//! - forward values of every operation against host reference computations;
//! - gradients of every differentiable operation against central finite differences
//!   (tolerances follow the element type: tight in `f64`, loose in `f32`);
//! - NumPy broadcasting in values and gradients (reduction back to the operand's shape);
//! - autodiff semantics: no-grad mode, `detach`, accumulation, vector–Jacobian products,
//!   gradients with respect to inputs;
//! - shape and argument errors are typed errors naming the operation, never panics.

mod elementwise;
mod gradcheck;
mod recurrent;
mod semantics;
mod spline;
mod structural;

pub use gradcheck::{TensorFn, Tolerance, check_gradients};

use crate::backend::Backend;
use crate::error::TensorError;
use crate::tensor::Tensor;

/// One conformance failure: which case and what was wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The case, e.g. `unary/tanh/grad`.
    pub case: String,
    /// What differed.
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.case, self.message)
    }
}

/// Collects failures while running the cases of one family.
#[derive(Debug, Default)]
pub struct Report {
    failures: Vec<Failure>,
}

impl Report {
    /// Records the outcome of one case.
    pub fn record(&mut self, case: impl Into<String>, outcome: Result<(), String>) {
        if let Err(message) = outcome {
            self.failures.push(Failure {
                case: case.into(),
                message,
            });
        }
    }

    /// The failures recorded.
    pub fn into_failures(self) -> Vec<Failure> {
        self.failures
    }
}

/// One family of checks: runs on a device and returns its failures.
pub type Family<B> = fn(&<B as Backend>::Device) -> Vec<Failure>;

/// The families of checks, by name.
pub fn families<B: Backend>() -> Vec<(&'static str, Family<B>)> {
    vec![
        ("unary", elementwise::unary::<B>),
        ("binary", elementwise::binary::<B>),
        ("compare_where", elementwise::compare_where::<B>),
        ("broadcasting", elementwise::broadcasting::<B>),
        ("matmul", structural::matmul::<B>),
        ("reduce", structural::reduce::<B>),
        ("shape", structural::shape_ops::<B>),
        ("index", structural::index_ops::<B>),
        ("composite", structural::composite::<B>),
        ("spline", spline::spline::<B>),
        ("recurrent", recurrent::recurrent::<B>),
        ("autodiff", semantics::autodiff::<B>),
        ("errors", semantics::errors::<B>),
    ]
}

/// Runs every family and returns all failures.
pub fn run_all<B: Backend>(device: &B::Device) -> Vec<Failure> {
    families::<B>()
        .into_iter()
        .flat_map(|(_, f)| f(device))
        .collect()
}

/// Panics with a readable list when `failures` is not empty (for use in tests).
pub fn assert_passes(family: &str, failures: &[Failure]) {
    if !failures.is_empty() {
        let list: Vec<String> = failures.iter().map(|f| format!("  - {f}")).collect();
        panic!(
            "conformance family `{family}`: {} failure(s)\n{}",
            failures.len(),
            list.join("\n")
        );
    }
}

/// Generates one `#[test]` per conformance family for a backend type and a device expression.
#[macro_export]
macro_rules! conformance_tests {
    ($backend:ty, $device:expr) => {
        $crate::conformance_tests!(@family $backend, $device,
            unary, binary, compare_where, broadcasting, matmul, reduce, shape, index,
            composite, spline, recurrent, autodiff, errors);
    };
    (@family $backend:ty, $device:expr, $($family:ident),*) => {
        $(
            #[test]
            fn $family() {
                let device = $device;
                let (_, run) = $crate::conformance::families::<$backend>()
                    .into_iter()
                    .find(|(name, _)| *name == stringify!($family))
                    .expect("family exists");
                $crate::conformance::assert_passes(stringify!($family), &run(&device));
            }
        )*
    };
}

pub(crate) fn t<B: Backend>(
    data: &[f64],
    shape: &[usize],
    device: &B::Device,
) -> Result<Tensor<B>, String> {
    Tensor::from_f64(data, shape, device).map_err(|e| e.to_string())
}

pub(crate) fn err(e: TensorError) -> String {
    e.to_string()
}

/// Checks values against a reference within the backend's value tolerance.
pub(crate) fn check_values<B: Backend>(
    got: &Tensor<B>,
    want: &[f64],
    want_shape: &[usize],
) -> Result<(), String> {
    if got.shape() != want_shape {
        return Err(format!("shape {:?}, expected {want_shape:?}", got.shape()));
    }
    let tol = Tolerance::for_backend::<B>();
    let values = got.to_f64_vec().map_err(err)?;
    for (i, (g, w)) in values.iter().zip(want).enumerate() {
        let ok = (g - w).abs() <= tol.value_atol + tol.value_rtol * w.abs()
            || (g.is_nan() && w.is_nan())
            || (g.is_infinite() && g == w);
        if !ok {
            return Err(format!("element {i}: got {g}, expected {w}"));
        }
    }
    Ok(())
}

/// Deterministic pseudo-random values in `[low, high]`, away from zero by `gap` when asked.
pub(crate) fn values(n: usize, seed: u64, low: f64, high: f64) -> Vec<f64> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(low..high)).collect()
}

/// Values of magnitude in `[0.2, 2]` with random signs (away from kinks at zero).
pub(crate) fn signed_values(n: usize, seed: u64) -> Vec<f64> {
    values(n, seed, 0.2, 2.0)
        .into_iter()
        .zip(values(n, seed + 1000, -1.0, 1.0))
        .map(|(m, s)| if s < 0.0 { -m } else { m })
        .collect()
}
