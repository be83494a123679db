//! Weight initialisers of the summary networks, by Keras name, and the parameters they make.

use crate::Dense;
use abi_tensor::{Backend, Element, Init, Param, ParamPath, Result, Tensor, TensorError};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// How the kernels (weight matrices) of a summary network are drawn, named as in Keras
/// (`"he_normal"`, `"lecun_normal"`, `"orthogonal"`, ...). Biases always start at zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KernelInit {
    /// `U(±√(6 / (fan_in + fan_out)))`, Keras' default.
    #[default]
    GlorotUniform,
    /// `N(0, 2 / (fan_in + fan_out))`
    GlorotNormal,
    /// `N(0, 2 / fan_in)`
    HeNormal,
    /// `U(±√(6 / fan_in))`
    HeUniform,
    /// `N(0, 1 / fan_in)` (self-normalising networks; BayesFlow's transformers)
    LecunNormal,
    /// A random (semi-)orthogonal matrix (Saxe et al., 2014; recurrent networks).
    Orthogonal,
}

impl KernelInit {
    /// Draws a kernel of `shape`: a dense `(in, out)` matrix or a convolution kernel
    /// `(out, in, k)` (orthogonal kernels are orthogonal as `(out, in·k)` matrices).
    pub fn sample(self, shape: &[usize], rng: &mut (impl Rng + ?Sized)) -> Result<Vec<f64>> {
        abi_tensor::limits::checked_numel("kernel init", shape)?;
        let (fan_in, _) = abi_tensor::init::fans(shape);
        let mut rng = rng;
        match self {
            KernelInit::GlorotUniform => Init::GlorotUniform.sample(shape, &mut rng),
            KernelInit::GlorotNormal => Init::GlorotNormal.sample(shape, &mut rng),
            KernelInit::HeNormal => Init::HeNormal.sample(shape, &mut rng),
            KernelInit::HeUniform => Init::HeUniform.sample(shape, &mut rng),
            KernelInit::LecunNormal => Init::Normal {
                mean: 0.0,
                std: (1.0 / fan_in.max(1) as f64).sqrt(),
            }
            .sample(shape, &mut rng),
            KernelInit::Orthogonal => {
                let rows = shape.first().copied().unwrap_or(1);
                let cols = shape.iter().skip(1).product::<usize>().max(1);
                Ok(orthogonal(rows, cols, &mut rng))
            }
        }
    }
}

/// A `rows × cols` matrix (row-major) with orthonormal rows or columns, whichever are fewer:
/// the Q factor of a Gaussian matrix, signs fixed by R's diagonal so the draw is uniform.
pub(crate) fn orthogonal(rows: usize, cols: usize, rng: &mut (impl Rng + ?Sized)) -> Vec<f64> {
    let (n, m) = (rows.max(cols), rows.min(cols));
    // columns of an n × m Gaussian matrix, orthonormalised by modified Gram–Schmidt
    let mut q: Vec<Vec<f64>> = (0..m)
        .map(|_| (0..n).map(|_| StandardNormal.sample(rng)).collect())
        .collect();
    for j in 0..m {
        let (done, rest) = q.split_at_mut(j);
        let qj = &mut rest[0];
        for qi in done.iter() {
            let dot: f64 = qi.iter().zip(qj.iter()).map(|(a, b)| a * b).sum();
            for (v, u) in qj.iter_mut().zip(qi) {
                *v -= dot * u;
            }
        }
        let norm = qj.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
        for v in qj.iter_mut() {
            *v /= norm;
        }
    }
    let mut out = vec![0.0; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            // an n × m matrix with orthonormal columns, transposed when rows < cols
            out[r * cols + c] = if rows >= cols { q[c][r] } else { q[r][c] };
        }
    }
    out
}

/// A trainable parameter `name` under `path` with the given values.
pub(crate) fn param_from_values<B: Backend>(
    path: &ParamPath<B>,
    name: &str,
    shape: &[usize],
    values: &[f64],
) -> Result<Param<B>> {
    path.reserve(name, shape)?;
    let full = if path.prefix().is_empty() {
        name.to_string()
    } else {
        format!("{}.{name}", path.prefix())
    };
    let data: Vec<B::Elem> = values.iter().map(|&v| B::Elem::from_f64(v)).collect();
    let value = Tensor::from_vec(data, shape, path.device())?;
    path.store().insert(&full, value, true)
}

/// A kernel parameter `name` of `shape` drawn by `init`.
pub(crate) fn kernel<B: Backend>(
    path: &ParamPath<B>,
    name: &str,
    shape: &[usize],
    init: KernelInit,
    rng: &mut (impl Rng + ?Sized),
) -> Result<Param<B>> {
    path.reserve(name, shape)?;
    let values = init.sample(shape, rng)?;
    param_from_values(path, name, shape, &values)
}

/// A [`Dense`] layer `(.., in) → (.., out)` with a bias and `init` kernels.
pub(crate) fn dense<B: Backend>(
    path: &ParamPath<B>,
    in_dim: usize,
    out_dim: usize,
    init: KernelInit,
    rng: &mut (impl Rng + ?Sized),
) -> Result<Dense<B>> {
    let mut rng = rng;
    let simple = match init {
        KernelInit::GlorotUniform => Some(Init::GlorotUniform),
        KernelInit::GlorotNormal => Some(Init::GlorotNormal),
        KernelInit::HeNormal => Some(Init::HeNormal),
        KernelInit::HeUniform => Some(Init::HeUniform),
        KernelInit::LecunNormal | KernelInit::Orthogonal => None,
    };
    if let Some(i) = simple {
        return Dense::with_init(path, in_dim, out_dim, i, true, &mut rng);
    }
    let layer = Dense::with_init(path, in_dim, out_dim, Init::Zeros, true, &mut rng)?;
    let name = if path.prefix().is_empty() {
        "weight".to_string()
    } else {
        format!("{}.weight", path.prefix())
    };
    let weight = path.store().get(&name).ok_or_else(|| {
        TensorError::Param(format!(
            "dense layer weight `{name}` is missing after creation"
        ))
    })?;
    let values = init.sample(&[in_dim, out_dim], &mut rng)?;
    let data: Vec<B::Elem> = values.iter().map(|&v| B::Elem::from_f64(v)).collect();
    weight.set_value(Tensor::from_vec(data, &[in_dim, out_dim], path.device())?)?;
    Ok(layer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn orthogonal_matrices_have_orthonormal_rows_or_columns() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for (r, c) in [(5, 5), (6, 3), (3, 7)] {
            let q = orthogonal(r, c, &mut rng);
            let (outer, inner) = if r >= c { (c, r) } else { (r, c) };
            for a in 0..outer {
                for b in 0..outer {
                    let dot: f64 = (0..inner)
                        .map(|k| {
                            if r >= c {
                                q[k * c + a] * q[k * c + b]
                            } else {
                                q[a * c + k] * q[b * c + k]
                            }
                        })
                        .sum();
                    let want = if a == b { 1.0 } else { 0.0 };
                    assert!((dot - want).abs() < 1e-10, "({r}, {c}) [{a},{b}] {dot}");
                }
            }
        }
    }
}
