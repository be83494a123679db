//! The operation families a backend implements, as plain enums.
//!
//! Keeping the families as enums keeps the [`Backend`](crate::Backend) trait small: a backend
//! writes one kernel and one gradient rule per family member, and new members are added without
//! new trait methods. Each member's name for error messages is defined here, once
//! ([`UnaryOp::name`], ...).

use serde::{Deserialize, Serialize};

/// Elementwise operations of one tensor. Parameterised members carry their constants.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `e^x`
    Exp,
    /// natural logarithm
    Log,
    /// square root
    Sqrt,
    /// `|x|` (gradient `sign(x)`, zero at zero)
    Abs,
    /// hyperbolic tangent
    Tanh,
    /// logistic sigmoid `1 / (1 + e^-x)`
    Sigmoid,
    /// `max(x, 0)`
    Relu,
    /// exact GELU `x Φ(x)` with the normal CDF `Φ`
    Gelu,
    /// SiLU / swish `x σ(x)`
    Silu,
    /// Mish `x · tanh(softplus(x))` (Misra, 2019)
    Mish,
    /// hard SiLU / hard swish `x · relu6(x + 3) / 6` (Howard et al., 2019)
    HardSilu,
    /// ELU with the given `alpha`
    Elu(f64),
    /// `ln(1 + e^x)`, computed stably
    Softplus,
    /// `ln(1 + x)`
    Log1p,
    /// `e^x - 1`
    Expm1,
    /// sine
    Sin,
    /// cosine
    Cos,
    /// inverse hyperbolic sine
    Asinh,
    /// `x²`
    Square,
    /// `1 / x`
    Recip,
    /// `x^p` for a constant exponent
    Powf(f64),
    /// `x + c`
    AddScalar(f64),
    /// `x · c`
    MulScalar(f64),
    /// clamp into `[min, max]` (gradient 1 inside, 0 outside)
    Clamp {
        /// lower bound
        min: f64,
        /// upper bound
        max: f64,
    },
}

impl UnaryOp {
    /// The operation's name in error messages, e.g. `"tanh"`, `"clamp"`.
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Exp => "exp",
            UnaryOp::Log => "log",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Abs => "abs",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::Relu => "relu",
            UnaryOp::Gelu => "gelu",
            UnaryOp::Silu => "silu",
            UnaryOp::Mish => "mish",
            UnaryOp::HardSilu => "hard_silu",
            UnaryOp::Elu(_) => "elu",
            UnaryOp::Softplus => "softplus",
            UnaryOp::Log1p => "log1p",
            UnaryOp::Expm1 => "expm1",
            UnaryOp::Sin => "sin",
            UnaryOp::Cos => "cos",
            UnaryOp::Asinh => "asinh",
            UnaryOp::Square => "square",
            UnaryOp::Recip => "recip",
            UnaryOp::Powf(_) => "powf",
            UnaryOp::AddScalar(_) => "add_scalar",
            UnaryOp::MulScalar(_) => "mul_scalar",
            UnaryOp::Clamp { .. } => "clamp",
        }
    }
}

/// Elementwise operations of two tensors, with NumPy broadcasting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BinaryOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a · b`
    Mul,
    /// `a / b`
    Div,
    /// elementwise minimum (the gradient goes to `a` on ties)
    Minimum,
    /// elementwise maximum (the gradient goes to `a` on ties)
    Maximum,
}

impl BinaryOp {
    /// The operation's name in error messages, e.g. `"add"`.
    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Minimum => "minimum",
            BinaryOp::Maximum => "maximum",
        }
    }
}

/// Comparisons producing a mask of ones and zeros (never tracked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    /// `a == b`
    Eq,
    /// `a != b`
    Ne,
    /// `a < b`
    Lt,
    /// `a <= b`
    Le,
    /// `a > b`
    Gt,
    /// `a >= b`
    Ge,
}

impl CmpOp {
    /// The operation's name in error messages, e.g. `"lt"`.
    pub fn name(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
        }
    }

    /// Evaluates the comparison on two scalars.
    pub fn eval<F: PartialOrd>(self, a: F, b: F) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        }
    }
}

/// Reductions over a set of axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReduceOp {
    /// sum
    Sum,
    /// arithmetic mean
    Mean,
    /// maximum (the gradient is shared equally among ties)
    Max,
    /// minimum (the gradient is shared equally among ties)
    Min,
    /// `ln Σ e^x`, computed stably
    LogSumExp,
}

impl ReduceOp {
    /// The operation's name in error messages, e.g. `"sum"`.
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Mean => "mean",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
            ReduceOp::LogSumExp => "logsumexp",
        }
    }
}

/// The constants of one Adam / AdamW update, as passed to [`Backend::adam_update`](crate::Backend::adam_update).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamStep {
    /// Learning rate of this step.
    pub lr: f64,
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Added to the root of the corrected second moment.
    pub eps: f64,
    /// `1 - beta1^t`
    pub bias1: f64,
    /// `1 - beta2^t`
    pub bias2: f64,
    /// L2 penalty added to the gradient (classic Adam weight decay).
    pub l2: f64,
    /// Decoupled weight decay (AdamW): `p -= lr · decoupled · p`.
    pub decoupled: f64,
}
