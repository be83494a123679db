//! Parallel regions that keep their caller's gradient-recording mode.
//!
//! [`no_grad`](crate::no_grad) and [`enable_grad`](crate::enable_grad) switch recording for
//! the calling thread only. A closure handed to rayon runs on whichever worker picks it up —
//! a pool thread, or the caller itself while it waits for another job — and would see that
//! thread's setting: graph-free sampling would record graphs on the workers, or a training
//! job stolen by a thread inside `no_grad` would record nothing. Every parallel region that
//! creates tensors therefore goes through this module, which captures the caller's mode
//! ([`GradMode::current`]) once and runs each piece of work in it. Backends' own kernels
//! parallelise plain arrays and create no tensors on the workers, so they need nothing.
//!
//! ```
//! use abi_tensor::{Backend, Result, Tensor, no_grad, parallel};
//! fn row_norms<B: Backend>(rows: &[Tensor<B>]) -> Result<Vec<Tensor<B>>> {
//!     // graph-free: the workers build no graph, whatever their own setting
//!     no_grad::<B, _>(|| parallel::try_par_map::<B, _, _, _>(rows, |r| r.sum_squares()))
//! }
//! ```

use crate::backend::Backend;
use crate::grad::GradMode;
use rayon::prelude::*;

/// `f` applied to every item on rayon's thread pool, each call in the calling thread's
/// gradient mode; the results in item order.
pub fn par_map<B, I, R, F>(items: I, f: F) -> Vec<R>
where
    B: Backend,
    I: IntoParallelIterator,
    I::Iter: IndexedParallelIterator,
    R: Send,
    F: Fn(I::Item) -> R + Send + Sync,
{
    items
        .into_par_iter()
        .map(GradMode::<B>::current().wrap(f))
        .collect()
}

/// [`par_map`] of a fallible `f`: all results in item order, or one of the errors.
pub fn try_par_map<B, I, T, F>(items: I, f: F) -> crate::Result<Vec<T>>
where
    B: Backend,
    I: IntoParallelIterator,
    I::Iter: IndexedParallelIterator,
    T: Send,
    F: Fn(I::Item) -> crate::Result<T> + Send + Sync,
{
    items
        .into_par_iter()
        .map(GradMode::<B>::current().wrap(f))
        .collect()
}

/// `a` and `b`, potentially in parallel (`rayon::join`), both in the calling thread's
/// gradient mode.
pub fn join<B, RA, RB>(a: impl FnOnce() -> RA + Send, b: impl FnOnce() -> RB + Send) -> (RA, RB)
where
    B: Backend,
    RA: Send,
    RB: Send,
{
    let mode = GradMode::<B>::current();
    rayon::join(move || mode.run(a), move || mode.run(b))
}
