//! Forward kernels and backward rules, one file per operation family.

pub(crate) mod elementwise;
pub(crate) mod index;
pub(crate) mod matmul;
pub(crate) mod optim;
pub(crate) mod recurrent;
pub(crate) mod reduce;
pub(crate) mod shape;
pub(crate) mod simd;
pub(crate) mod spline;

use crate::NdFloat;
use ndarray::{ArrayD, Axis, IxDyn, Zip};
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Elementwise work below this many elements stays on the calling thread.
pub(crate) const PARALLEL_MIN_ELEMENTS: usize = 1 << 15;

/// Elements per piece when elementwise work is split over the thread pool.
const PIECE: usize = 1 << 14;

fn parallel(len: usize) -> bool {
    len >= PARALLEL_MIN_ELEMENTS && rayon::current_num_threads() > 1
}

/// `out[i] = f(x[i])`, compiled for AVX2 + FMA when the CPU has them (see [`simd`]).
#[inline(always)]
fn map_slice<F: NdFloat>(x: &[F], out: &mut [F], f: &(impl Fn(F) -> F + Sync)) {
    simd::run(|| {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = f(v);
        }
    })
}

/// `out[i] = f(a[i], b[i])`, compiled for AVX2 + FMA when available.
#[inline(always)]
fn zip_slice<F: NdFloat>(
    a: &[F],
    b: &[F],
    out: &mut [MaybeUninit<F>],
    f: &(impl Fn(F, F) -> F + Sync),
) {
    simd::run(|| {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            o.write(f(x, y));
        }
    })
}

/// A standard-layout copy of `x`. Views whose last axis is unit-strided (narrowed or split
/// along it) copy row by row instead of element by element.
pub(crate) fn contiguous<F: NdFloat>(x: &ArrayD<F>) -> ArrayD<F> {
    if x.is_standard_layout() {
        return x.clone();
    }
    let last = x.ndim().saturating_sub(1);
    if x.ndim() >= 1 && x.strides()[last] == 1 {
        let mut out = Vec::with_capacity(x.len());
        for lane in x.lanes(Axis(last)) {
            match lane.as_slice() {
                Some(s) => out.extend_from_slice(s),
                None => out.extend(lane.iter().copied()),
            }
        }
        return ArrayD::from_shape_vec(x.raw_dim(), out)
            .unwrap_or_else(|_| unreachable!("length matches the shape"));
    }
    x.as_standard_layout().into_owned()
}

/// `f` applied to every element, on all cores for large arrays.
pub(crate) fn map<F: NdFloat>(x: &ArrayD<F>, f: impl Fn(F) -> F + Sync + Send) -> ArrayD<F> {
    if let Some(src) = x.as_slice() {
        let mut out = vec![F::zero(); src.len()];
        if parallel(src.len()) {
            out.par_chunks_mut(PIECE)
                .zip(src.par_chunks(PIECE))
                .for_each(|(o, i)| map_slice(i, o, &f));
        } else {
            map_slice(src, &mut out, &f);
        }
        return ArrayD::from_shape_vec(x.raw_dim(), out)
            .unwrap_or_else(|_| unreachable!("length matches the shape"));
    }
    // a strided view (e.g. a narrowed last axis): copy it into order once, then run fast
    map_inplace(contiguous(x), f)
}

/// `f` applied to pairs of elements of two equally shaped arrays.
pub(crate) fn zip_map<F: NdFloat>(
    a: &ArrayD<F>,
    b: &ArrayD<F>,
    f: impl Fn(F, F) -> F + Sync + Send,
) -> ArrayD<F> {
    if let (Some(sa), Some(sb)) = (a.as_slice(), b.as_slice()) {
        let n = sa.len();
        let mut out: Vec<F> = Vec::with_capacity(n);
        let spare = &mut out.spare_capacity_mut()[..n];
        if parallel(n) {
            spare
                .par_chunks_mut(PIECE)
                .zip(sa.par_chunks(PIECE).zip(sb.par_chunks(PIECE)))
                .for_each(|(o, (x, y))| zip_slice(x, y, o, &f));
        } else {
            zip_slice(sa, sb, spare, &f);
        }
        // SAFETY: `zip_slice` wrote each of the first `n` elements (the slices have equal
        // lengths: the shapes were checked equal).
        unsafe { out.set_len(n) };
        return ArrayD::from_shape_vec(a.raw_dim(), out)
            .unwrap_or_else(|_| unreachable!("length matches the shape"));
    }
    zip_inplace(contiguous(a), b, f)
}

/// `f` applied to every element in place (the buffer is reused).
pub(crate) fn map_inplace<F: NdFloat>(
    mut x: ArrayD<F>,
    f: impl Fn(F) -> F + Sync + Send,
) -> ArrayD<F> {
    let len = x.len();
    if let Some(s) = x.as_slice_mut() {
        let g = |v: &mut [F]| {
            simd::run(|| {
                for e in v.iter_mut() {
                    *e = f(*e);
                }
            })
        };
        if parallel(len) {
            s.par_chunks_mut(PIECE).for_each(g);
        } else {
            g(s);
        }
        return x;
    }
    if parallel(len) {
        x.par_mapv_inplace(f);
    } else {
        x.mapv_inplace(f);
    }
    x
}

/// `g = f(g, x)` elementwise in place, for equally shaped arrays (the buffer of `g` is reused).
pub(crate) fn zip_inplace<F: NdFloat>(
    mut g: ArrayD<F>,
    x: &ArrayD<F>,
    f: impl Fn(F, F) -> F + Sync + Send,
) -> ArrayD<F> {
    let len = x.len();
    let ordered;
    let x: &ArrayD<F> = if g.is_standard_layout() && !x.is_standard_layout() {
        ordered = contiguous(x);
        &ordered
    } else {
        x
    };
    if let (Some(gs), Some(xs)) = (g.as_slice_mut(), x.as_slice()) {
        let h = |gv: &mut [F], xv: &[F]| {
            simd::run(|| {
                for (e, &v) in gv.iter_mut().zip(xv) {
                    *e = f(*e, v);
                }
            })
        };
        if parallel(len) {
            gs.par_chunks_mut(PIECE)
                .zip(xs.par_chunks(PIECE))
                .for_each(|(a, b)| h(a, b));
        } else {
            h(gs, xs);
        }
        return g;
    }
    let z = Zip::from(&mut g).and(x);
    if parallel(len) {
        z.par_for_each(|g, &x| *g = f(*g, x));
    } else {
        z.for_each(|g, &x| *g = f(*g, x));
    }
    g
}

/// Sums a broadcast gradient back to the shape of the operand it came from.
pub(crate) fn sum_to_shape<F: NdFloat>(g: ArrayD<F>, shape: &[usize]) -> ArrayD<F> {
    if g.shape() == shape {
        return g;
    }
    let mut r = g;
    let extra = r.ndim() - shape.len();
    if extra > 0 {
        r = sum_leading_axes(&r, extra);
    }
    if r.ndim() >= 2 && shape[0] == 1 && r.shape()[0] != 1 {
        r = sum_leading_axes(&r, 1).insert_axis(Axis(0));
    }
    for (i, &d) in shape.iter().enumerate() {
        if d == 1 && r.shape()[i] != 1 {
            r = r.sum_axis(Axis(i)).insert_axis(Axis(i));
        }
    }
    r
}

/// A view of `x` broadcast to `shape` (caller has checked compatibility).
pub(crate) fn broadcast_view<'a, F: NdFloat>(
    x: &'a ArrayD<F>,
    shape: &[usize],
) -> ndarray::ArrayViewD<'a, F> {
    x.broadcast(IxDyn(shape))
        .unwrap_or_else(|| unreachable!("broadcast shapes were checked"))
}

/// [`sum_to_shape`] of a borrowed gradient: copies only when no reduction is needed.
pub(crate) fn sum_to_shape_ref<F: NdFloat>(g: &ArrayD<F>, shape: &[usize]) -> ArrayD<F> {
    if g.shape() == shape {
        return g.clone();
    }
    let extra = g.ndim() - shape.len();
    if extra > 0 {
        return sum_to_shape(sum_leading_axes(g, extra), shape);
    }
    sum_to_shape(g.clone(), shape)
}

/// Sums over the first `n` axes. Standard-layout arrays take a row-accumulation path that
/// reads memory in order (ndarray's `sum_axis(Axis(0))` walks columns, several times slower).
pub(crate) fn sum_leading_axes<F: NdFloat>(x: &ArrayD<F>, n: usize) -> ArrayD<F> {
    let rows: usize = x.shape()[..n].iter().product();
    let tail = x.shape()[n..].to_vec();
    let cols: usize = tail.iter().product();
    if let (Some(data), true, 1) = (x.as_slice(), rows > 0, cols) {
        // a total: eight running sums that vectorise, instead of one serial chain
        let total = simd::run(|| {
            let mut lanes = [F::zero(); 8];
            let chunks = data.chunks_exact(8);
            let rest = chunks.remainder().iter().fold(F::zero(), |a, &v| a + v);
            for c in chunks {
                for (l, &v) in lanes.iter_mut().zip(c) {
                    *l += v;
                }
            }
            lanes.iter().fold(rest, |a, &v| a + v)
        });
        return ArrayD::from_shape_vec(IxDyn(&tail), vec![total])
            .unwrap_or_else(|_| unreachable!("length matches the shape"));
    }
    if let (Some(data), true) = (x.as_slice(), rows > 0) {
        let mut acc = data[..cols].to_vec();
        for row in data[cols..].chunks_exact(cols.max(1)) {
            for (a, &v) in acc.iter_mut().zip(row) {
                *a += v;
            }
        }
        return ArrayD::from_shape_vec(IxDyn(&tail), acc)
            .unwrap_or_else(|_| unreachable!("length matches the shape"));
    }
    let mut r = x.clone();
    for _ in 0..n {
        r = r.sum_axis(Axis(0));
    }
    r
}
