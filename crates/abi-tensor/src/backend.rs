//! The [`Backend`] trait: storage, kernels and reverse-mode autodiff of one tensor library.

use crate::element::Element;
use crate::error::Result;
use crate::grad::{Gradients, TensorId};
use crate::ops::{AdamStep, BinaryOp, CmpOp, ReduceOp, UnaryOp};
use crate::spline::RqSpline;
use crate::tensor::Tensor;
use std::fmt::Debug;

/// One tensor library (storage + kernels + autodiff) that abi's networks run on.
///
/// A backend is a zero-sized marker type; all state lives in its tensors. Networks use the
/// ergonomic [`Tensor<B>`](crate::Tensor) wrapper rather than these functions directly.
///
/// # Contract
/// - Every operation is differentiable in its floating-point operands unless documented
///   otherwise (comparisons, `searchsorted`, index tensors). An operation records its history
///   only when gradient recording is enabled ([`Backend::grad_enabled`]) and at least one input
///   is tracked; otherwise it builds no graph at all.
/// - Binary operations broadcast as NumPy does.
/// - **Arguments arrive checked.** The [`Tensor<B>`](crate::Tensor) methods check shapes,
///   axes, indices and settings once, for every backend, and return typed errors naming the
///   operation ([`UnaryOp::name`], ...) and the shapes; only then do they call these
///   functions. A kernel may therefore assume: broadcastable operands; axes in range, and
///   axis lists sorted without repeats (`reduce`, `flip`); a true permutation; a non-empty,
///   compatible `cat`; ranges and positions within their axis, including every value of an
///   index tensor; matching matrix, bias, spline and optimiser shapes. Backends write kernels
///   only. Called directly with arguments outside this contract, a kernel may return a
///   backend error or panic (never undefined behaviour).
/// - Index tensors (for `gather`, `scatter_add`, and the output of `searchsorted`) hold
///   integer values stored in the element type; they are exact up to 2^24 in `f32`.
/// - The conformance kit (`abi_tensor::conformance`, feature `conformance`) checks all of this;
///   every backend crate runs it.
pub trait Backend: Clone + Copy + Debug + Default + Send + Sync + 'static {
    /// Scalar type of the tensors.
    type Elem: Element;
    /// The tensor handle. Cloning is cheap (shared storage) and keeps the autodiff history.
    type Tensor: Clone + Debug + Send + Sync;
    /// Where tensors live (CPU, a GPU, ...).
    type Device: Clone + Debug + PartialEq + Default + Send + Sync;

    /// A short human-readable name, e.g. `"ndarray-f32"`.
    fn name() -> String;

    // ---- creation and data access --------------------------------------------------------

    /// A tensor of `shape` holding `data` (exactly as many elements) in row-major order.
    fn from_vec(
        data: Vec<Self::Elem>,
        shape: &[usize],
        device: &Self::Device,
    ) -> Result<Self::Tensor>;
    /// The elements in row-major order (copied to the host).
    fn to_vec(x: &Self::Tensor) -> Result<Vec<Self::Elem>>;
    /// The shape.
    fn shape(x: &Self::Tensor) -> Vec<usize>;
    /// The device the tensor lives on.
    fn device(x: &Self::Tensor) -> Self::Device;
    /// A copy on another device (differentiable).
    fn to_device(x: &Self::Tensor, device: &Self::Device) -> Result<Self::Tensor>;

    // ---- elementwise ---------------------------------------------------------------------

    /// An elementwise function of one tensor.
    fn unary(op: UnaryOp, x: &Self::Tensor) -> Result<Self::Tensor>;
    /// An elementwise function of two broadcast tensors.
    fn binary(op: BinaryOp, a: &Self::Tensor, b: &Self::Tensor) -> Result<Self::Tensor>;
    /// A mask (1 where the comparison holds, 0 elsewhere) of two broadcast tensors; untracked.
    fn compare(op: CmpOp, a: &Self::Tensor, b: &Self::Tensor) -> Result<Self::Tensor>;
    /// `a` where `mask` is non-zero, else `b`; all three broadcast. Differentiable in `a`, `b`.
    fn where_cond(mask: &Self::Tensor, a: &Self::Tensor, b: &Self::Tensor) -> Result<Self::Tensor>;

    // ---- linear algebra and reductions ----------------------------------------------------

    /// Matrix product of the last two axes, batch axes broadcast: `[.., m, k] @ [.., k, n]`.
    fn matmul(a: &Self::Tensor, b: &Self::Tensor) -> Result<Self::Tensor>;
    /// Affine map `x @ w + b` for `x (.., in)` (rank ≥ 2), `w (in, out)`, `b (out)`, giving
    /// `(.., out)`: one node instead of a
    /// product and a broadcast add. The default composes [`Backend::matmul`] and
    /// [`Backend::binary`]; backends may fuse the bias into the product.
    fn linear(
        x: &Self::Tensor,
        w: &Self::Tensor,
        b: Option<&Self::Tensor>,
    ) -> Result<Self::Tensor> {
        let y = Self::matmul(x, w)?;
        match b {
            Some(b) => Self::binary(BinaryOp::Add, &y, b),
            None => Ok(y),
        }
    }
    /// A reduction over `axes` (sorted, no repeats, possibly none), keeping unit axes when
    /// `keepdim`.
    fn reduce(
        op: ReduceOp,
        x: &Self::Tensor,
        axes: &[usize],
        keepdim: bool,
    ) -> Result<Self::Tensor>;
    /// Inclusive cumulative sum along `axis`.
    fn cumsum(x: &Self::Tensor, axis: usize) -> Result<Self::Tensor>;

    // ---- shape and indexing ---------------------------------------------------------------

    /// The same elements in a new shape with as many elements.
    fn reshape(x: &Self::Tensor, shape: &[usize]) -> Result<Self::Tensor>;
    /// Reorders the axes: output axis `i` is input axis `perm[i]`.
    fn permute(x: &Self::Tensor, perm: &[usize]) -> Result<Self::Tensor>;
    /// Broadcasts to `shape` (NumPy rules).
    fn broadcast_to(x: &Self::Tensor, shape: &[usize]) -> Result<Self::Tensor>;
    /// Concatenates (at least one tensor) along `axis`; all other axes agree.
    fn cat(xs: &[Self::Tensor], axis: usize) -> Result<Self::Tensor>;
    /// The slice `start..start + len` of `axis`.
    fn narrow(x: &Self::Tensor, axis: usize, start: usize, len: usize) -> Result<Self::Tensor>;
    /// Selects the given positions of `axis` (repeats allowed).
    fn index_select(x: &Self::Tensor, axis: usize, indices: &[usize]) -> Result<Self::Tensor>;
    /// `out[i][j] = x[index[i][j]][j]` for `axis = 0` (PyTorch `gather` semantics, any rank).
    fn gather(x: &Self::Tensor, axis: usize, index: &Self::Tensor) -> Result<Self::Tensor>;
    /// `out = x; out[index[i][j]][j] += src[i][j]` for `axis = 0` (PyTorch `scatter_add`).
    fn scatter_add(
        x: &Self::Tensor,
        axis: usize,
        index: &Self::Tensor,
        src: &Self::Tensor,
    ) -> Result<Self::Tensor>;
    /// Reverses the order of elements along each of `axes` (sorted, no repeats).
    fn flip(x: &Self::Tensor, axes: &[usize]) -> Result<Self::Tensor>;
    /// For each value, the index into the last axis of `sorted` where it would be inserted to
    /// keep the order: the first such index (`right = false`) or the last (`right = true`).
    /// `sorted` is `[.., K]`, `values` is `[.., N]` with equal leading axes, or `sorted` is 1-D.
    /// Not differentiable.
    fn searchsorted(
        sorted: &Self::Tensor,
        values: &Self::Tensor,
        right: bool,
    ) -> Result<Self::Tensor>;

    // ---- fused network operations (optional) ---------------------------------------------

    /// The monotonic rational-quadratic spline of [`crate::spline`] (or its inverse, per
    /// `spec.inverse`) on every element of `v (.., d)` with raw parameters `(.., d, 3K − 1)`:
    /// returns `(2, .., d)`: the mapped values, then `ln |∂out/∂in|`. Differentiable in `v` and
    /// `raw`. Shapes and settings arrive checked by [`Tensor::rq_spline`]. The default
    /// ([`crate::spline::rq_spline_composite`]) composes about forty of the other operations;
    /// backends may fuse it into one kernel.
    fn rq_spline(v: &Self::Tensor, raw: &Self::Tensor, spec: &RqSpline) -> Result<Self::Tensor> {
        crate::spline::rq_spline_composite(
            &Tensor::<Self>::from_raw(v.clone()),
            &Tensor::<Self>::from_raw(raw.clone()),
            spec,
        )
        .map(Tensor::into_raw)
    }

    /// One GRU state update ([`Tensor::gru_update`]) of the state `h (batch, n)` from the
    /// step's projections `xp`, `hp` `(batch, 3n)` and an optional mask `(batch, 1)`;
    /// differentiable in `h`, `xp` and `hp` (the mask is a constant). Shapes arrive checked.
    /// The default ([`crate::recurrent::gru_update_composite`]) composes about a dozen
    /// operations; backends may fuse it into one pass.
    fn gru_update(
        h: &Self::Tensor,
        xp: &Self::Tensor,
        hp: &Self::Tensor,
        mask: Option<&Self::Tensor>,
    ) -> Result<Self::Tensor> {
        let mask = mask.map(|m| Tensor::<Self>::from_raw(m.clone()));
        crate::recurrent::gru_update_composite(
            &Tensor::<Self>::from_raw(h.clone()),
            &Tensor::<Self>::from_raw(xp.clone()),
            &Tensor::<Self>::from_raw(hp.clone()),
            mask.as_ref(),
        )
        .map(Tensor::into_raw)
    }

    // ---- autodiff -------------------------------------------------------------------------

    /// The same values with no history: gradients do not flow through the result.
    fn detach(x: &Self::Tensor) -> Self::Tensor;
    /// A new leaf with the same values whose gradient [`Backend::backward`] reports.
    fn track(x: &Self::Tensor) -> Self::Tensor;
    /// Whether gradients flow to this tensor (a tracked leaf or a result of tracked inputs).
    fn is_tracked(x: &Self::Tensor) -> bool;
    /// A stable identity for looking a tensor's gradient up in [`Gradients`].
    fn id(x: &Self::Tensor) -> TensorId;
    /// Reverse-mode sweep from the tracked `output` with the vector `seed` (same shape as
    /// `output`; both checked by [`Tensor::backward_with`]): returns `seedᵀ ∂output/∂leaf` for
    /// every tracked leaf `output` depends on.
    fn backward(output: &Self::Tensor, seed: &Self::Tensor) -> Result<Gradients<Self>>;
    /// Whether operations on this thread currently record history.
    fn grad_enabled() -> bool;
    /// Turns recording on or off for this thread and returns the previous setting.
    /// Use [`no_grad`](crate::no_grad) rather than calling this directly.
    fn set_grad_enabled(enabled: bool) -> bool;

    // ---- execution hints -----------------------------------------------------------------

    /// Rows per piece when a large graph-free batch (sampling, density evaluation) is better
    /// split into cache-sized pieces run in parallel on the thread pool; `None` (the default)
    /// runs it as one batch, which suits accelerators.
    fn inference_chunk_rows() -> Option<usize> {
        None
    }

    // ---- fused optimiser kernels (optional) -----------------------------------------------

    /// One Adam / AdamW update of a parameter, untracked: returns the new
    /// `(parameter, first moment, second moment)`, all four of one shape (checked by
    /// [`Tensor::adam_update`]). The moments are taken by value so a backend can update their
    /// storage in place. The default composes tensor operations; backends may fuse it into
    /// one pass.
    fn adam_update(
        param: &Self::Tensor,
        grad: &Self::Tensor,
        m: Self::Tensor,
        v: Self::Tensor,
        s: &AdamStep,
    ) -> Result<(Self::Tensor, Self::Tensor, Self::Tensor)> {
        crate::no_grad::<Self, _>(|| {
            let w = Tensor::<Self>::from_raw(Self::detach(param));
            let mut g = Tensor::<Self>::from_raw(grad.clone());
            if s.l2 > 0.0 {
                g = g.add(&w.mul_scalar(s.l2)?)?;
            }
            let m = Tensor::<Self>::from_raw(m)
                .mul_scalar(s.beta1)?
                .add(&g.mul_scalar(1.0 - s.beta1)?)?;
            let v = Tensor::<Self>::from_raw(v)
                .mul_scalar(s.beta2)?
                .add(&g.square()?.mul_scalar(1.0 - s.beta2)?)?;
            let denom = v.mul_scalar(1.0 / s.bias2)?.sqrt()?.add_scalar(s.eps)?;
            let mut next = w.sub(&m.div(&denom)?.mul_scalar(s.lr / s.bias1)?)?;
            if s.decoupled > 0.0 {
                next = next.sub(&w.mul_scalar(s.lr * s.decoupled)?)?;
            }
            Ok((next.into_raw(), m.into_raw(), v.into_raw()))
        })
    }
}
