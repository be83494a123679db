#![doc = include_str!("../README.md")]

mod autograd;
mod checks;
mod device;
mod ops;
mod tensor;

pub use device::{TchDevice, cuda_is_available, init, manual_seed, set_num_threads};
pub use tensor::TchTensor;

use abi_tensor::shape::{
    broadcast_shapes, check_axes, check_axis, check_broadcast_to, check_permutation, matmul_shape,
    numel,
};
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
/// other (safetensors). Shapes, axes and indices are checked before libtorch sees them, so
/// mistakes are abi's typed errors on every device.
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

fn wrap(op: &'static str, r: std::result::Result<tch::Tensor, tch::TchError>) -> Result<TchTensor> {
    r.map(TchTensor::new).map_err(|e| tch_error(op, e))
}

fn to_i64(v: &[usize]) -> Vec<i64> {
    v.iter().map(|&d| d as i64).collect()
}

impl<E: TchFloat> abi_tensor::Backend for Tch<E> {
    type Elem = E;
    type Tensor = TchTensor;
    type Device = TchDevice;

    fn name() -> String {
        format!("tch-{}", E::DTYPE)
    }

    fn from_vec(data: Vec<E>, shape: &[usize], device: &TchDevice) -> Result<TchTensor> {
        init();
        if data.len() != numel(shape) {
            return Err(TensorError::DataLength {
                op: "from_vec",
                len: data.len(),
                shape: shape.to_vec(),
            });
        }
        let t = tch::Tensor::f_from_slice(&data)
            .and_then(|t| t.f_reshape(to_i64(shape)))
            .and_then(|t| t.f_to(device.to_tch()));
        wrap("from_vec", t)
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
        wrap("to_device", x.as_tch().f_to(device.to_tch()))
    }

    fn unary(op: UnaryOp, x: &TchTensor) -> Result<TchTensor> {
        wrap(ops::unary_name(op), ops::unary(op, x.as_tch(), kind::<E>()))
    }

    fn binary(op: BinaryOp, a: &TchTensor, b: &TchTensor) -> Result<TchTensor> {
        let name = ops::binary_name(op);
        broadcast_shapes(name, &a.dims(), &b.dims())?;
        wrap(name, ops::binary(op, a.as_tch(), b.as_tch()))
    }

    fn compare(op: CmpOp, a: &TchTensor, b: &TchTensor) -> Result<TchTensor> {
        broadcast_shapes("compare", &a.dims(), &b.dims())?;
        wrap(
            "compare",
            ops::compare(op, a.as_tch(), b.as_tch(), kind::<E>()),
        )
    }

    fn where_cond(mask: &TchTensor, a: &TchTensor, b: &TchTensor) -> Result<TchTensor> {
        let ab = broadcast_shapes("where", &a.dims(), &b.dims())?;
        broadcast_shapes("where", &mask.dims(), &ab)?;
        let t = ops::truth(mask).and_then(|m| a.as_tch().f_where_self(&m, b.as_tch()));
        wrap("where", t)
    }

    fn matmul(a: &TchTensor, b: &TchTensor) -> Result<TchTensor> {
        matmul_shape(&a.dims(), &b.dims())?;
        wrap("matmul", a.as_tch().f_matmul(b.as_tch()))
    }

    fn linear(x: &TchTensor, w: &TchTensor, b: Option<&TchTensor>) -> Result<TchTensor> {
        let (xs, ws) = (x.dims(), w.dims());
        if xs.len() != 2 || ws.len() != 2 || xs[1] != ws[0] {
            return Err(TensorError::ShapeMismatch {
                op: "linear",
                lhs: xs,
                rhs: ws,
            });
        }
        match b {
            Some(b) => {
                if b.dims() != [ws[1]] {
                    return Err(TensorError::ShapeMismatch {
                        op: "linear",
                        lhs: xs,
                        rhs: b.dims(),
                    });
                }
                wrap("linear", b.as_tch().f_addmm(x.as_tch(), w.as_tch()))
            }
            None => wrap("linear", x.as_tch().f_matmul(w.as_tch())),
        }
    }

    fn reduce(op: ReduceOp, x: &TchTensor, axes: &[usize], keepdim: bool) -> Result<TchTensor> {
        let name = match op {
            ReduceOp::Sum => "sum",
            ReduceOp::Mean => "mean",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
            ReduceOp::LogSumExp => "logsumexp",
        };
        let axes = check_axes(name, axes, x.dims().len())?;
        if axes.is_empty() {
            // libtorch reads an empty axis list as "all axes"; abi's is "none"
            return Ok(x.clone());
        }
        let dims = to_i64(&axes);
        let t = x.as_tch();
        let r = match op {
            ReduceOp::Sum => t.f_sum_dim_intlist(dims.as_slice(), keepdim, None::<Kind>),
            ReduceOp::Mean => t.f_mean_dim(dims.as_slice(), keepdim, None::<Kind>),
            ReduceOp::Max => t.f_amax(dims.as_slice(), keepdim),
            ReduceOp::Min => t.f_amin(dims.as_slice(), keepdim),
            ReduceOp::LogSumExp => t.f_logsumexp(dims.as_slice(), keepdim),
        };
        wrap(name, r)
    }

    fn cumsum(x: &TchTensor, axis: usize) -> Result<TchTensor> {
        check_axis("cumsum", axis, x.dims().len())?;
        wrap("cumsum", x.as_tch().f_cumsum(axis as i64, None::<Kind>))
    }

    fn reshape(x: &TchTensor, shape: &[usize]) -> Result<TchTensor> {
        let from = x.dims();
        if numel(&from) != numel(shape) {
            return Err(TensorError::ShapeMismatch {
                op: "reshape",
                lhs: from,
                rhs: shape.to_vec(),
            });
        }
        wrap("reshape", x.as_tch().f_reshape(to_i64(shape)))
    }

    fn permute(x: &TchTensor, perm: &[usize]) -> Result<TchTensor> {
        check_permutation("permute", perm, x.dims().len())?;
        wrap("permute", x.as_tch().f_permute(to_i64(perm)))
    }

    fn broadcast_to(x: &TchTensor, shape: &[usize]) -> Result<TchTensor> {
        check_broadcast_to("broadcast_to", &x.dims(), shape)?;
        wrap("broadcast_to", x.as_tch().f_expand(to_i64(shape), false))
    }

    fn cat(xs: &[TchTensor], axis: usize) -> Result<TchTensor> {
        if xs.is_empty() {
            return Err(TensorError::InvalidArgument {
                op: "cat",
                reason: "no tensors to concatenate".into(),
            });
        }
        let shapes: Vec<Vec<usize>> = xs.iter().map(TchTensor::dims).collect();
        checks::check_cat(&shapes, axis)?;
        let ts: Vec<&tch::Tensor> = xs.iter().map(TchTensor::as_tch).collect();
        wrap("cat", tch::Tensor::f_cat(&ts, axis as i64))
    }

    fn narrow(x: &TchTensor, axis: usize, start: usize, len: usize) -> Result<TchTensor> {
        let shape = x.dims();
        check_axis("narrow", axis, shape.len())?;
        if start + len > shape[axis] {
            return Err(TensorError::IndexOutOfRange {
                op: "narrow",
                index: start + len,
                len: shape[axis],
            });
        }
        wrap(
            "narrow",
            x.as_tch().f_narrow(axis as i64, start as i64, len as i64),
        )
    }

    fn index_select(x: &TchTensor, axis: usize, indices: &[usize]) -> Result<TchTensor> {
        let shape = x.dims();
        check_axis("index_select", axis, shape.len())?;
        if let Some(&bad) = indices.iter().find(|&&i| i >= shape[axis]) {
            return Err(TensorError::IndexOutOfRange {
                op: "index_select",
                index: bad,
                len: shape[axis],
            });
        }
        let t = tch::Tensor::f_from_slice(&to_i64(indices))
            .and_then(|i| i.f_to(x.as_tch().device()))
            .and_then(|i| x.as_tch().f_index_select(axis as i64, &i));
        wrap("index_select", t)
    }

    fn gather(x: &TchTensor, axis: usize, index: &TchTensor) -> Result<TchTensor> {
        let idx = checks::positions("gather", index, axis, &x.dims())?;
        wrap("gather", x.as_tch().f_gather(axis as i64, &idx, false))
    }

    fn scatter_add(
        x: &TchTensor,
        axis: usize,
        index: &TchTensor,
        src: &TchTensor,
    ) -> Result<TchTensor> {
        let idx = checks::positions("scatter_add", index, axis, &x.dims())?;
        if src.dims() != index.dims() {
            return Err(TensorError::ShapeMismatch {
                op: "scatter_add",
                lhs: index.dims(),
                rhs: src.dims(),
            });
        }
        wrap(
            "scatter_add",
            x.as_tch().f_scatter_add(axis as i64, &idx, src.as_tch()),
        )
    }

    fn flip(x: &TchTensor, axes: &[usize]) -> Result<TchTensor> {
        let axes = check_axes("flip", axes, x.dims().len())?;
        if axes.is_empty() {
            return Ok(x.clone());
        }
        wrap("flip", x.as_tch().f_flip(to_i64(&axes)))
    }

    fn searchsorted(sorted: &TchTensor, values: &TchTensor, right: bool) -> Result<TchTensor> {
        let (s, v) = (sorted.dims(), values.dims());
        let lead_ok = s.len() == 1
            || (!s.is_empty() && s.len() == v.len() && s[..s.len() - 1] == v[..v.len() - 1]);
        if !lead_ok {
            return Err(TensorError::ShapeMismatch {
                op: "searchsorted",
                lhs: s,
                rhs: v,
            });
        }
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
        wrap("searchsorted", t)
    }

    fn detach(x: &TchTensor) -> TchTensor {
        TchTensor::new(x.as_tch().detach())
    }

    fn track(x: &TchTensor) -> TchTensor {
        let leaf = TchTensor::leaf(x.as_tch());
        autograd::register(&leaf);
        leaf
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
