use super::{BenchmarkTask, std_normal};
use crate::distribution::Distribution;
use crate::error::{Result, SimError};
use ndarray::{Array1, Array2};
use ndarray_npy::NpzReader;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::f64::consts::PI;
use std::io::Cursor;
use std::sync::Arc;

const NOISE_DIM: usize = 92;
const COMPONENTS: usize = 20;

/// The distractor noise model: a 20-component mixture of 92-D Student-t (ν = 2) and the
/// permutation of the 100 data dimensions, drawn by `data/make_fixtures.py` exactly as the
/// benchmark defines them (NumPy's RandomState seeded with 42).
#[derive(Debug)]
struct Distractors {
    loc: Array2<f64>,
    /// lower-triangular scale factors, `(COMPONENTS, NOISE_DIM, NOISE_DIM)` flattened
    scale_tril: Vec<f64>,
    permutation: Vec<usize>,
}

impl Distractors {
    fn load() -> Result<Self> {
        let bad = |e: &dyn std::fmt::Display| SimError::File {
            path: "abi-sim/data/slcp_distractors.npz (embedded)".into(),
            reason: e.to_string(),
        };
        let bytes: &[u8] = include_bytes!("../../data/slcp_distractors.npz");
        let mut npz = NpzReader::new(Cursor::new(bytes)).map_err(|e| bad(&e))?;
        let loc: Array2<f64> = npz.by_name("loc").map_err(|e| bad(&e))?;
        let lower: Array2<f64> = npz.by_name("scale_tril_lower").map_err(|e| bad(&e))?;
        let perm: Array1<i64> = npz.by_name("permutation").map_err(|e| bad(&e))?;
        let tri = NOISE_DIM * (NOISE_DIM + 1) / 2;
        if loc.dim() != (COMPONENTS, NOISE_DIM)
            || lower.dim() != (COMPONENTS, tri)
            || perm.len() != NOISE_DIM + 8
        {
            return Err(bad(&"unexpected array shapes"));
        }
        let mut scale_tril = vec![0.0; COMPONENTS * NOISE_DIM * NOISE_DIM];
        for c in 0..COMPONENTS {
            let mut k = 0;
            for i in 0..NOISE_DIM {
                for j in 0..=i {
                    scale_tril[(c * NOISE_DIM + i) * NOISE_DIM + j] = lower[(c, k)];
                    k += 1;
                }
            }
        }
        let permutation: Vec<usize> = perm.iter().map(|&p| p as usize).collect();
        let mut seen = permutation.clone();
        seen.sort_unstable();
        if seen != (0..NOISE_DIM + 8).collect::<Vec<_>>() {
            return Err(bad(&"the stored permutation is not a permutation"));
        }
        Ok(Self {
            loc,
            scale_tril,
            permutation,
        })
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> Vec<f64> {
        let c = rng.random_range(0..COMPONENTS);
        let z: Vec<f64> = (0..NOISE_DIM).map(|_| std_normal(rng)).collect();
        // chi-squared with 2 degrees of freedom is exponential with mean 2
        let w = -2.0 * (1.0 - rng.random::<f64>()).ln();
        let scale = (2.0 / w).sqrt();
        (0..NOISE_DIM)
            .map(|i| {
                let row = &self.scale_tril[(c * NOISE_DIM + i) * NOISE_DIM..][..=i];
                let lz: f64 = row.iter().zip(&z).map(|(l, z)| l * z).sum();
                self.loc[(c, i)] + scale * lz
            })
            .collect()
    }
}

/// Simple likelihood, complex posterior (`slcp`, and `slcp_distractors` with
/// [`Slcp::with_distractors`]).
///
/// θ ∈ ℝ⁵ with prior `U(−3, 3)⁵`; `m = (θ₁, θ₂)`, `s₁ = θ₃²`, `s₂ = θ₄²`, `ρ = tanh θ₅`,
/// `Σ = [[s₁², ρ s₁ s₂], [ρ s₁ s₂, s₂²]] + 10⁻⁶ I`; x is four i.i.d. draws of `N(m, Σ)`,
/// flattened to ℝ⁸. With distractors, 92 dimensions of Student-t mixture noise are appended
/// and the 100 dimensions permuted (fixed noise model and permutation, as in the benchmark).
#[derive(Debug, Clone)]
pub struct Slcp {
    prior: Distribution,
    distractors: Option<Arc<Distractors>>,
}

impl Slcp {
    /// `slcp`.
    pub fn new() -> Result<Self> {
        Ok(Self {
            prior: Distribution::box_uniform(vec![-3.0; 5], vec![3.0; 5])?,
            distractors: None,
        })
    }

    /// `slcp_distractors` (x ∈ ℝ¹⁰⁰).
    pub fn with_distractors() -> Result<Self> {
        Ok(Self {
            distractors: Some(Arc::new(Distractors::load()?)),
            ..Self::new()?
        })
    }

    fn covariance(theta: &[f64]) -> (f64, f64, f64) {
        let s1 = theta[2] * theta[2];
        let s2 = theta[3] * theta[3];
        let rho = theta[4].tanh();
        (s1 * s1 + 1e-6, rho * s1 * s2, s2 * s2 + 1e-6)
    }
}

impl BenchmarkTask for Slcp {
    fn name(&self) -> &'static str {
        if self.distractors.is_some() {
            "slcp_distractors"
        } else {
            "slcp"
        }
    }
    fn prior(&self) -> &Distribution {
        &self.prior
    }
    fn dim_data(&self) -> usize {
        if self.distractors.is_some() { 100 } else { 8 }
    }
    fn simulate(&self, theta: &[f64], rng: &mut ChaCha8Rng) -> Vec<f64> {
        let (a, b, c) = Self::covariance(theta);
        // Cholesky of [[a, b], [b, c]]
        let l11 = a.sqrt();
        let l21 = b / l11;
        let l22 = (c - l21 * l21).max(0.0).sqrt();
        let mut x = Vec::with_capacity(self.dim_data());
        for _ in 0..4 {
            let (z1, z2) = (std_normal(rng), std_normal(rng));
            x.push(theta[0] + l11 * z1);
            x.push(theta[1] + l21 * z1 + l22 * z2);
        }
        match &self.distractors {
            None => x,
            Some(d) => {
                x.extend(d.sample(rng));
                d.permutation.iter().map(|&p| x[p]).collect()
            }
        }
    }
    /// Flips the signs of θ₃ and θ₄ at random: the scales are their squares.
    fn posterior_symmetry(&self, theta: &mut [f64], rng: &mut ChaCha8Rng) {
        for j in [2, 3] {
            if rng.random::<bool>() {
                theta[j] = -theta[j];
            }
        }
    }
    /// Tractable for `slcp` (four bivariate normals); `None` with distractors.
    fn log_likelihood(&self, theta: &[f64], x: &[f64]) -> Option<f64> {
        if self.distractors.is_some() {
            return None;
        }
        let (a, b, c) = Self::covariance(theta);
        let det = a * c - b * b;
        let norm = -(2.0 * PI).ln() - 0.5 * det.ln();
        Some(
            x.chunks_exact(2)
                .map(|p| {
                    let (u, v) = (p[0] - theta[0], p[1] - theta[1]);
                    norm - 0.5 * (c * u * u - 2.0 * b * u * v + a * v * v) / det
                })
                .sum(),
        )
    }
}
