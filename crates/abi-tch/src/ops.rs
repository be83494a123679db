//! Elementwise operations: abi's operation families mapped onto libtorch's kernels.

use crate::tensor::TchTensor;
use abi_tensor::{BinaryOp, CmpOp, UnaryOp};
use tch::{Kind, TchError, Tensor};

pub(crate) fn unary(op: UnaryOp, x: &Tensor, kind: Kind) -> Result<Tensor, TchError> {
    match op {
        UnaryOp::Neg => x.f_neg(),
        UnaryOp::Exp => x.f_exp(),
        UnaryOp::Log => x.f_log(),
        UnaryOp::Sqrt => x.f_sqrt(),
        UnaryOp::Abs => x.f_abs(),
        UnaryOp::Tanh => x.f_tanh(),
        UnaryOp::Sigmoid => x.f_sigmoid(),
        UnaryOp::Relu => x.f_relu(),
        UnaryOp::Gelu => x.f_gelu("none"),
        UnaryOp::Silu => x.f_silu(),
        UnaryOp::Mish => x.f_mish(),
        UnaryOp::HardSilu => x.f_hardswish(),
        UnaryOp::Elu(alpha) => {
            // alpha (e^min(x,0) − 1) on the negative side: the unselected branch stays
            // finite, so its zero gradient never meets an infinity
            let negative = x.f_clamp_max(0.0)?.f_expm1()?.f_mul_scalar(alpha)?;
            x.f_where_self(&x.f_gt(0.0)?, &negative)
        }
        // libtorch returns x itself above 20, where ln(1 + e^-x) < 3e-9
        UnaryOp::Softplus => x.f_softplus(),
        UnaryOp::Log1p => x.f_log1p(),
        UnaryOp::Expm1 => x.f_expm1(),
        UnaryOp::Sin => x.f_sin(),
        UnaryOp::Cos => x.f_cos(),
        UnaryOp::Asinh => x.f_asinh(),
        UnaryOp::Square => x.f_square(),
        UnaryOp::Recip => x.f_reciprocal(),
        UnaryOp::Powf(p) => x.f_pow_tensor_scalar(p),
        UnaryOp::AddScalar(c) => x.f_add_scalar(c),
        UnaryOp::MulScalar(c) => x.f_mul_scalar(c),
        UnaryOp::Clamp { min, max } => {
            // libtorch rejects bounds its element type cannot hold (f64::MAX in f32);
            // saturating them gives the same result
            let limit = if kind == Kind::Float {
                f32::MAX as f64
            } else {
                f64::MAX
            };
            x.f_clamp(min.clamp(-limit, limit), max.clamp(-limit, limit))
        }
    }
}

pub(crate) fn binary(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor, TchError> {
    match op {
        BinaryOp::Add => a.f_add(b),
        BinaryOp::Sub => a.f_sub(b),
        BinaryOp::Mul => a.f_mul(b),
        BinaryOp::Div => a.f_div(b),
        // abi's rule sends the whole gradient to `a` on ties (libtorch splits it), and NaN
        // in `a` propagates
        BinaryOp::Minimum => {
            let take_a = a.f_le_tensor(b)?.f_logical_or(&a.f_isnan()?)?;
            a.f_where_self(&take_a, b)
        }
        BinaryOp::Maximum => {
            let take_a = a.f_ge_tensor(b)?.f_logical_or(&a.f_isnan()?)?;
            a.f_where_self(&take_a, b)
        }
    }
}

pub(crate) fn compare(op: CmpOp, a: &Tensor, b: &Tensor, kind: Kind) -> Result<Tensor, TchError> {
    let mask = match op {
        CmpOp::Eq => a.f_eq_tensor(b)?,
        CmpOp::Ne => a.f_ne_tensor(b)?,
        CmpOp::Lt => a.f_lt_tensor(b)?,
        CmpOp::Le => a.f_le_tensor(b)?,
        CmpOp::Gt => a.f_gt_tensor(b)?,
        CmpOp::Ge => a.f_ge_tensor(b)?,
    };
    mask.f_to_dtype(kind, false, false)
}

/// `true` where the mask tensor is non-zero.
pub(crate) fn truth(mask: &TchTensor) -> Result<Tensor, TchError> {
    mask.as_tch().f_ne(0.0)
}

/// An index tensor (integer values in range, checked by `Tensor::gather` /
/// `Tensor::scatter_add`) as libtorch's `int64` index.
pub(crate) fn positions(index: &TchTensor) -> Result<Tensor, TchError> {
    index.as_tch().f_to_dtype(Kind::Int64, false, false)
}
