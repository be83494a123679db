#![doc = include_str!("../README.md")]

mod autodiff;
mod kernels;
mod tensor;

pub use tensor::NdTensor;

use abi_tensor::{
    AdamStep, Backend, BinaryOp, CmpOp, Element, Gradients, ReduceOp, Result, RqSpline,
    TensorError, TensorId, UnaryOp,
};
use ndarray::{ArrayD, IxDyn};
use std::marker::PhantomData;

/// Rows per piece of graph-free batches: 1024 rows of a 128-wide hidden layer (512 KiB in
/// `f32`) stay in a core's L2 cache, and the pieces spread over the thread pool. Measured on
/// coupling-flow sampling of 10 240 draws.
const INFERENCE_CHUNK_ROWS: usize = 1024;

/// Element types the ndarray backend computes in: `f32` (default) and `f64`.
pub trait NdFloat:
    Element + ndarray::LinalgScalar + ndarray::ScalarOperand + std::iter::Sum
{
    /// The error function.
    fn erf(self) -> Self;
    /// `e^x` for elementwise kernels: in `f32` a branch-free polynomial the compiler
    /// vectorises (within 2 ulp of the libm call, [`fast_exp_f32`]); in `f64` the libm call.
    fn exp_kernel(self) -> Self;
    /// `ln(1 + u)` for `u ∈ [0, 1]`: in `f32` a vectorisable series ([`ln_1p_unit_f32`]); in
    /// `f64` the libm call.
    fn ln_1p_unit(self) -> Self;
}

impl NdFloat for f32 {
    fn erf(self) -> Self {
        libm::erff(self)
    }
    #[inline(always)]
    fn exp_kernel(self) -> Self {
        fast_exp_f32(self)
    }
    #[inline(always)]
    fn ln_1p_unit(self) -> Self {
        ln_1p_unit_f32(self)
    }
}

impl NdFloat for f64 {
    fn erf(self) -> Self {
        libm::erf(self)
    }
    #[inline(always)]
    fn exp_kernel(self) -> Self {
        self.exp()
    }
    #[inline(always)]
    fn ln_1p_unit(self) -> Self {
        self.ln_1p()
    }
}

/// `e^x` in `f32` without a library call, so loops over it vectorise: `x = n ln 2 + r` with
/// `|r| ≤ ln 2 / 2`, `e^r` by its degree-7 Taylor polynomial (truncation below 1e-8
/// relative), and `2^n` built from the exponent bits in two steps so that `n = 128` does not
/// overflow early. Overflow gives `inf`, NaN stays NaN, and inputs below −86.6 (results
/// under 3e-38) return `e^−86.6`.
#[inline(always)]
pub fn fast_exp_f32(x: f32) -> f32 {
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // adding 1.5 · 2^23 rounds to the nearest integer in the low mantissa bits
    const ROUND: f32 = 12_582_912.0;
    let xc = x.clamp(-86.6, 88.72);
    let t = xc * LOG2_E + ROUND;
    let n = t - ROUND;
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    // the integer n sits in the low mantissa bits of t; integer arithmetic keeps it vectorised
    let n_bits = t.to_bits().wrapping_sub(ROUND.to_bits());
    let scale = f32::from_bits(n_bits.wrapping_add(126) << 23);
    let y = p * scale * 2.0;
    let y = if x > 88.72 { f32::INFINITY } else { y };
    if x.is_nan() { x } else { y }
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
        ArrayD::from_shape_vec(IxDyn(shape), data)
            .map(NdTensor::constant)
            .map_err(|e| TensorError::Backend {
                backend: Self::name(),
                reason: format!("from_vec: {e}"),
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

    fn rq_spline(v: &NdTensor<F>, raw: &NdTensor<F>, spec: &RqSpline) -> Result<NdTensor<F>> {
        kernels::spline::rq_spline(v, raw, spec)
    }

    fn gru_update(
        h: &NdTensor<F>,
        xp: &NdTensor<F>,
        hp: &NdTensor<F>,
        mask: Option<&NdTensor<F>>,
    ) -> Result<NdTensor<F>> {
        kernels::recurrent::gru_update(h, xp, hp, mask)
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

    fn inference_chunk_rows() -> Option<usize> {
        Some(INFERENCE_CHUNK_ROWS)
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

/// `ln(1 + u)` in `f32` for `u ∈ [0, 1]` without a library call: with `t = u / (2 + u)`
/// (no cancellation for small `u`), `ln(1 + u) = 2 artanh t = 2 (t + t³/3 + … + t¹¹/11)`;
/// `t ≤ 1/3`, so the truncation is below 3e-8.
#[inline(always)]
pub fn ln_1p_unit_f32(u: f32) -> f32 {
    let t = u / (2.0 + u);
    let t2 = t * t;
    let p = 1.0
        + t2 * (1.0 / 3.0
            + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0 + t2 * (1.0 / 9.0 + t2 * (1.0 / 11.0)))));
    2.0 * t * p
}

#[cfg(test)]
mod fast_exp_tests {
    use super::fast_exp_f32;

    #[test]
    fn fast_exp_matches_libm_within_two_ulp() {
        let mut worst = 0.0f64;
        let mut x = -86.0f32;
        while x < 88.7 {
            let (got, want) = (fast_exp_f32(x) as f64, (x as f64).exp());
            worst = worst.max(((got - want) / want).abs());
            x += 0.000_37;
        }
        assert!(worst < 2.5e-7, "worst relative error {worst}");
    }

    #[test]
    fn ln_1p_unit_matches_libm() {
        let mut worst = 0.0f64;
        for i in 0..=100_000 {
            let u = i as f32 / 100_000.0;
            let want = (u as f64).ln_1p();
            let got = super::ln_1p_unit_f32(u) as f64;
            worst = worst.max((got - want).abs() / want.max(1e-30));
        }
        assert!(worst < 5e-7, "worst relative error {worst}");
        assert_eq!(super::ln_1p_unit_f32(0.0), 0.0);
        assert!((super::ln_1p_unit_f32(1e-30) - 1e-30).abs() < 1e-36);
    }

    #[test]
    fn fast_exp_edge_cases() {
        assert_eq!(fast_exp_f32(0.0), 1.0);
        assert_eq!(fast_exp_f32(100.0), f32::INFINITY);
        assert_eq!(fast_exp_f32(f32::INFINITY), f32::INFINITY);
        assert!(fast_exp_f32(f32::NAN).is_nan());
        assert!(fast_exp_f32(-1000.0) < 3e-38);
        assert!(fast_exp_f32(f32::NEG_INFINITY) >= 0.0);
        let big = fast_exp_f32(88.7);
        assert!(big.is_finite() && (big as f64 / (88.7f32 as f64).exp() - 1.0).abs() < 1e-6);
    }
}
