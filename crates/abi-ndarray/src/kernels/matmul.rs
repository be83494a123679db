//! Matrix products on `gemm` (AVX-512/AVX2 kernels, rayon threads), batched and broadcast.

use super::sum_to_shape;
use crate::NdFloat;
use crate::tensor::NdTensor;
use abi_tensor::Result;
use abi_tensor::shape::{broadcast_of, numel};
use ndarray::{ArrayD, ArrayView2, ArrayViewD, Axis, Ix2, IxDyn};
use rayon::prelude::*;

/// Products with fewer multiply-adds than this run on one thread.
const PARALLEL_MIN_FLOPS: usize = 1 << 18;

/// `c = a @ b` (or `c += a @ b` when `accumulate`) for 2-D views of any strides (transposed
/// views need no copy); without `accumulate`, every element of `c` is written and none read.
///
/// # Safety
/// `c` must point to an `(m, n)` matrix with strides `(c_rs, c_cs)` that is valid for writes
/// (and initialised when `accumulate`) and does not overlap `a` or `b`, where `m` is the row
/// count of `a` and `n` the column count of `b`. (That `a` and `b` agree on `k` is asserted.)
unsafe fn gemm_2d<F: NdFloat>(
    a: ArrayView2<F>,
    b: ArrayView2<F>,
    c: *mut F,
    c_rs: isize,
    c_cs: isize,
    parallel: bool,
    accumulate: bool,
) {
    let (m, k) = a.dim();
    let n = b.dim().1;
    // shapes arrive checked (`Tensor::matmul`); this guards the unchecked reads below
    assert_eq!(b.dim().0, k, "matmul: inner dimensions differ");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if accumulate {
            return;
        }
        for i in 0..m as isize {
            for j in 0..n as isize {
                // SAFETY: (i, j) lies inside the matrix the caller described.
                unsafe { c.offset(i * c_rs + j * c_cs).write(F::zero()) };
            }
        }
        return;
    }
    let threads = rayon::current_num_threads();
    let parts = if parallel && threads > 1 && m * n * k >= PARALLEL_MIN_FLOPS {
        threads.min(m / MIN_ROWS_PER_THREAD)
    } else {
        1
    };
    if parts <= 1 {
        // SAFETY: forwarded from the caller.
        unsafe { gemm_serial(a, b, c, c_rs, c_cs, accumulate) };
        return;
    }
    // Row blocks on rayon's threads, each one serial product: cheaper than `gemm`'s own
    // threading for the tall, narrow products of dense layers (thousands of rows, tens of
    // columns), where its hand-off costs more than it saves.
    let c_addr = c as usize;
    (0..parts).into_par_iter().for_each(|p| {
        let (lo, hi) = (m * p / parts, m * (p + 1) / parts);
        let a_rows = a.slice(ndarray::s![lo..hi, ..]);
        // SAFETY: rows lo..hi of `c` lie inside the matrix the caller described, and the
        // blocks of different `p` do not overlap.
        unsafe {
            let c_rows = (c_addr as *mut F).offset(lo as isize * c_rs);
            gemm_serial(a_rows, b, c_rows, c_rs, c_cs, accumulate);
        }
    });
}

/// Fewest rows of a product's block on one thread.
const MIN_ROWS_PER_THREAD: usize = 16;

/// [`gemm_2d`] on the calling thread.
///
/// # Safety
/// As for [`gemm_2d`].
unsafe fn gemm_serial<F: NdFloat>(
    a: ArrayView2<F>,
    b: ArrayView2<F>,
    c: *mut F,
    c_rs: isize,
    c_cs: isize,
    accumulate: bool,
) {
    let (m, k) = a.dim();
    let n = b.dim().1;
    let (a_rs, a_cs) = (a.strides()[0], a.strides()[1]);
    let (b_rs, b_cs) = (b.strides()[0], b.strides()[1]);
    // SAFETY: `a` and `b` are valid views for their shapes and strides; the caller guarantees
    // `c`; with `read_dst = false` `c` is only written (it may be uninitialised), otherwise the
    // product is added to its (initialised) contents.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c,
            c_cs,
            c_rs,
            accumulate,
            a.as_ptr(),
            a_cs,
            a_rs,
            b.as_ptr(),
            b_cs,
            b_rs,
            F::one(),
            F::one(),
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

fn as_2d<F: NdFloat>(x: ArrayViewD<'_, F>) -> ArrayView2<'_, F> {
    x.into_dimensionality::<Ix2>()
        .unwrap_or_else(|_| unreachable!("rank was checked"))
}

/// `a @ b` on views with broadcast batch axes; shapes must have been checked.
pub(crate) fn matmul_views<F: NdFloat>(
    a: ArrayViewD<'_, F>,
    b: ArrayViewD<'_, F>,
    out_shape: &[usize],
) -> ArrayD<F> {
    let r = out_shape.len();
    let (m, n) = (out_shape[r - 2], out_shape[r - 1]);
    let k = a.shape()[a.ndim() - 1];
    let mut out = ArrayD::<F>::uninit(IxDyn(out_shape));
    let out_ptr = out.as_mut_ptr() as *mut F;
    if r == 2 {
        // the output buffer is sized from `out_shape`: it must match the operands
        assert!(
            a.shape() == [m, k] && b.shape()[1] == n,
            "matmul: output shape {out_shape:?} does not match the operands"
        );
        // SAFETY: `out` is a fresh standard-layout (m, n) array, written in full by gemm.
        unsafe { gemm_2d(as_2d(a), as_2d(b), out_ptr, n as isize, 1, true, false) };
        // SAFETY: every element was written above.
        return unsafe { out.assume_init() };
    }
    let batch = &out_shape[..r - 2];
    let nb = numel(batch);
    let mut a_shape = batch.to_vec();
    a_shape.extend([m, k]);
    let mut b_shape = batch.to_vec();
    b_shape.extend([k, n]);
    let a_b = a
        .broadcast(IxDyn(&a_shape))
        .unwrap_or_else(|| unreachable!("broadcast checked"));
    let b_b = b
        .broadcast(IxDyn(&b_shape))
        .unwrap_or_else(|| unreachable!("broadcast checked"));
    let flat = |v: ArrayViewD<'_, F>, rows: usize, cols: usize| -> ndarray::Array3<F> {
        v.as_standard_layout()
            .into_owned()
            .into_shape_with_order((nb, rows, cols))
            .unwrap_or_else(|_| unreachable!("element count is preserved"))
    };
    let a3 = flat(a_b, m, k);
    let b3 = flat(b_b, k, n);
    let parallel_batches =
        nb > 1 && rayon::current_num_threads() > 1 && nb * m * n * k >= PARALLEL_MIN_FLOPS;
    // the output pointer is shared across threads; each batch writes its own disjoint block
    struct OutPtr<F>(*mut F);
    // SAFETY: the blocks written through the pointer are disjoint (one per batch index).
    unsafe impl<F> Sync for OutPtr<F> {}
    let base = OutPtr(out_ptr);
    let run = |i: usize, parallel: bool| {
        let base = &base;
        // SAFETY: batch `i` owns the block [i·m·n, (i+1)·m·n) of the fresh output array.
        unsafe {
            gemm_2d(
                a3.index_axis(Axis(0), i),
                b3.index_axis(Axis(0), i),
                base.0.add(i * m * n),
                n as isize,
                1,
                parallel,
                false,
            )
        }
    };
    if parallel_batches {
        (0..nb).into_par_iter().for_each(|i| run(i, false));
    } else {
        (0..nb).for_each(|i| run(i, true));
    }
    // SAFETY: every batch block was written in full above.
    unsafe { out.assume_init() }
}

fn swap_last_two<F: NdFloat>(x: &ArrayD<F>) -> ArrayViewD<'_, F> {
    let mut v = x.view();
    let r = v.ndim();
    v.swap_axes(r - 2, r - 1);
    v
}

/// The shape of `a @ b` for operands checked by `Tensor::matmul`.
fn product_shape(a: &[usize], b: &[usize]) -> Vec<usize> {
    let (ra, rb) = (a.len(), b.len());
    let mut out = broadcast_of(&a[..ra - 2], &b[..rb - 2]);
    out.extend([a[ra - 2], b[rb - 1]]);
    out
}

pub(crate) fn matmul<F: NdFloat>(a: &NdTensor<F>, b: &NdTensor<F>) -> Result<NdTensor<F>> {
    let out_shape = product_shape(a.array().shape(), b.array().shape());
    let y = matmul_views(a.array().view(), b.array().view(), &out_shape);
    Ok(NdTensor::record(y, &[a, b], move |g_owned, _y, inputs| {
        let g = &g_owned;
        let (a, b) = (inputs[0].array(), inputs[1].array());
        let ga = inputs[0].tracked().then(|| {
            // dA = g @ Bᵀ, summed over broadcast batch axes
            let mut shape = g.shape().to_vec();
            let r = shape.len();
            shape[r - 1] = a.shape()[a.ndim() - 1];
            let full = matmul_views(g.view(), swap_last_two(b), &shape);
            sum_to_shape(full, a.shape())
        });
        let gb = inputs[1].tracked().then(|| {
            // dB = Aᵀ @ g
            let mut shape = g.shape().to_vec();
            let r = shape.len();
            shape[r - 2] = b.shape()[b.ndim() - 2];
            let full = matmul_views(swap_last_two(a), g.view(), &shape);
            sum_to_shape(full, b.shape())
        });
        vec![ga, gb]
    }))
}

/// `x @ w + b` for `x (.., k)` and 2-D `w`: the leading axes of `x` are flattened into rows
/// without a copy (when `x` is in standard layout), the output starts as the broadcast bias
/// and the product is accumulated into it, so the bias costs no extra pass and no extra node.
pub(crate) fn linear<F: NdFloat>(
    x: &NdTensor<F>,
    w: &NdTensor<F>,
    b: Option<&NdTensor<F>>,
) -> Result<NdTensor<F>> {
    let (xa, wa) = (x.array(), w.array());
    let x_shape = xa.shape().to_vec();
    let n = wa.shape()[1];
    let mut out_shape = x_shape.clone();
    let last = out_shape.len() - 1;
    out_shape[last] = n;
    let x_rows = rows_of(xa);
    let m = x_rows.nrows();
    let mut out = match b {
        Some(b) => {
            let bias = b.array().as_standard_layout();
            let bias = bias
                .as_slice()
                .unwrap_or_else(|| unreachable!("standard layout"));
            let mut data = Vec::with_capacity(m * n);
            for _ in 0..m {
                data.extend_from_slice(bias);
            }
            ndarray::Array2::from_shape_vec((m, n), data)
                .unwrap_or_else(|_| unreachable!("length matches the shape"))
        }
        None => ndarray::Array2::zeros((m, n)),
    };
    let out_ptr = out.as_mut_ptr();
    // SAFETY: `out` is an initialised standard-layout (m, n) array not aliasing x or w.
    unsafe {
        gemm_2d(
            x_rows.view(),
            as_2d(wa.view()),
            out_ptr,
            n as isize,
            1,
            true,
            true,
        )
    };
    let y = out
        .into_shape_with_order(IxDyn(&out_shape))
        .unwrap_or_else(|_| unreachable!("element count matches"));
    let inputs: Vec<&NdTensor<F>> = match b {
        Some(b) => vec![x, w, b],
        None => vec![x, w],
    };
    Ok(NdTensor::record(y, &inputs, move |g, _y, inputs| {
        let (x, w) = (inputs[0].array(), inputs[1].array());
        let g_rows = rows_of(&g);
        let gx = inputs[0].tracked().then(|| {
            let rows = matmul_views(
                g_rows.view().into_dyn(),
                swap_last_two(w),
                &[g_rows.nrows(), w.shape()[0]],
            );
            rows.into_shape_with_order(IxDyn(x.shape()))
                .unwrap_or_else(|_| unreachable!("element count matches"))
        });
        let gw = inputs[1].tracked().then(|| {
            let x_rows = rows_of(x);
            let xt = x_rows.view().reversed_axes().into_dyn();
            matmul_views(xt, g_rows.view().into_dyn(), w.shape())
        });
        let mut out = vec![gx, gw];
        if let Some(b) = inputs.get(2) {
            out.push(
                b.tracked()
                    .then(|| super::sum_leading_axes(&g, g.ndim() - 1)),
            );
        }
        out
    }))
}

/// The rows `(product of leading axes, last axis)` of `x`: a view when `x` is in standard
/// layout, a copy otherwise.
fn rows_of<F: NdFloat>(x: &ArrayD<F>) -> ndarray::CowArray<'_, F, Ix2> {
    let r = x.ndim();
    let (m, k) = (
        x.shape()[..r - 1].iter().product::<usize>(),
        x.shape()[r - 1],
    );
    if x.is_standard_layout() {
        let rows = x.view().into_shape_with_order((m, k));
        ndarray::CowArray::from(rows.unwrap_or_else(|_| unreachable!("standard layout")))
    } else {
        let rows = x
            .as_standard_layout()
            .into_owned()
            .into_shape_with_order((m, k));
        ndarray::CowArray::from(rows.unwrap_or_else(|_| unreachable!("standard layout")))
    }
}
