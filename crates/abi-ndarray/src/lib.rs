#![doc = include_str!("../README.md")]

mod autodiff;
mod kernels;
mod tensor;

pub use tensor::NdTensor;

use abi_tensor::{
    AdamStep, Backend, BinaryOp, CmpOp, Element, Gradients, ReduceOp, Result, TensorError,
    TensorId, UnaryOp,
};
use ndarray::{ArrayD, IxDyn};
use std::marker::PhantomData;

/// Element types the ndarray backend computes in: `f32` (default) and `f64`.
pub trait NdFloat:
    Element + ndarray::LinalgScalar + ndarray::ScalarOperand + std::iter::Sum
{
    /// The error function.
    fn erf(self) -> Self;
}

impl NdFloat for f32 {
    fn erf(self) -> Self {
        libm::erff(self)
    }
}

impl NdFloat for f64 {
    fn erf(self) -> Self {
        libm::erf(self)
    }
}

/// The CPU device (the only one this backend has).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cpu;

/// The pure-Rust CPU backend: `ndarray` storage, reverse-mode autodiff over a dynamic graph,
/// `gemm` matrix products using both cores for large products.
///
/// `NdArray` (= `NdArray<f32>`) trains networks; `NdArray<f64>` runs gradient checks and
/// high-precision references. Results are deterministic for a given seed whatever the number
/// of threads: parallel kernels split work by output element, never by summation order.
///
/// ```
/// use abi_ndarray::{Cpu, NdArray};
/// use abi_tensor::Tensor;
/// let x = Tensor::<NdArray>::from_f32(&[1.0, 2.0, 3.0], &[3], &Cpu).unwrap().track();
/// let loss = x.square().unwrap().sum_all().unwrap();
/// let grads = loss.backward().unwrap();
/// assert_eq!(grads.get(&x).unwrap().to_vec().unwrap(), vec![2.0, 4.0, 6.0]);
/// ```
pub struct NdArray<F = f32>(PhantomData<F>);

impl<F> Clone for NdArray<F> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<F> Copy for NdArray<F> {}
impl<F> Default for NdArray<F> {
    fn default() -> Self {
        NdArray(PhantomData)
    }
}
impl<F> std::fmt::Debug for NdArray<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NdArray<{}>", std::any::type_name::<F>())
    }
}

impl<F: NdFloat> Backend for NdArray<F> {
    type Elem = F;
    type Tensor = NdTensor<F>;
    type Device = Cpu;

    fn name() -> String {
        format!("ndarray-{}", F::DTYPE)
    }

    fn from_vec(data: Vec<F>, shape: &[usize], _device: &Cpu) -> Result<NdTensor<F>> {
        let len = data.len();
        ArrayD::from_shape_vec(IxDyn(shape), data)
            .map(NdTensor::constant)
            .map_err(|_| TensorError::DataLength {
                op: "from_vec",
                len,
                shape: shape.to_vec(),
            })
    }

    fn to_vec(x: &NdTensor<F>) -> Result<Vec<F>> {
        let a = x.array();
        Ok(match a.as_slice() {
            Some(s) => s.to_vec(),
            None => a.iter().copied().collect(),
        })
    }

    fn shape(x: &NdTensor<F>) -> Vec<usize> {
        x.array().shape().to_vec()
    }

    fn device(_x: &NdTensor<F>) -> Cpu {
        Cpu
    }

    fn to_device(x: &NdTensor<F>, _device: &Cpu) -> Result<NdTensor<F>> {
        Ok(NdTensor::record(x.array().clone(), &[x], |g, _, _| {
            vec![Some(g.clone())]
        }))
    }

    fn unary(op: UnaryOp, x: &NdTensor<F>) -> Result<NdTensor<F>> {
        kernels::elementwise::unary(op, x)
    }

    fn binary(op: BinaryOp, a: &NdTensor<F>, b: &NdTensor<F>) -> Result<NdTensor<F>> {
        kernels::elementwise::binary(op, a, b)
    }

    fn compare(op: CmpOp, a: &NdTensor<F>, b: &NdTensor<F>) -> Result<NdTensor<F>> {
        kernels::elementwise::compare(op, a, b)
    }

    fn where_cond(mask: &NdTensor<F>, a: &NdTensor<F>, b: &NdTensor<F>) -> Result<NdTensor<F>> {
        kernels::elementwise::where_cond(mask, a, b)
    }

    fn matmul(a: &NdTensor<F>, b: &NdTensor<F>) -> Result<NdTensor<F>> {
        kernels::matmul::matmul(a, b)
    }

    fn linear(x: &NdTensor<F>, w: &NdTensor<F>, b: Option<&NdTensor<F>>) -> Result<NdTensor<F>> {
        kernels::matmul::linear(x, w, b)
    }

    fn reduce(op: ReduceOp, x: &NdTensor<F>, axes: &[usize], keepdim: bool) -> Result<NdTensor<F>> {
        kernels::reduce::reduce(op, x, axes, keepdim)
    }

    fn cumsum(x: &NdTensor<F>, axis: usize) -> Result<NdTensor<F>> {
        kernels::reduce::cumsum(x, axis)
    }

    fn reshape(x: &NdTensor<F>, shape: &[usize]) -> Result<NdTensor<F>> {
        kernels::shape::reshape(x, shape)
    }

    fn permute(x: &NdTensor<F>, perm: &[usize]) -> Result<NdTensor<F>> {
        kernels::shape::permute(x, perm)
    }

    fn broadcast_to(x: &NdTensor<F>, shape: &[usize]) -> Result<NdTensor<F>> {
        kernels::shape::broadcast_to(x, shape)
    }

    fn cat(xs: &[NdTensor<F>], axis: usize) -> Result<NdTensor<F>> {
        if xs.is_empty() {
            return Err(TensorError::InvalidArgument {
                op: "cat",
                reason: "no tensors to concatenate".into(),
            });
        }
        kernels::shape::cat(xs, axis)
    }

    fn narrow(x: &NdTensor<F>, axis: usize, start: usize, len: usize) -> Result<NdTensor<F>> {
        kernels::shape::narrow(x, axis, start, len)
    }

    fn index_select(x: &NdTensor<F>, axis: usize, indices: &[usize]) -> Result<NdTensor<F>> {
        kernels::index::index_select(x, axis, indices)
    }

    fn gather(x: &NdTensor<F>, axis: usize, index: &NdTensor<F>) -> Result<NdTensor<F>> {
        kernels::index::gather(x, axis, index)
    }

    fn scatter_add(
        x: &NdTensor<F>,
        axis: usize,
        index: &NdTensor<F>,
        src: &NdTensor<F>,
    ) -> Result<NdTensor<F>> {
        kernels::index::scatter_add(x, axis, index, src)
    }

    fn flip(x: &NdTensor<F>, axes: &[usize]) -> Result<NdTensor<F>> {
        kernels::shape::flip(x, axes)
    }

    fn searchsorted(
        sorted: &NdTensor<F>,
        values: &NdTensor<F>,
        right: bool,
    ) -> Result<NdTensor<F>> {
        kernels::index::searchsorted(sorted, values, right)
    }

    fn detach(x: &NdTensor<F>) -> NdTensor<F> {
        NdTensor::shared(x.node.value.clone(), false)
    }

    fn track(x: &NdTensor<F>) -> NdTensor<F> {
        NdTensor::shared(x.node.value.clone(), true)
    }

    fn is_tracked(x: &NdTensor<F>) -> bool {
        x.tracked()
    }

    fn id(x: &NdTensor<F>) -> TensorId {
        TensorId(x.node.id)
    }

    fn backward(output: &NdTensor<F>, seed: &NdTensor<F>) -> Result<Gradients<Self>> {
        autodiff::backward(output, seed)
    }

    fn grad_enabled() -> bool {
        tensor::grad_enabled()
    }

    fn set_grad_enabled(enabled: bool) -> bool {
        tensor::set_grad_enabled(enabled)
    }

    fn adam_update(
        param: &NdTensor<F>,
        grad: &NdTensor<F>,
        m: NdTensor<F>,
        v: NdTensor<F>,
        s: &AdamStep,
    ) -> Result<(NdTensor<F>, NdTensor<F>, NdTensor<F>)> {
        kernels::optim::adam_update(param, grad, m, v, s)
    }
}
