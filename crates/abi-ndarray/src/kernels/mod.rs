//! Forward kernels and backward rules, one file per operation family.

pub(crate) mod elementwise;
pub(crate) mod index;
pub(crate) mod matmul;
pub(crate) mod optim;
pub(crate) mod reduce;
pub(crate) mod shape;

use crate::NdFloat;
use ndarray::{ArrayD, Axis, IxDyn, Zip};

/// Elementwise work below this many elements stays on the calling thread.
pub(crate) const PARALLEL_MIN_ELEMENTS: usize = 1 << 15;

/// `f` applied to every element, on all cores for large arrays.
pub(crate) fn map<F: NdFloat>(x: &ArrayD<F>, f: impl Fn(F) -> F + Sync + Send) -> ArrayD<F> {
    if x.len() >= PARALLEL_MIN_ELEMENTS && rayon::current_num_threads() > 1 {
        Zip::from(x).par_map_collect(|&v| f(v))
    } else {
        x.mapv(f)
    }
}

/// `f` applied to pairs of elements of two equally shaped arrays.
pub(crate) fn zip_map<F: NdFloat>(
    a: &ArrayD<F>,
    b: &ArrayD<F>,
    f: impl Fn(F, F) -> F + Sync + Send,
) -> ArrayD<F> {
    if a.len() >= PARALLEL_MIN_ELEMENTS && rayon::current_num_threads() > 1 {
        Zip::from(a).and(b).par_map_collect(|&x, &y| f(x, y))
    } else {
        Zip::from(a).and(b).map_collect(|&x, &y| f(x, y))
    }
}

/// `f` applied to every element in place (the buffer is reused).
pub(crate) fn map_inplace<F: NdFloat>(
    mut x: ArrayD<F>,
    f: impl Fn(F) -> F + Sync + Send,
) -> ArrayD<F> {
    if x.len() >= PARALLEL_MIN_ELEMENTS && rayon::current_num_threads() > 1 {
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
    let z = Zip::from(&mut g).and(x);
    if x.len() >= PARALLEL_MIN_ELEMENTS && rayon::current_num_threads() > 1 {
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
