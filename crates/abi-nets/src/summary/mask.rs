//! Padding masks `(batch, n)` (1 = real element, 0 = padding) and the pooling that honours them.

use abi_tensor::{Backend, Result, Tensor, TensorError};

/// Checks that `x` is `(batch, n, dim)` and `mask`, if any, is `(batch, n)`.
pub(crate) fn check<B: Backend>(
    op: &'static str,
    x: &Tensor<B>,
    mask: Option<&Tensor<B>>,
) -> Result<()> {
    let s = x.shape();
    if s.len() != 3 {
        return Err(TensorError::InvalidShape {
            op,
            shape: s,
            reason: "expected (batch, set or time, dim)".into(),
        });
    }
    if let Some(m) = mask {
        if m.shape() != s[..2] {
            return Err(TensorError::ShapeMismatch {
                op,
                lhs: m.shape(),
                rhs: s[..2].to_vec(),
            });
        }
    }
    Ok(())
}

/// `(batch, n)` → `(batch, n, 1)`, untracked (masks are data, never trained).
pub(crate) fn column<B: Backend>(mask: &Tensor<B>) -> Result<Tensor<B>> {
    mask.detach().unsqueeze(2)
}

/// Mean over the real elements: `(batch, n, dim)` → `(batch, dim)`; a row without real
/// elements gives zeros.
pub(crate) fn mean<B: Backend>(x: &Tensor<B>, mask: Option<&Tensor<B>>) -> Result<Tensor<B>> {
    let Some(m) = mask else {
        return x.mean(&[1], false);
    };
    let m = m.detach();
    let count = m.sum(&[1], true)?.clamp(1.0, f64::INFINITY)?; // (batch, 1)
    x.mul(&m.unsqueeze(2)?)?.sum(&[1], false)?.div(&count)
}

/// Maximum over the real elements: `(batch, n, dim)` → `(batch, dim)`; a row without real
/// elements gives zeros.
pub(crate) fn max<B: Backend>(x: &Tensor<B>, mask: Option<&Tensor<B>>) -> Result<Tensor<B>> {
    let Some(m) = mask else {
        return x.max(&[1], false);
    };
    let m = column(m)?;
    let floor = Tensor::full(&[1], -1e30, &x.device())?;
    let pooled = m.where_cond(x, &floor)?.max(&[1], false)?;
    let any = m.max(&[1], false)?; // (batch, 1): 1 where a real element exists
    let zero = Tensor::zeros(&[1], &x.device())?;
    any.where_cond(&pooled, &zero)
}

/// The additive attention penalty of a key mask `(batch, n_k)`: 0 for real keys, a large
/// negative number for padding, shaped `(batch, 1, 1, n_k)` to broadcast over heads and
/// queries. The penalty is finite, so a row of padding only yields uniform (finite) weights.
pub(crate) fn key_penalty<B: Backend>(mask: &Tensor<B>) -> Result<Tensor<B>> {
    let s = mask.shape();
    mask.detach()
        .sub_scalar(1.0)?
        .mul_scalar(1e9)?
        .reshape(&[s[0], 1, 1, s[1]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi_ndarray::{Cpu, NdArray};

    type B = NdArray<f64>;

    #[test]
    fn pooling_ignores_padding_and_empty_rows_are_zero() {
        let x = Tensor::<B>::from_f64(
            &[
                1.0, 2.0, 5.0, -1.0, 100.0, 7.0, 3.0, 4.0, 9.0, 9.0, 9.0, 9.0,
            ],
            &[2, 3, 2],
            &Cpu,
        )
        .unwrap();
        let m = Tensor::<B>::from_f64(&[1.0, 1.0, 0.0, 0.0, 0.0, 0.0], &[2, 3], &Cpu).unwrap();
        let mean = mean(&x, Some(&m)).unwrap().to_f64_vec().unwrap();
        assert_eq!(mean, [3.0, 0.5, 0.0, 0.0]);
        let max = max(&x, Some(&m)).unwrap().to_f64_vec().unwrap();
        assert_eq!(max, [5.0, 2.0, 0.0, 0.0]);
    }
}
