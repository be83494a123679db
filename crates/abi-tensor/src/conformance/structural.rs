//! Matrix products, reductions, shape and index operations, composites.

use super::{Failure, Report, check_gradients, check_values, err, signed_values, t, values};
use crate::backend::Backend;
use crate::ops::ReduceOp;
use crate::shape::{broadcast_shapes, numel};
use crate::tensor::Tensor;
use crate::tensor_nn::Conv1dOptions;

/// Row-major strides of a shape.
fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = i % shape[d];
        i /= shape[d];
    }
    idx
}

/// Host reference of a broadcast batched matmul.
fn host_matmul(a: &[f64], sa: &[usize], b: &[f64], sb: &[usize]) -> (Vec<f64>, Vec<usize>) {
    let (m, k, n) = (sa[sa.len() - 2], sa[sa.len() - 1], sb[sb.len() - 1]);
    let batch =
        broadcast_shapes("ref", &sa[..sa.len() - 2], &sb[..sb.len() - 2]).unwrap_or_default();
    let nb = numel(&batch);
    let mut out = vec![0.0; nb * m * n];
    let ba = &sa[..sa.len() - 2];
    let bb = &sb[..sb.len() - 2];
    let pick = |idx: &[usize], s: &[usize]| -> usize {
        let off = idx.len() - s.len();
        let st = strides(s);
        s.iter()
            .enumerate()
            .map(|(d, &len)| if len == 1 { 0 } else { idx[off + d] * st[d] })
            .sum()
    };
    for bi in 0..nb {
        let idx = unravel(bi, &batch);
        let oa = pick(&idx, ba) * m * k;
        let ob = pick(&idx, bb) * k * n;
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0.0;
                for p in 0..k {
                    acc += a[oa + i * k + p] * b[ob + p * n + j];
                }
                out[bi * m * n + i * n + j] = acc;
            }
        }
    }
    let mut shape = batch;
    shape.push(m);
    shape.push(n);
    (out, shape)
}

pub(crate) fn matmul<B: Backend>(device: &B::Device) -> Vec<Failure> {
    let mut report = Report::default();
    let cases: [(&[usize], &[usize]); 5] = [
        (&[3, 4], &[4, 5]),
        (&[1, 1], &[1, 3]),
        (&[2, 3, 4], &[2, 4, 2]),
        (&[2, 3, 4], &[4, 2]),
        (&[2, 1, 3, 4], &[3, 4, 2]),
    ];
    for (i, (sa, sb)) in cases.into_iter().enumerate() {
        let case = (|| {
            let av = signed_values(numel(sa), 700 + i as u64);
            let bv = signed_values(numel(sb), 800 + i as u64);
            let a = t::<B>(&av, sa, device)?;
            let b = t::<B>(&bv, sb, device)?;
            let (want, shape) = host_matmul(&av, sa, &bv, sb);
            check_values(&a.matmul(&b).map_err(err)?, &want, &shape)?;
            check_gradients(&[a, b], &|xs| xs[0].matmul(&xs[1]))
        })();
        report.record(format!("matmul/{sa:?}@{sb:?}"), case);
    }
    // transposed (non-contiguous) operands
    let case = (|| {
        let a = t::<B>(&signed_values(12, 900), &[4, 3], device)?;
        let b = t::<B>(&signed_values(10, 901), &[5, 2], device)?;
        let bt = t::<B>(&signed_values(20, 902), &[5, 4], device)?;
        check_gradients(&[a, b, bt], &|xs| {
            let at = xs[0].t()?; // (3, 4)
            at.matmul(&xs[2].t()?)?.matmul(&xs[1]) // (3, 5) @ (5, 2)
        })
    })();
    report.record("matmul/transposed", case);
    let case = (|| {
        let xv = signed_values(12, 903);
        let wv = signed_values(8, 904);
        let bv = signed_values(4, 905);
        let x = t::<B>(&xv, &[6, 2], device)?;
        let w = t::<B>(&wv, &[2, 4], device)?;
        let b = t::<B>(&bv, &[4], device)?;
        let (mut want, shape) = host_matmul(&xv, &[6, 2], &wv, &[2, 4]);
        for (i, v) in want.iter_mut().enumerate() {
            *v += bv[i % 4];
        }
        check_values(&x.linear(&w, Some(&b)).map_err(err)?, &want, &shape)?;
        check_gradients(&[x.clone(), w.clone(), b], &|xs| {
            xs[0].linear(&xs[1], Some(&xs[2]))
        })?;
        check_gradients(&[x, w], &|xs| xs[0].linear(&xs[1], None))
    })();
    report.record("linear", case);
    let case = (|| {
        // leading axes are batch axes: (2, 3, 2) @ (2, 4) + (4) equals the rows' product
        let xv = signed_values(12, 906);
        let wv = signed_values(8, 907);
        let bv = signed_values(4, 908);
        let x = t::<B>(&xv, &[2, 3, 2], device)?;
        let w = t::<B>(&wv, &[2, 4], device)?;
        let b = t::<B>(&bv, &[4], device)?;
        let (mut want, _) = host_matmul(&xv, &[6, 2], &wv, &[2, 4]);
        for (i, v) in want.iter_mut().enumerate() {
            *v += bv[i % 4];
        }
        check_values(&x.linear(&w, Some(&b)).map_err(err)?, &want, &[2, 3, 4])?;
        let xt = x.permute(&[1, 0, 2]).map_err(err)?; // not in standard layout
        check_gradients(&[xt, w.clone(), b], &|xs| {
            xs[0].linear(&xs[1], Some(&xs[2]))
        })?;
        check_gradients(&[x, w], &|xs| xs[0].linear(&xs[1], None))
    })();
    report.record("linear/batched", case);
    report.into_failures()
}

fn host_reduce(op: ReduceOp, data: &[f64], shape: &[usize], axes: &[usize]) -> Vec<f64> {
    let out_shape: Vec<usize> = shape
        .iter()
        .enumerate()
        .map(|(d, &l)| if axes.contains(&d) { 1 } else { l })
        .collect();
    let n_out = numel(&out_shape);
    let mut groups: Vec<Vec<f64>> = vec![Vec::new(); n_out];
    let os = strides(&out_shape);
    for (i, &v) in data.iter().enumerate() {
        let idx = unravel(i, shape);
        let o: usize = idx
            .iter()
            .enumerate()
            .map(|(d, &x)| if axes.contains(&d) { 0 } else { x * os[d] })
            .sum();
        groups[o].push(v);
    }
    groups
        .iter()
        .map(|g| match op {
            ReduceOp::Sum => g.iter().sum(),
            ReduceOp::Mean => g.iter().sum::<f64>() / g.len() as f64,
            ReduceOp::Max => g.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            ReduceOp::Min => g.iter().cloned().fold(f64::INFINITY, f64::min),
            _ => {
                let m = g.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                m + g.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
            }
        })
        .collect()
}

pub(crate) fn reduce<B: Backend>(device: &B::Device) -> Vec<Failure> {
    let mut report = Report::default();
    let shape = [2, 3, 4];
    // distinct values at least 0.1 apart keep max/min away from ties within the step
    let data: Vec<f64> = (0..24)
        .map(|i| ((i * 7) % 24) as f64 * 0.1 - 1.15)
        .collect();
    let ops = [
        ("sum", ReduceOp::Sum),
        ("mean", ReduceOp::Mean),
        ("max", ReduceOp::Max),
        ("min", ReduceOp::Min),
        ("logsumexp", ReduceOp::LogSumExp),
    ];
    let axes_sets: [&[usize]; 5] = [&[0], &[1], &[2], &[0, 2], &[0, 1, 2]];
    for (name, op) in ops {
        for axes in axes_sets {
            for keepdim in [false, true] {
                let case = (|| {
                    let x = t::<B>(&data, &shape, device)?;
                    let y = x.reduce(op, axes, keepdim).map_err(err)?;
                    let want = host_reduce(op, &data, &shape, axes);
                    let want_shape = crate::shape::reduced_shape(&shape, axes, keepdim);
                    check_values(&y, &want, &want_shape)?;
                    check_gradients(&[x], &|xs| xs[0].reduce(op, axes, keepdim))
                })();
                report.record(format!("reduce/{name}/{axes:?}/keepdim={keepdim}"), case);
            }
        }
    }
    let case = (|| {
        let x = t::<B>(&data, &shape, device)?;
        let y = x.var(&[1], false, 1).map_err(err)?;
        let sums = host_reduce(ReduceOp::Mean, &data, &shape, &[1]);
        let mut want = vec![0.0; 8];
        for (i, &v) in data.iter().enumerate() {
            let idx = unravel(i, &shape);
            let o = idx[0] * 4 + idx[2];
            want[o] += (v - sums[o]).powi(2) / 2.0;
        }
        check_values(&y, &want, &[2, 4])?;
        check_gradients(&[x], &|xs| xs[0].var(&[1, 2], true, 0))
    })();
    report.record("reduce/var", case);
    let case = (|| {
        let x = t::<B>(&data, &shape, device)?;
        let y = x.cumsum(2).map_err(err)?;
        let mut want = data.clone();
        for r in 0..6 {
            for j in 1..4 {
                want[r * 4 + j] += want[r * 4 + j - 1];
            }
        }
        check_values(&y, &want, &shape)?;
        for axis in 0..3 {
            check_gradients(std::slice::from_ref(&x), &|xs| xs[0].cumsum(axis))?;
        }
        Ok(())
    })();
    report.record("cumsum", case);
    report.into_failures()
}

pub(crate) fn shape_ops<B: Backend>(device: &B::Device) -> Vec<Failure> {
    let mut report = Report::default();
    let data = signed_values(24, 1100);
    let x = |_: ()| t::<B>(&data, &[2, 3, 4], device);
    let case = (|| {
        let y = x(())?.reshape(&[4, 6]).map_err(err)?;
        check_values(&y, &data, &[4, 6])?;
        check_gradients(&[x(())?], &|xs| xs[0].reshape(&[6, 2, 2]))
    })();
    report.record("reshape", case);
    let case = (|| {
        let y = x(())?.permute(&[2, 0, 1]).map_err(err)?;
        let want: Vec<f64> = (0..24)
            .map(|o| {
                let idx = unravel(o, &[4, 2, 3]);
                data[idx[1] * 12 + idx[2] * 4 + idx[0]]
            })
            .collect();
        check_values(&y, &want, &[4, 2, 3])?;
        // a permuted tensor feeding another op exercises non-contiguous inputs
        check_gradients(&[x(())?], &|xs| xs[0].permute(&[1, 2, 0])?.exp())
    })();
    report.record("permute", case);
    let case = (|| {
        let a = t::<B>(&signed_values(6, 1101), &[2, 1, 3], device)?;
        let b = t::<B>(&signed_values(12, 1102), &[2, 2, 3], device)?;
        let y = Tensor::cat(&[a.clone(), b.clone()], 1).map_err(err)?;
        let (av, bv) = (a.to_f64_vec().map_err(err)?, b.to_f64_vec().map_err(err)?);
        let mut want = Vec::new();
        for i in 0..2 {
            want.extend_from_slice(&av[i * 3..i * 3 + 3]);
            want.extend_from_slice(&bv[i * 6..i * 6 + 6]);
        }
        check_values(&y, &want, &[2, 3, 3])?;
        check_gradients(&[a, b], &|xs| Tensor::cat(xs, 1))
    })();
    report.record("cat", case);
    let case = (|| {
        let y = x(())?.narrow(2, 1, 2).map_err(err)?;
        let want: Vec<f64> = (0..6)
            .flat_map(|r| [data[r * 4 + 1], data[r * 4 + 2]])
            .collect();
        check_values(&y, &want, &[2, 3, 2])?;
        check_gradients(&[x(())?], &|xs| xs[0].narrow(1, 1, 2))?;
        let parts = x(())?.split(2, &[1, 3]).map_err(err)?;
        check_values(
            &parts[1],
            &(0..6)
                .flat_map(|r| data[r * 4 + 1..r * 4 + 4].to_vec())
                .collect::<Vec<_>>(),
            &[2, 3, 3],
        )
    })();
    report.record("narrow_split", case);
    let case = (|| {
        let y = x(())?.flip(&[0, 2]).map_err(err)?;
        let want: Vec<f64> = (0..24)
            .map(|o| {
                let idx = unravel(o, &[2, 3, 4]);
                data[(1 - idx[0]) * 12 + idx[1] * 4 + (3 - idx[2])]
            })
            .collect();
        check_values(&y, &want, &[2, 3, 4])?;
        check_gradients(&[x(())?], &|xs| xs[0].flip(&[1]))
    })();
    report.record("flip", case);
    let case = (|| {
        let y = x(())?.to_device(device).map_err(err)?;
        check_values(&y, &data, &[2, 3, 4])?;
        check_gradients(&[x(())?], &|xs| xs[0].to_device(device))
    })();
    report.record("to_device", case);
    report.into_failures()
}

pub(crate) fn index_ops<B: Backend>(device: &B::Device) -> Vec<Failure> {
    let mut report = Report::default();
    let data = signed_values(12, 1200);
    let x = || t::<B>(&data, &[3, 4], device);
    let case = (|| {
        let y = x()?.index_select(1, &[3, 0, 0, 2]).map_err(err)?;
        let want: Vec<f64> = (0..3)
            .flat_map(|r| [3, 0, 0, 2].map(|c| data[r * 4 + c]))
            .collect();
        check_values(&y, &want, &[3, 4])?;
        check_gradients(&[x()?], &|xs| xs[0].index_select(0, &[2, 2, 0]))
    })();
    report.record("index_select", case);
    let index_data = [0.0, 3.0, 1.0, 1.0, 2.0, 2.0];
    let case = (|| {
        let index = t::<B>(&index_data, &[3, 2], device)?;
        let y = x()?.gather(1, &index).map_err(err)?;
        let want: Vec<f64> = (0..6)
            .map(|i| data[(i / 2) * 4 + index_data[i] as usize])
            .collect();
        check_values(&y, &want, &[3, 2])?;
        check_gradients(&[x()?], &|xs| xs[0].gather(1, &index))?;
        let index0 = t::<B>(&[2.0, 0.0, 1.0, 2.0], &[1, 4], device)?;
        check_gradients(&[x()?], &|xs| xs[0].gather(0, &index0))
    })();
    report.record("gather", case);
    let case = (|| {
        let index = t::<B>(&index_data, &[3, 2], device)?;
        let src = t::<B>(&signed_values(6, 1201), &[3, 2], device)?;
        let y = x()?.scatter_add(1, &index, &src).map_err(err)?;
        let sv = src.to_f64_vec().map_err(err)?;
        let mut want = data.clone();
        for i in 0..6 {
            want[(i / 2) * 4 + index_data[i] as usize] += sv[i];
        }
        check_values(&y, &want, &[3, 4])?;
        check_gradients(&[x()?, src], &|xs| xs[0].scatter_add(1, &index, &xs[1]))
    })();
    report.record("scatter_add", case);
    let case = (|| {
        let sorted = t::<B>(&[-1.0, 0.0, 0.5, 2.0], &[4], device)?;
        let v = t::<B>(&[-2.0, 0.0, 0.3, 2.0, 5.0], &[5], device)?.track();
        let left = sorted.searchsorted(&v, false).map_err(err)?;
        check_values(&left, &[0.0, 1.0, 2.0, 3.0, 4.0], &[5])?;
        let right = v.bucketize(&sorted, true).map_err(err)?;
        check_values(&right, &[0.0, 2.0, 2.0, 4.0, 4.0], &[5])?;
        if left.is_tracked() {
            return Err("searchsorted output must not be tracked".into());
        }
        // batched: one sorted row per batch element
        let rows = t::<B>(&[0.0, 1.0, 2.0, 10.0, 20.0, 30.0], &[2, 3], device)?;
        let vals = t::<B>(&[1.5, -1.0, 25.0, 10.0], &[2, 2], device)?;
        check_values(
            &rows.searchsorted(&vals, false).map_err(err)?,
            &[2.0, 0.0, 2.0, 0.0],
            &[2, 2],
        )
    })();
    report.record("searchsorted", case);
    report.into_failures()
}

pub(crate) fn composite<B: Backend>(device: &B::Device) -> Vec<Failure> {
    let mut report = Report::default();
    let case = (|| {
        let x = t::<B>(&signed_values(8, 1300), &[2, 4], device)?;
        let s = x.softmax(1).map_err(err)?;
        let sums = s.sum(&[1], false).map_err(err)?;
        check_values(&sums, &[1.0, 1.0], &[2])?;
        check_gradients(std::slice::from_ref(&x), &|xs| xs[0].softmax(1))?;
        check_gradients(&[x], &|xs| xs[0].log_softmax(0))
    })();
    report.record("softmax", case);
    let case = (|| {
        let x = t::<B>(&signed_values(2 * 3 * 7, 1301), &[2, 3, 7], device)?;
        let w = t::<B>(&signed_values(4 * 3 * 3, 1302), &[4, 3, 3], device)?;
        let b = t::<B>(&signed_values(4, 1303), &[4], device)?;
        let opts = Conv1dOptions {
            stride: 2,
            padding: 1,
            dilation: 1,
        };
        let y = x.conv1d(&w, Some(&b), opts).map_err(err)?;
        // host reference
        let (xv, wv, bv) = (
            x.to_f64_vec().map_err(err)?,
            w.to_f64_vec().map_err(err)?,
            b.to_f64_vec().map_err(err)?,
        );
        let out_len = (7 + 2 - 3) / 2 + 1;
        let mut want = vec![0.0; 2 * 4 * out_len];
        for n in 0..2 {
            for o in 0..4 {
                for l in 0..out_len {
                    let mut acc = bv[o];
                    for c in 0..3 {
                        for k in 0..3 {
                            let pos = (l * 2 + k) as isize - 1;
                            if (0..7).contains(&pos) {
                                acc += xv[n * 21 + c * 7 + pos as usize] * wv[o * 9 + c * 3 + k];
                            }
                        }
                    }
                    want[n * 4 * out_len + o * out_len + l] = acc;
                }
            }
        }
        check_values(&y, &want, &[2, 4, out_len])?;
        let dil = Conv1dOptions {
            stride: 1,
            padding: 2,
            dilation: 2,
        };
        check_gradients(&[x, w, b], &|xs| xs[0].conv1d(&xs[1], Some(&xs[2]), dil))
    })();
    report.record("conv1d", case);
    let case = (|| {
        let x = t::<B>(&signed_values(6, 1304), &[2, 3], device)?;
        check_gradients(std::slice::from_ref(&x), &|xs| xs[0].mish())?;
        check_gradients(std::slice::from_ref(&x), &|xs| xs[0].hard_silu())?;
        check_gradients(&[x], &|xs| xs[0].leaky_relu(0.1))
    })();
    report.record("activations", case);
    let case = (|| {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let m = Tensor::<B>::dropout_mask(&[1000], 0.25, &mut rng, device).map_err(err)?;
        let v = m.to_f64_vec().map_err(err)?;
        let zeros = v.iter().filter(|&&x| x == 0.0).count();
        let scale_ok = v.iter().all(|&x| x == 0.0 || (x - 4.0 / 3.0).abs() < 1e-6);
        if !(200..300).contains(&zeros) || !scale_ok {
            return Err(format!(
                "dropout mask has {zeros} zeros of 1000 at rate 0.25"
            ));
        }
        let x = t::<B>(&values(4, 1305, -1.0, 1.0), &[4], device)?;
        let same = x.dropout(0.5, false, &mut rng).map_err(err)?;
        check_values(&same, &x.to_f64_vec().map_err(err)?, &[4])
    })();
    report.record("dropout", case);
    report.into_failures()
}
