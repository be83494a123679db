//! Elementwise methods of [`Tensor<B>`] and the arithmetic operators.

use crate::backend::Backend;
use crate::check;
use crate::error::Result;
use crate::ops::{BinaryOp, CmpOp, UnaryOp};
use crate::shape::broadcast_shapes;
use crate::tensor::Tensor;

macro_rules! unary_methods {
    ($($(#[$doc:meta])* $name:ident => $op:expr;)*) => {
        impl<B: Backend> Tensor<B> {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> Result<Self> {
                    self.unary($op)
                }
            )*
        }
    };
}

unary_methods! {
    /// `-x`
    neg => UnaryOp::Neg;
    /// `e^x`
    exp => UnaryOp::Exp;
    /// natural logarithm
    log => UnaryOp::Log;
    /// square root
    sqrt => UnaryOp::Sqrt;
    /// absolute value
    abs => UnaryOp::Abs;
    /// hyperbolic tangent
    tanh => UnaryOp::Tanh;
    /// logistic sigmoid
    sigmoid => UnaryOp::Sigmoid;
    /// rectified linear unit
    relu => UnaryOp::Relu;
    /// exact GELU
    gelu => UnaryOp::Gelu;
    /// SiLU (swish)
    silu => UnaryOp::Silu;
    /// `ln(1 + e^x)`
    softplus => UnaryOp::Softplus;
    /// `ln(1 + x)`
    log1p => UnaryOp::Log1p;
    /// `e^x - 1`
    expm1 => UnaryOp::Expm1;
    /// sine
    sin => UnaryOp::Sin;
    /// cosine
    cos => UnaryOp::Cos;
    /// inverse hyperbolic sine
    asinh => UnaryOp::Asinh;
    /// `x²`
    square => UnaryOp::Square;
    /// `1 / x`
    recip => UnaryOp::Recip;
}

impl<B: Backend> Tensor<B> {
    /// Applies an elementwise operation.
    pub fn unary(&self, op: UnaryOp) -> Result<Self> {
        B::unary(op, self.raw()).map(Self::from_raw)
    }

    /// Applies a broadcasting binary operation.
    pub fn binary(&self, op: BinaryOp, other: &Self) -> Result<Self> {
        broadcast_shapes(op.name(), &self.shape(), &other.shape())?;
        B::binary(op, self.raw(), other.raw()).map(Self::from_raw)
    }

    /// `self + other` (broadcast).
    pub fn add(&self, other: &Self) -> Result<Self> {
        self.binary(BinaryOp::Add, other)
    }

    /// `self - other` (broadcast).
    pub fn sub(&self, other: &Self) -> Result<Self> {
        self.binary(BinaryOp::Sub, other)
    }

    /// `self * other` (broadcast).
    pub fn mul(&self, other: &Self) -> Result<Self> {
        self.binary(BinaryOp::Mul, other)
    }

    /// `self / other` (broadcast).
    pub fn div(&self, other: &Self) -> Result<Self> {
        self.binary(BinaryOp::Div, other)
    }

    /// Elementwise minimum (broadcast).
    pub fn minimum(&self, other: &Self) -> Result<Self> {
        self.binary(BinaryOp::Minimum, other)
    }

    /// Elementwise maximum (broadcast).
    pub fn maximum(&self, other: &Self) -> Result<Self> {
        self.binary(BinaryOp::Maximum, other)
    }

    /// `x + c`
    pub fn add_scalar(&self, c: f64) -> Result<Self> {
        self.unary(UnaryOp::AddScalar(c))
    }

    /// `x - c`
    pub fn sub_scalar(&self, c: f64) -> Result<Self> {
        self.unary(UnaryOp::AddScalar(-c))
    }

    /// `x · c`
    pub fn mul_scalar(&self, c: f64) -> Result<Self> {
        self.unary(UnaryOp::MulScalar(c))
    }

    /// `x / c`
    pub fn div_scalar(&self, c: f64) -> Result<Self> {
        self.unary(UnaryOp::MulScalar(1.0 / c))
    }

    /// `x^p` for a constant `p`.
    pub fn powf(&self, p: f64) -> Result<Self> {
        self.unary(UnaryOp::Powf(p))
    }

    /// ELU with slope `alpha` for negative inputs.
    pub fn elu(&self, alpha: f64) -> Result<Self> {
        self.unary(UnaryOp::Elu(alpha))
    }

    /// Clamps into `[min, max]`.
    pub fn clamp(&self, min: f64, max: f64) -> Result<Self> {
        self.unary(UnaryOp::Clamp { min, max })
    }

    /// Mish: `x · tanh(softplus(x))`.
    pub fn mish(&self) -> Result<Self> {
        self.unary(UnaryOp::Mish)
    }

    /// Hard SiLU (hard swish): `x · relu6(x + 3) / 6`.
    pub fn hard_silu(&self) -> Result<Self> {
        self.unary(UnaryOp::HardSilu)
    }

    /// Leaky ReLU: `max(x, slope · x)` for `0 ≤ slope ≤ 1`.
    pub fn leaky_relu(&self, slope: f64) -> Result<Self> {
        self.maximum(&self.mul_scalar(slope)?)
    }

    /// A mask comparing two broadcast tensors (untracked).
    pub fn compare(&self, op: CmpOp, other: &Self) -> Result<Self> {
        broadcast_shapes(op.name(), &self.shape(), &other.shape())?;
        B::compare(op, self.raw(), other.raw()).map(Self::from_raw)
    }

    /// Mask of `self == other`.
    pub fn eq(&self, other: &Self) -> Result<Self> {
        self.compare(CmpOp::Eq, other)
    }

    /// Mask of `self < other`.
    pub fn lt(&self, other: &Self) -> Result<Self> {
        self.compare(CmpOp::Lt, other)
    }

    /// Mask of `self <= other`.
    pub fn le(&self, other: &Self) -> Result<Self> {
        self.compare(CmpOp::Le, other)
    }

    /// Mask of `self > other`.
    pub fn gt(&self, other: &Self) -> Result<Self> {
        self.compare(CmpOp::Gt, other)
    }

    /// Mask of `self >= other`.
    pub fn ge(&self, other: &Self) -> Result<Self> {
        self.compare(CmpOp::Ge, other)
    }

    /// Picks `on_true` where `self` (a mask) is non-zero, else `on_false`; all broadcast.
    pub fn where_cond(&self, on_true: &Self, on_false: &Self) -> Result<Self> {
        check::where_cond(&self.shape(), &on_true.shape(), &on_false.shape())?;
        B::where_cond(self.raw(), on_true.raw(), on_false.raw()).map(Self::from_raw)
    }
}

macro_rules! operator {
    ($trait:ident, $method:ident, $op:expr) => {
        impl<B: Backend> std::ops::$trait<&Tensor<B>> for &Tensor<B> {
            type Output = Result<Tensor<B>>;
            fn $method(self, rhs: &Tensor<B>) -> Result<Tensor<B>> {
                self.binary($op, rhs)
            }
        }
        impl<B: Backend> std::ops::$trait<Tensor<B>> for Tensor<B> {
            type Output = Result<Tensor<B>>;
            fn $method(self, rhs: Tensor<B>) -> Result<Tensor<B>> {
                self.binary($op, &rhs)
            }
        }
    };
}

operator!(Add, add, BinaryOp::Add);
operator!(Sub, sub, BinaryOp::Sub);
operator!(Mul, mul, BinaryOp::Mul);
operator!(Div, div, BinaryOp::Div);

macro_rules! scalar_operator {
    ($trait:ident, $method:ident, $f:expr) => {
        impl<B: Backend> std::ops::$trait<f64> for &Tensor<B> {
            type Output = Result<Tensor<B>>;
            fn $method(self, rhs: f64) -> Result<Tensor<B>> {
                self.unary($f(rhs))
            }
        }
    };
}

scalar_operator!(Add, add, UnaryOp::AddScalar);
scalar_operator!(Sub, sub, |c: f64| UnaryOp::AddScalar(-c));
scalar_operator!(Mul, mul, UnaryOp::MulScalar);
scalar_operator!(Div, div, |c: f64| UnaryOp::MulScalar(1.0 / c));

impl<B: Backend> std::ops::Neg for &Tensor<B> {
    type Output = Result<Tensor<B>>;
    fn neg(self) -> Result<Tensor<B>> {
        self.unary(UnaryOp::Neg)
    }
}
