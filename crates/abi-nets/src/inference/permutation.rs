use abi_tensor::{Backend, Param, ParamPath, Result, Tensor, TensorError};
use rand::RngCore;
use rand::seq::SliceRandom;
use std::sync::RwLock;

/// A fixed permutation of the last axis (and its inverse); no parameters, volume-preserving.
#[derive(Debug, Clone, PartialEq)]
pub struct Permutation {
    forward: Vec<usize>,
    inverse: Vec<usize>,
}

impl Permutation {
    /// A permutation from explicit indices (`out[i] = in[indices[i]]`).
    pub fn new(indices: Vec<usize>) -> Result<Self> {
        let mut inverse = vec![usize::MAX; indices.len()];
        for (i, &p) in indices.iter().enumerate() {
            if p >= indices.len() || inverse[p] != usize::MAX {
                return Err(TensorError::InvalidArgument {
                    op: "Permutation::new",
                    reason: format!("{indices:?} is not a permutation"),
                });
            }
            inverse[p] = i;
        }
        Ok(Self {
            forward: indices,
            inverse,
        })
    }

    /// A uniformly random permutation of `dim` elements.
    pub fn random(dim: usize, rng: &mut dyn RngCore) -> Self {
        let mut idx: Vec<usize> = (0..dim).collect();
        idx.shuffle(rng);
        Self::new(idx).unwrap_or_else(|_| unreachable!("a shuffle is a permutation"))
    }

    /// Reverses the order (a deterministic swap of halves' roles).
    pub fn reverse(dim: usize) -> Self {
        Self::new((0..dim).rev().collect())
            .unwrap_or_else(|_| unreachable!("reversal is a permutation"))
    }

    /// The indices.
    pub fn indices(&self) -> &[usize] {
        &self.forward
    }

    /// Applies the permutation to the last axis.
    pub fn forward<B: Backend>(&self, x: &Tensor<B>) -> Result<Tensor<B>> {
        x.index_select(x.rank() - 1, &self.forward)
    }

    /// Undoes the permutation.
    pub fn inverse<B: Backend>(&self, y: &Tensor<B>) -> Result<Tensor<B>> {
        y.index_select(y.rank() - 1, &self.inverse)
    }
}

/// A fixed permutation stored in the model as a buffer (`<path>.indices`), so that a saved
/// model carries it instead of rebuilding it from a seed: loading replaces the indices with
/// the stored ones, and stored values that are not a permutation are an error at first use.
#[derive(Debug)]
pub struct StoredPermutation<B: Backend> {
    indices: Param<B>,
    cache: RwLock<Option<(u64, Permutation)>>,
}

impl<B: Backend> StoredPermutation<B> {
    /// Stores `permutation` as the buffer `indices` under `path`.
    pub fn new(path: &ParamPath<B>, permutation: Permutation) -> Result<Self> {
        let values: Vec<f64> = permutation.indices().iter().map(|&i| i as f64).collect();
        let indices = path.buffer("indices", &[values.len()], &values)?;
        Ok(Self {
            indices,
            cache: RwLock::new(Some((0, permutation))),
        })
    }

    /// The permutation the buffer holds now.
    pub fn permutation(&self) -> Result<Permutation> {
        self.with(|p| Ok(p.clone()))
    }

    fn with<T>(&self, f: impl FnOnce(&Permutation) -> Result<T>) -> Result<T> {
        let version = self.indices.version();
        {
            let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
            if let Some((v, p)) = cache.as_ref() {
                if *v == version {
                    return f(p);
                }
            }
        }
        let values = self.indices.value().to_f64_vec()?;
        let indices: Vec<usize> = values
            .iter()
            .map(|&v| {
                if v >= 0.0 && v.fract() == 0.0 && v < values.len() as f64 {
                    Ok(v as usize)
                } else {
                    Err(TensorError::Param(format!(
                        "`{}` holds {v}, not an index below {}",
                        self.indices.name(),
                        values.len()
                    )))
                }
            })
            .collect::<Result<_>>()?;
        let p = Permutation::new(indices).map_err(|_| {
            TensorError::Param(format!(
                "`{}` does not hold a permutation",
                self.indices.name()
            ))
        })?;
        let out = f(&p);
        *self.cache.write().unwrap_or_else(|e| e.into_inner()) = Some((version, p));
        out
    }

    /// Applies the permutation to the last axis.
    pub fn forward(&self, x: &Tensor<B>) -> Result<Tensor<B>> {
        self.with(|p| p.forward(x))
    }

    /// Undoes the permutation.
    pub fn inverse(&self, y: &Tensor<B>) -> Result<Tensor<B>> {
        self.with(|p| p.inverse(y))
    }
}

/// A learnable orthogonal mixing of the last axis, `x ↦ x Q`, with `Q` the product of `dim`
/// Householder reflections `I − 2 v vᵀ / |v|²` (Tomczak & Welling, 2016): any orthogonal
/// matrix is such a product, `|det Q| = 1` so the map preserves volume, and `Q⁻¹ = Qᵀ`. The
/// reflection vectors are the parameter `vectors` `(dim, dim)` under the given path.
#[derive(Debug, Clone)]
pub struct OrthogonalMixing<B: Backend> {
    vectors: abi_tensor::Param<B>,
    dim: usize,
}

impl<B: Backend> OrthogonalMixing<B> {
    /// A random orthogonal mixing of `dim` features.
    pub fn new(
        path: &abi_tensor::ParamPath<B>,
        dim: usize,
        rng: &mut impl rand::Rng,
    ) -> Result<Self> {
        let vectors = path.param(
            "vectors",
            &[dim, dim],
            abi_tensor::Init::Normal {
                mean: 0.0,
                std: 1.0,
            },
            rng,
        )?;
        Ok(Self { vectors, dim })
    }

    /// The matrix `Q` `(dim, dim)`.
    pub fn matrix(&self) -> Result<Tensor<B>> {
        let vs = self.vectors.value();
        let device = vs.device();
        let mut q = Tensor::<B>::eye(self.dim, &device)?;
        for r in 0..self.dim {
            let v = vs.narrow(0, r, 1)?; // (1, dim)
            let norm2 = v.square()?.sum_all()?.add_scalar(1e-30)?;
            let qv = q.matmul(&v.t()?)?; // (dim, 1)
            q = q.sub(&qv.matmul(&v)?.mul_scalar(2.0)?.div(&norm2)?)?;
        }
        Ok(q)
    }

    fn apply(x: &Tensor<B>, m: &Tensor<B>) -> Result<Tensor<B>> {
        let shape = x.shape();
        let d = shape[shape.len() - 1];
        let rows = shape[..shape.len() - 1].iter().product();
        x.reshape(&[rows, d])?.matmul(m)?.reshape(&shape)
    }

    /// `x Q` over the last axis.
    pub fn forward(&self, x: &Tensor<B>) -> Result<Tensor<B>> {
        Self::apply(x, &self.matrix()?)
    }

    /// `y Qᵀ`, the inverse.
    pub fn inverse(&self, y: &Tensor<B>) -> Result<Tensor<B>> {
        Self::apply(y, &self.matrix()?.t()?)
    }
}
