//! Time-major sequences as lists of steps.

use abi_tensor::{Backend, Result, Tensor};

/// Splits a time-major `(time, ...)` tensor into its `time` steps `(...)`.
///
/// The gradient of a slice is a zero tensor of the sliced tensor's full size, so slicing
/// each step off a tracked sequence directly would cost `O(time²)` in the backward pass;
/// halving recursively costs `O(time · log time)` instead. Untracked tensors are sliced
/// directly.
pub(crate) fn split_steps<B: Backend>(x: &Tensor<B>) -> Result<Vec<Tensor<B>>> {
    let mut out = Vec::with_capacity(x.dim(0)?);
    split_into(x, &mut out)?;
    Ok(out)
}

fn split_into<B: Backend>(x: &Tensor<B>, out: &mut Vec<Tensor<B>>) -> Result<()> {
    let t = x.dim(0)?;
    if t <= 2 || !x.is_tracked() {
        for i in 0..t {
            out.push(x.narrow(0, i, 1)?.squeeze(0)?);
        }
        return Ok(());
    }
    let half = t / 2;
    split_into(&x.narrow(0, 0, half)?, out)?;
    split_into(&x.narrow(0, half, t - half)?, out)
}

/// `(batch, time)` mask → one `(batch, 1)` column per step, untracked.
pub(crate) fn mask_steps<B: Backend>(mask: &Tensor<B>) -> Result<Vec<Tensor<B>>> {
    let m = mask.detach();
    let b = m.dim(0)?;
    split_steps(&m.t()?)?
        .into_iter()
        .map(|s| s.reshape(&[b, 1]))
        .collect()
}

/// `(batch, time, dim)` → `(time, batch, dim)`.
pub(crate) fn time_major<B: Backend>(x: &Tensor<B>) -> Result<Tensor<B>> {
    x.permute(&[1, 0, 2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi_ndarray::{Cpu, NdArray};

    #[test]
    fn steps_come_back_in_order_with_their_gradients() {
        let x = Tensor::<NdArray<f64>>::arange(0.0, 14.0, 1.0, &Cpu)
            .unwrap()
            .reshape(&[7, 2])
            .unwrap()
            .track();
        let steps = split_steps(&x).unwrap();
        assert_eq!(steps.len(), 7);
        for (i, s) in steps.iter().enumerate() {
            assert_eq!(
                s.to_f64_vec().unwrap(),
                [2.0 * i as f64, 2.0 * i as f64 + 1.0]
            );
        }
        let w: Vec<Tensor<NdArray<f64>>> = steps
            .iter()
            .enumerate()
            .map(|(i, s)| s.mul_scalar(i as f64).unwrap().sum_all().unwrap())
            .collect();
        let loss = w
            .iter()
            .skip(1)
            .fold(w[0].clone(), |a, b| a.add(b).unwrap());
        let g = loss
            .backward()
            .unwrap()
            .get(&x)
            .unwrap()
            .to_f64_vec()
            .unwrap();
        let want: Vec<f64> = (0..7).flat_map(|i| [i as f64, i as f64]).collect();
        assert_eq!(g, want);
    }
}
