//! [`Time2Vec`]: a learned embedding of time appended to each step of a sequence.

use abi_tensor::{Backend, Init, Param, ParamPath, Result, Tensor, TensorError};
use rand::Rng;

/// Time2Vec (Kazemi et al., 2019): for times `t`, one trend feature `w₀ t + b₀` and `k`
/// periodic features `sin(wᵢ t + bᵢ)`, appended to the features of each step:
/// `(batch, time, dim)` → `(batch, time, dim + 1 + k)`.
///
/// Without explicit times the steps are at `t = 0, 1, 2, ...`, so a step's embedding does
/// not depend on how much padding follows it (BayesFlow spreads `T` steps over `[0, T]`,
/// which would make padded and unpadded sequences differ).
#[derive(Debug, Clone)]
pub struct Time2Vec<B: Backend> {
    trend_weight: Param<B>,
    trend_bias: Param<B>,
    periodic_weights: Param<B>,
    periodic_biases: Param<B>,
    periodic: usize,
}

impl<B: Backend> Time2Vec<B> {
    /// `periodic` periodic features (the embedding has `periodic + 1`); parameters
    /// `trend_weight`, `trend_bias` (Glorot uniform) and `periodic_weights`,
    /// `periodic_biases` (Glorot normal) under `path`.
    pub fn new(
        path: &ParamPath<B>,
        periodic: usize,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Self> {
        if periodic == 0 {
            return Err(TensorError::InvalidArgument {
                op: "Time2Vec",
                reason: "needs at least one periodic feature".into(),
            });
        }
        let mut rng = rng;
        Ok(Self {
            trend_weight: path.param("trend_weight", &[1], Init::GlorotUniform, &mut rng)?,
            trend_bias: path.param("trend_bias", &[1], Init::GlorotUniform, &mut rng)?,
            periodic_weights: path.param(
                "periodic_weights",
                &[periodic],
                Init::GlorotNormal,
                &mut rng,
            )?,
            periodic_biases: path.param(
                "periodic_biases",
                &[periodic],
                Init::GlorotNormal,
                &mut rng,
            )?,
            periodic,
        })
    }

    /// Features added to each step: `periodic + 1`.
    pub fn embed_dim(&self) -> usize {
        self.periodic + 1
    }

    /// Appends the embedding of `times` `(batch, time)` (steps `0, 1, ...` when `None`) to
    /// `x` `(batch, time, dim)`.
    pub fn forward(&self, x: &Tensor<B>, times: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        let s = x.shape();
        if s.len() != 3 {
            return Err(TensorError::InvalidShape {
                op: "Time2Vec",
                shape: s,
                reason: "expected (batch, time, dim)".into(),
            });
        }
        let t = match times {
            Some(t) if t.shape() == s[..2] => t.unsqueeze(2)?,
            Some(t) => {
                return Err(TensorError::ShapeMismatch {
                    op: "Time2Vec (times)",
                    lhs: t.shape(),
                    rhs: s[..2].to_vec(),
                });
            }
            None => Tensor::arange(0.0, s[1] as f64, 1.0, &x.device())?
                .reshape(&[1, s[1], 1])?
                .broadcast_to(&[s[0], s[1], 1])?,
        };
        let trend = t
            .mul(&self.trend_weight.value())?
            .add(&self.trend_bias.value())?;
        let periodic = t
            .mul(&self.periodic_weights.value())?
            .add(&self.periodic_biases.value())?
            .sin()?;
        Tensor::cat(&[x.clone(), trend, periodic], 2)
    }
}

/// Splits the feature `axis` holding explicit times off `(batch, time, dim)`: returns the
/// other features and the times `(batch, time)`.
pub(crate) fn split_time_axis<B: Backend>(
    x: &Tensor<B>,
    axis: Option<usize>,
) -> Result<(Tensor<B>, Option<Tensor<B>>)> {
    let Some(axis) = axis else {
        return Ok((x.clone(), None));
    };
    let d = x.dim(2)?;
    let rest: Vec<usize> = (0..d).filter(|&i| i != axis).collect();
    let times = x.narrow(2, axis, 1)?.squeeze(2)?;
    Ok((x.index_select(2, &rest)?, Some(times)))
}
