//! Normalisation layers over the last axis.

use abi_tensor::{Backend, Init, Param, ParamPath, Result, Tensor, TensorError};
use rand::Rng;

fn check_last<B: Backend>(op: &'static str, x: &Tensor<B>, dim: usize) -> Result<()> {
    if x.shape().last() != Some(&dim) {
        return Err(TensorError::ShapeMismatch {
            op,
            lhs: x.shape(),
            rhs: vec![dim],
        });
    }
    Ok(())
}

/// Layer normalisation (Ba et al., 2016): each row is centred and scaled to unit variance
/// over the last axis, then multiplied by a learned `gain` (ones) and shifted by a learned
/// `bias` (zeros). `eps` (1e-3, Keras' default) keeps constant rows finite.
///
/// ```
/// use abi_ndarray::{Cpu, NdArray};
/// use abi_nets::LayerNorm;
/// use abi_tensor::{ParamStore, Tensor};
/// use rand::SeedableRng;
/// let store = ParamStore::<NdArray>::new(Cpu);
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let ln = LayerNorm::new(&store.root().sub("ln"), 4, &mut rng)?;
/// let x = Tensor::from_f64(&[1.0, 2.0, 3.0, 4.0], &[1, 4], &Cpu)?;
/// let y = ln.forward(&x)?.to_f64_vec()?;
/// assert!(y.iter().sum::<f64>().abs() < 1e-5);
/// # Ok::<(), abi_tensor::TensorError>(())
/// ```
#[derive(Debug, Clone)]
pub struct LayerNorm<B: Backend> {
    gain: Param<B>,
    bias: Param<B>,
    dim: usize,
    eps: f64,
}

impl<B: Backend> LayerNorm<B> {
    /// A layer norm over `dim` features (parameters `gain`, `bias` under `path`).
    pub fn new(path: &ParamPath<B>, dim: usize, rng: &mut impl Rng) -> Result<Self> {
        Ok(Self {
            gain: path.param("gain", &[dim], Init::Ones, rng)?,
            bias: path.param("bias", &[dim], Init::Zeros, rng)?,
            dim,
            eps: 1e-3,
        })
    }

    /// Applies it to `(.., dim)`.
    pub fn forward(&self, x: &Tensor<B>) -> Result<Tensor<B>> {
        check_last("LayerNorm", x, self.dim)?;
        let last = x.rank() - 1;
        let centred = x.sub(&x.mean(&[last], true)?)?;
        let var = centred.square()?.mean(&[last], true)?;
        centred
            .div(&var.add_scalar(self.eps)?.sqrt()?)?
            .mul(&self.gain.value())?
            .add(&self.bias.value())
    }
}

/// Root-mean-square normalisation (Zhang & Sennrich, 2019): each row divided by its RMS over
/// the last axis, times a learned `gain`; no centring, no bias.
#[derive(Debug, Clone)]
pub struct RmsNorm<B: Backend> {
    gain: Param<B>,
    dim: usize,
    eps: f64,
}

impl<B: Backend> RmsNorm<B> {
    /// An RMS norm over `dim` features (parameter `gain` under `path`).
    pub fn new(path: &ParamPath<B>, dim: usize, rng: &mut impl Rng) -> Result<Self> {
        Ok(Self {
            gain: path.param("gain", &[dim], Init::Ones, rng)?,
            dim,
            eps: 1e-6,
        })
    }

    /// Applies it to `(.., dim)`.
    pub fn forward(&self, x: &Tensor<B>) -> Result<Tensor<B>> {
        check_last("RmsNorm", x, self.dim)?;
        let last = x.rank() - 1;
        let ms = x.square()?.mean(&[last], true)?;
        x.div(&ms.add_scalar(self.eps)?.sqrt()?)?
            .mul(&self.gain.value())
    }
}
