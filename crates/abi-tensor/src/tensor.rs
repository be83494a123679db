//! [`Tensor<B>`]: the ergonomic handle networks are written with; creation and autodiff.

use crate::backend::Backend;
use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::grad::Gradients;
use crate::limits::checked_numel;
use crate::shape::numel;
use rand::{Rng, RngCore, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

/// A tensor of backend `B`: cheap to clone, carries its autodiff history when tracked.
///
/// Every operation returns a [`Result`]; shape errors name the operation and both shapes.
///
/// ```
/// use abi_tensor::{Backend, Tensor};
/// fn affine<B: Backend>(x: &Tensor<B>, w: &Tensor<B>, b: &Tensor<B>) -> abi_tensor::Result<Tensor<B>> {
///     x.matmul(w)?.add(b) // (batch, in) @ (in, out) + (out) -> (batch, out)
/// }
/// ```
#[derive(Clone)]
pub struct Tensor<B: Backend> {
    raw: B::Tensor,
}

impl<B: Backend> std::fmt::Debug for Tensor<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tensor")
            .field("backend", &B::name())
            .field("shape", &self.shape())
            .field("tracked", &self.is_tracked())
            .finish()
    }
}

impl<B: Backend> Tensor<B> {
    /// Wraps a backend tensor.
    pub fn from_raw(raw: B::Tensor) -> Self {
        Self { raw }
    }

    /// The backend tensor.
    pub fn raw(&self) -> &B::Tensor {
        &self.raw
    }

    /// Unwraps into the backend tensor.
    pub fn into_raw(self) -> B::Tensor {
        self.raw
    }

    // ---- creation -------------------------------------------------------------------------

    /// A tensor of `shape` from row-major data.
    pub fn from_vec(data: Vec<B::Elem>, shape: &[usize], device: &B::Device) -> Result<Self> {
        if data.len() != checked_numel("from_vec", shape)? {
            return Err(TensorError::DataLength {
                op: "from_vec",
                len: data.len(),
                shape: shape.to_vec(),
            });
        }
        B::from_vec(data, shape, device).map(Self::from_raw)
    }

    /// A tensor of `shape` from row-major `f64` data (converted to the backend's element type).
    pub fn from_f64(data: &[f64], shape: &[usize], device: &B::Device) -> Result<Self> {
        Self::from_vec(
            data.iter().map(|&v| B::Elem::from_f64(v)).collect(),
            shape,
            device,
        )
    }

    /// A tensor of `shape` from row-major `f32` data.
    pub fn from_f32(data: &[f32], shape: &[usize], device: &B::Device) -> Result<Self> {
        Self::from_vec(
            data.iter().map(|&v| B::Elem::from_f64(v as f64)).collect(),
            shape,
            device,
        )
    }

    /// A rank-0 tensor.
    pub fn scalar(value: f64, device: &B::Device) -> Result<Self> {
        Self::from_f64(&[value], &[], device)
    }

    /// Every element `value`.
    pub fn full(shape: &[usize], value: f64, device: &B::Device) -> Result<Self> {
        let n = checked_numel("full", shape)?;
        Self::from_vec(vec![B::Elem::from_f64(value); n], shape, device)
    }

    /// Every element zero.
    pub fn zeros(shape: &[usize], device: &B::Device) -> Result<Self> {
        Self::full(shape, 0.0, device)
    }

    /// Every element one.
    pub fn ones(shape: &[usize], device: &B::Device) -> Result<Self> {
        Self::full(shape, 1.0, device)
    }

    /// `start, start + step, ...` below `end` (1-D).
    pub fn arange(start: f64, end: f64, step: f64, device: &B::Device) -> Result<Self> {
        if step == 0.0 || !step.is_finite() || (end - start) / step < 0.0 {
            return Err(TensorError::InvalidArgument {
                op: "arange",
                reason: format!("cannot step from {start} to {end} by {step}"),
            });
        }
        let n = ((end - start) / step).ceil() as usize;
        let data: Vec<f64> = (0..n).map(|i| start + step * i as f64).collect();
        Self::from_f64(&data, &[n], device)
    }

    /// The `n × n` identity matrix.
    pub fn eye(n: usize, device: &B::Device) -> Result<Self> {
        let mut data = vec![0.0; checked_numel("eye", &[n, n])?];
        for i in 0..n {
            data[i * n + i] = 1.0;
        }
        Self::from_f64(&data, &[n, n], device)
    }

    /// Standard-normal draws from the given RNG (deterministic for a seeded RNG).
    pub fn randn(
        shape: &[usize],
        rng: &mut (impl Rng + ?Sized),
        device: &B::Device,
    ) -> Result<Self> {
        let data: Vec<B::Elem> = (0..checked_numel("randn", shape)?)
            .map(|_| {
                let z: f64 = StandardNormal.sample(rng);
                B::Elem::from_f64(z)
            })
            .collect();
        Self::from_vec(data, shape, device)
    }

    /// Uniform draws on `[low, high)` from the given RNG.
    pub fn rand_uniform(
        shape: &[usize],
        low: f64,
        high: f64,
        rng: &mut (impl Rng + ?Sized),
        device: &B::Device,
    ) -> Result<Self> {
        if !(low < high) {
            return Err(TensorError::InvalidArgument {
                op: "rand_uniform",
                reason: format!("need low < high, got [{low}, {high})"),
            });
        }
        let data: Vec<B::Elem> = (0..checked_numel("rand_uniform", shape)?)
            .map(|_| B::Elem::from_f64(rng.random_range(low..high)))
            .collect();
        Self::from_vec(data, shape, device)
    }

    /// A dropout mask: each element is `1 / keep` with probability `keep = 1 - rate`, else 0,
    /// so that `x * mask` keeps the expectation of `x`.
    pub fn dropout_mask(
        shape: &[usize],
        rate: f64,
        rng: &mut (impl Rng + ?Sized),
        device: &B::Device,
    ) -> Result<Self> {
        if !(0.0..1.0).contains(&rate) {
            return Err(TensorError::InvalidArgument {
                op: "dropout_mask",
                reason: format!("rate must lie in [0, 1), got {rate}"),
            });
        }
        let keep = 1.0 - rate;
        let scale = B::Elem::from_f64(1.0 / keep);
        let zero = <B::Elem as num_traits::Zero>::zero();
        // one draw from `rng` seeds a fast local generator, each of whose words decides two
        // elements (`keep` resolved to 2⁻³²): a virtual call per element would cost more than
        // the layer the mask serves
        let mut bits = rand::rngs::SmallRng::seed_from_u64(rng.next_u64());
        let threshold = (keep * 4_294_967_296.0) as u64;
        let n = checked_numel("dropout_mask", shape)?;
        let mut data: Vec<B::Elem> = vec![zero; n];
        for pair in data.chunks_mut(2) {
            let word = bits.next_u64();
            let halves = [word & 0xffff_ffff, word >> 32];
            for (e, half) in pair.iter_mut().zip(halves) {
                if half < threshold {
                    *e = scale;
                }
            }
        }
        Self::from_vec(data, shape, device)
    }

    // ---- access ---------------------------------------------------------------------------

    /// The shape.
    pub fn shape(&self) -> Vec<usize> {
        B::shape(&self.raw)
    }

    /// The number of axes.
    pub fn rank(&self) -> usize {
        self.shape().len()
    }

    /// The length of one axis.
    pub fn dim(&self, axis: usize) -> Result<usize> {
        let shape = self.shape();
        shape.get(axis).copied().ok_or(TensorError::AxisOutOfRange {
            op: "dim",
            axis,
            rank: shape.len(),
        })
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        numel(&self.shape())
    }

    /// The device.
    pub fn device(&self) -> B::Device {
        B::device(&self.raw)
    }

    /// A copy on `device`.
    pub fn to_device(&self, device: &B::Device) -> Result<Self> {
        B::to_device(&self.raw, device).map(Self::from_raw)
    }

    /// The elements in row-major order.
    pub fn to_vec(&self) -> Result<Vec<B::Elem>> {
        B::to_vec(&self.raw)
    }

    /// The elements in row-major order as `f64`.
    pub fn to_f64_vec(&self) -> Result<Vec<f64>> {
        Ok(self.to_vec()?.into_iter().map(Element::to_f64).collect())
    }

    /// The single value of a one-element tensor.
    pub fn to_scalar(&self) -> Result<f64> {
        let v = self.to_vec()?;
        if v.len() != 1 {
            return Err(TensorError::InvalidShape {
                op: "to_scalar",
                shape: self.shape(),
                reason: "expected exactly one element".into(),
            });
        }
        Ok(v[0].to_f64())
    }

    // ---- autodiff -------------------------------------------------------------------------

    /// The same values without history.
    pub fn detach(&self) -> Self {
        Self::from_raw(B::detach(&self.raw))
    }

    /// A new tracked leaf with these values: gradients with respect to it are reported.
    pub fn track(&self) -> Self {
        Self::from_raw(B::track(&self.raw))
    }

    /// Whether gradients flow to this tensor.
    pub fn is_tracked(&self) -> bool {
        B::is_tracked(&self.raw)
    }

    /// Backward sweep from a scalar (one-element) tensor: `∂self/∂leaf` for each tracked leaf.
    pub fn backward(&self) -> Result<Gradients<B>> {
        if self.numel() != 1 {
            return Err(TensorError::InvalidShape {
                op: "backward",
                shape: self.shape(),
                reason: "backward needs a one-element tensor; use backward_with for a \
                         vector-Jacobian product"
                    .into(),
            });
        }
        if !self.is_tracked() {
            return Err(TensorError::NotTracked);
        }
        let seed = Self::ones(&self.shape(), &self.device())?;
        B::backward(&self.raw, &seed.raw)
    }

    /// Vector–Jacobian product: `seedᵀ ∂self/∂leaf` for each tracked leaf.
    pub fn backward_with(&self, seed: &Tensor<B>) -> Result<Gradients<B>> {
        if seed.shape() != self.shape() {
            return Err(TensorError::ShapeMismatch {
                op: "backward_with",
                lhs: self.shape(),
                rhs: seed.shape(),
            });
        }
        if !self.is_tracked() {
            return Err(TensorError::NotTracked);
        }
        B::backward(&self.raw, &seed.raw)
    }
}
