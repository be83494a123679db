//! Reductions, softmax and matrix products of [`Tensor<B>`].

use crate::backend::Backend;
use crate::check;
use crate::error::{Result, TensorError};
use crate::ops::ReduceOp;
use crate::shape::{check_axes, matmul_shape};
use crate::tensor::Tensor;

impl<B: Backend> Tensor<B> {
    /// A reduction over `axes` (in any order, each at most once).
    pub fn reduce(&self, op: ReduceOp, axes: &[usize], keepdim: bool) -> Result<Self> {
        let axes = check_axes(op.name(), axes, self.rank())?;
        B::reduce(op, self.raw(), &axes, keepdim).map(Self::from_raw)
    }

    fn all_axes(&self) -> Vec<usize> {
        (0..self.rank()).collect()
    }

    /// Sum over `axes`.
    pub fn sum(&self, axes: &[usize], keepdim: bool) -> Result<Self> {
        self.reduce(ReduceOp::Sum, axes, keepdim)
    }

    /// Sum of every element (rank 0).
    pub fn sum_all(&self) -> Result<Self> {
        self.sum(&self.all_axes(), false)
    }

    /// Mean over `axes`.
    pub fn mean(&self, axes: &[usize], keepdim: bool) -> Result<Self> {
        self.reduce(ReduceOp::Mean, axes, keepdim)
    }

    /// Mean of every element (rank 0).
    pub fn mean_all(&self) -> Result<Self> {
        self.mean(&self.all_axes(), false)
    }

    /// Maximum over `axes`.
    pub fn max(&self, axes: &[usize], keepdim: bool) -> Result<Self> {
        self.reduce(ReduceOp::Max, axes, keepdim)
    }

    /// Minimum over `axes`.
    pub fn min(&self, axes: &[usize], keepdim: bool) -> Result<Self> {
        self.reduce(ReduceOp::Min, axes, keepdim)
    }

    /// `ln Σ exp` over `axes`, computed stably.
    pub fn logsumexp(&self, axes: &[usize], keepdim: bool) -> Result<Self> {
        self.reduce(ReduceOp::LogSumExp, axes, keepdim)
    }

    /// Variance over `axes` with `correction` degrees of freedom removed from the count
    /// (0: population variance, 1: unbiased sample variance).
    pub fn var(&self, axes: &[usize], keepdim: bool, correction: usize) -> Result<Self> {
        let sorted = check_axes("var", axes, self.rank())?;
        let shape = self.shape();
        let n: usize = sorted.iter().map(|&a| shape[a]).product();
        if n <= correction {
            return Err(TensorError::InvalidArgument {
                op: "var",
                reason: format!("{n} elements leave no degrees of freedom after {correction}"),
            });
        }
        let centred = self.sub(&self.mean(axes, true)?)?;
        centred
            .square()?
            .sum(axes, keepdim)?
            .mul_scalar(1.0 / (n - correction) as f64)
    }

    /// `log softmax` along `axis`.
    pub fn log_softmax(&self, axis: usize) -> Result<Self> {
        self.sub(&self.logsumexp(&[axis], true)?)
    }

    /// Softmax along `axis`.
    pub fn softmax(&self, axis: usize) -> Result<Self> {
        self.log_softmax(axis)?.exp()
    }

    /// Matrix product of the last two axes with broadcast batch axes:
    /// `(.., m, k) @ (.., k, n) -> (.., m, n)`.
    pub fn matmul(&self, other: &Self) -> Result<Self> {
        matmul_shape(&self.shape(), &other.shape())?;
        B::matmul(self.raw(), other.raw()).map(Self::from_raw)
    }

    /// Affine map `self @ w + b` of `(.., in)` with `w (in, out)` and `b (out)`, giving
    /// `(.., out)`: every leading axis is a batch axis (a dense layer applied to each element
    /// of a set or each step of a series needs no reshape).
    pub fn linear(&self, w: &Self, b: Option<&Self>) -> Result<Self> {
        let bias = b.map(Tensor::shape);
        check::linear(&self.shape(), &w.shape(), bias.as_deref())?;
        B::linear(self.raw(), w.raw(), b.map(|b| b.raw())).map(Self::from_raw)
    }

    /// The squared Euclidean norm of all elements (rank 0).
    pub fn sum_squares(&self) -> Result<Self> {
        self.square()?.sum_all()
    }
}
