#![doc = include_str!("../README.md")]

mod autograd;
mod device;
mod ops;
mod tensor;

pub use device::{TchDevice, cuda_is_available, init, manual_seed, set_num_threads};
pub use tensor::TchTensor;

use abi_tensor::{
    BinaryOp, CmpOp, DType, Element, Gradients, ReduceOp, Result, TensorError, TensorId, UnaryOp,
};
use std::marker::PhantomData;
use tch::Kind;

/// Element types the libtorch backend computes in: `f32` (default) and `f64`.
pub trait TchFloat: Element + tch::kind::Element {}
impl TchFloat for f32 {}
impl TchFloat for f64 {}

fn kind<E: TchFloat>() -> Kind {
    match E::DTYPE {
        DType::F32 => Kind::Float,
        DType::F64 => Kind::Double,
    }
}

/// A libtorch failure as abi's error, naming the operation.
pub(crate) fn tch_error(op: &'static str, e: tch::TchError) -> TensorError {
    TensorError::Backend {
        backend: format!("libtorch ({op})"),
        reason: e.to_string(),
    }
}

/// The libtorch backend: libtorch kernels on the CPU or a CUDA device, libtorch's autograd.
///
/// `Tch` (= `Tch<f32>`) trains networks; `Tch<f64>` runs gradient checks. Every network of
/// `abi-nets` runs on it unchanged, and parameters saved from one backend load on the
/// other (safetensors). Shapes, axes and indices are checked by `abi_tensor::Tensor` before
/// libtorch sees them, so mistakes are abi's typed errors on every device (a bad index on a
/// CUDA device would otherwise abort the process). Gradient bookkeeping belongs to each
/// graph: independent models train side by side, on one thread or several.
///
/// ```no_run
/// use abi_tch::{Tch, TchDevice};
/// use abi_tensor::Tensor;
/// let device = TchDevice::cuda_if_available();
/// let x = Tensor::<Tch>::from_f32(&[1.0, 2.0, 3.0], &[3], &device).unwrap().track();
/// let loss = x.square().unwrap().sum_all().unwrap();
/// let grads = loss.backward().unwrap();
/// assert_eq!(grads.get(&x).unwrap().to_vec().unwrap(), vec![2.0, 4.0, 6.0]);
/// ```
pub struct Tch<E = f32>(PhantomData<E>);

impl<E> Clone for Tch<E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E> Copy for Tch<E> {}
impl<E> Default for Tch<E> {
    fn default() -> Self {
        Tch(PhantomData)
    }
}
impl<E> std::fmt::Debug for Tch<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tch<{}>", std::any::type_name::<E>())
    }
}

/// The result of operation `op` on `inputs` (for the leaves it depends on), or libtorch's
/// failure as abi's error naming `op`.
fn wrap(
    op: &'static str,
    r: std::result::Result<tch::Tensor, tch::TchError>,
    inputs: &[&TchTensor],
) -> Result<TchTensor> {
    r.map(|t| TchTensor::result(t, inputs))
        .map_err(|e| tch_error(op, e))
}

fn to_i64(v: &[usize]) -> Vec<i64> {
    v.iter().map(|&d| d as i64).collect()
}

/// Arguments arrive checked by the `Tensor<B>` methods (see the `Backend` contract): these
/// methods only map abi's operations onto libtorch's.
impl<E: TchFloat> abi_tensor::Backend for Tch<E> {
    type Elem = E;
    type Tensor = TchTensor;
    type Device = TchDevice;

    fn name() -> String {
        format!("tch-{}", E::DTYPE)
    }

    fn from_vec(data: Vec<E>, shape: &[usize], device: &TchDevice) -> Result<TchTensor> {
        init();
        let t = tch::Tensor::f_from_slice(&data)
            .and_then(|t| t.f_reshape(to_i64(shape)))
            .and_then(|t| t.f_to(device.to_tch()));
        wrap("from_vec", t, &[])
    }

    fn to_vec(x: &TchTensor) -> Result<Vec<E>> {
        let t = x
            .as_tch()
            .f_detach()
            .and_then(|t| t.f_to(tch::Device::Cpu))
            .and_then(|t| t.f_contiguous())
            .map_err(|e| tch_error("to_vec", e))?;
        let n = t.numel();
        let mut out = vec![E::zero(); n];
        t.f_copy_data(&mut out, n)
            .map_err(|e| tch_error("to_vec", e))?;
        Ok(out)
    }

    fn shape(x: &TchTensor) -> Vec<usize> {
        x.dims()
    }

    fn device(x: &TchTensor) -> TchDevice {
        TchDevice::from_tch(x.as_tch().device())
    }

    fn to_device(x: &TchTensor, device: &TchDevice) -> Result<TchTensor> {
        wrap("to_device", x.as_tch().f_to(device.to_tch()), &[x])
    }

    fn unary(op: UnaryOp, x: &TchTensor) -> Result<TchTensor> {
        wrap(op.name(), ops::unary(op, x.as_tch(), kind::<E>()), &[x])
    }

    fn binary(op: BinaryOp, a: &TchTensor, b: &TchTensor) -> Result<TchTensor> {
        wrap(op.name(), ops::binary(op, a.as_tch(), b.as_tch()), &[a, b])
    }

    fn compare(op: CmpOp, a: &TchTensor, b: &TchTensor) -> Result<TchTensor> {
        let mask = ops::compare(op, a.as_tch(), b.as_tch(), kind::<E>());
        wrap(op.name(), mask, &[])
    }

    fn where_cond(mask: &TchTensor, a: &TchTensor, b: &TchTensor) -> Result<TchTensor> {
        let t = ops::truth(mask).and_then(|m| a.as_tch().f_where_self(&m, b.as_tch()));
        wrap("where_cond", t, &[a, b])
    }

    fn matmul(a: &TchTensor, b: &TchTensor) -> Result<TchTensor> {
        wrap("matmul", a.as_tch().f_matmul(b.as_tch()), &[a, b])
    }

    fn linear(x: &TchTensor, w: &TchTensor, b: Option<&TchTensor>) -> Result<TchTensor> {
        match b {
            // addmm fuses the bias but takes matrices only
            Some(b) if x.as_tch().dim() == 2 => wrap(
                "linear",
                b.as_tch().f_addmm(x.as_tch(), w.as_tch()),
                &[x, w, b],
            ),
            Some(b) => wrap(
                "linear",
                x.as_tch()
                    .f_matmul(w.as_tch())
                    .and_then(|y| y.f_add(b.as_tch())),
                &[x, w, b],
            ),
            None => wrap("linear", x.as_tch().f_matmul(w.as_tch()), &[x, w]),
        }
    }

    fn reduce(op: ReduceOp, x: &TchTensor, axes: &[usize], keepdim: bool) -> Result<TchTensor> {
        if axes.is_empty() {
            // libtorch reads an empty axis list as "all axes"; abi's is "none"
            return Ok(x.clone());
        }
        let dims = to_i64(axes);
        let t = x.as_tch();
        let r = match op {
            ReduceOp::Sum => t.f_sum_dim_intlist(dims.as_slice(), keepdim, None::<Kind>),
            ReduceOp::Mean => t.f_mean_dim(dims.as_slice(), keepdim, None::<Kind>),
            ReduceOp::Max => t.f_amax(dims.as_slice(), keepdim),
            ReduceOp::Min => t.f_amin(dims.as_slice(), keepdim),
            ReduceOp::LogSumExp => t.f_logsumexp(dims.as_slice(), keepdim),
        };
        wrap(op.name(), r, &[x])
    }

    fn cumsum(x: &TchTensor, axis: usize) -> Result<TchTensor> {
        wrap(
            "cumsum",
            x.as_tch().f_cumsum(axis as i64, None::<Kind>),
            &[x],
        )
    }

    fn reshape(x: &TchTensor, shape: &[usize]) -> Result<TchTensor> {
        wrap("reshape", x.as_tch().f_reshape(to_i64(shape)), &[x])
    }

    fn permute(x: &TchTensor, perm: &[usize]) -> Result<TchTensor> {
        wrap("permute", x.as_tch().f_permute(to_i64(perm)), &[x])
    }

    fn broadcast_to(x: &TchTensor, shape: &[usize]) -> Result<TchTensor> {
        wrap(
            "broadcast_to",
            x.as_tch().f_expand(to_i64(shape), false),
            &[x],
        )
    }

    fn cat(xs: &[TchTensor], axis: usize) -> Result<TchTensor> {
        let ts: Vec<&tch::Tensor> = xs.iter().map(TchTensor::as_tch).collect();
        let inputs: Vec<&TchTensor> = xs.iter().collect();
        wrap("cat", tch::Tensor::f_cat(&ts, axis as i64), &inputs)
    }

    fn narrow(x: &TchTensor, axis: usize, start: usize, len: usize) -> Result<TchTensor> {
        wrap(
            "narrow",
            x.as_tch().f_narrow(axis as i64, start as i64, len as i64),
            &[x],
        )
    }

    fn index_select(x: &TchTensor, axis: usize, indices: &[usize]) -> Result<TchTensor> {
        let t = tch::Tensor::f_from_slice(&to_i64(indices))
            .and_then(|i| i.f_to(x.as_tch().device()))
            .and_then(|i| x.as_tch().f_index_select(axis as i64, &i));
        wrap("index_select", t, &[x])
    }

    fn gather(x: &TchTensor, axis: usize, index: &TchTensor) -> Result<TchTensor> {
        let t = ops::positions(index).and_then(|i| x.as_tch().f_gather(axis as i64, &i, false));
        wrap("gather", t, &[x])
    }

    fn scatter_add(
        x: &TchTensor,
        axis: usize,
        index: &TchTensor,
        src: &TchTensor,
    ) -> Result<TchTensor> {
        let t = ops::positions(index)
            .and_then(|i| x.as_tch().f_scatter_add(axis as i64, &i, src.as_tch()));
        wrap("scatter_add", t, &[x, src])
    }

    fn flip(x: &TchTensor, axes: &[usize]) -> Result<TchTensor> {
        if axes.is_empty() {
            return Ok(x.clone());
        }
        wrap("flip", x.as_tch().f_flip(to_i64(axes)), &[x])
    }

    fn searchsorted(sorted: &TchTensor, values: &TchTensor, right: bool) -> Result<TchTensor> {
        let side = if right { "right" } else { "left" };
        let t = tch::no_grad(|| {
            values
                .as_tch()
                .f_detach()?
                .f_searchsorted(
                    &sorted.as_tch().f_detach()?.f_contiguous()?,
                    false,
                    right,
                    side,
                    None::<tch::Tensor>,
                )?
                .f_to_dtype(kind::<E>(), false, false)
        });
        wrap("searchsorted", t, &[])
    }

    fn detach(x: &TchTensor) -> TchTensor {
        TchTensor::new(x.as_tch().detach())
    }

    fn track(x: &TchTensor) -> TchTensor {
        TchTensor::leaf(x.as_tch())
    }

    fn is_tracked(x: &TchTensor) -> bool {
        x.as_tch().requires_grad()
    }

    fn id(x: &TchTensor) -> TensorId {
        TensorId(x.id())
    }

    fn backward(output: &TchTensor, seed: &TchTensor) -> Result<Gradients<Self>> {
        autograd::backward::<E>(output, seed)
    }

    fn grad_enabled() -> bool {
        init();
        // SAFETY: plain calls into libtorch's thread-local grad mode
        unsafe {
            let previous = torch_sys::at_grad_set_enabled(1);
            torch_sys::at_grad_set_enabled(previous);
            previous != 0
        }
    }

    fn set_grad_enabled(enabled: bool) -> bool {
        init();
        // SAFETY: a plain call into libtorch's thread-local grad mode
        unsafe { torch_sys::at_grad_set_enabled(i32::from(enabled)) != 0 }
    }
}
