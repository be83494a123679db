//! Importance-sampling refinement of NPE for one data set (sbi's
//! `ImportanceSamplingPosterior`): proposals from the network's posterior, inside the prior's
//! support, weighted by `p(θ) L(θ) / q(θ | x)` with a likelihood the caller supplies (a
//! task's exact one, or a learned one), and resampled. Exact as the proposals grow; the
//! weights' effective sample size says how well the network's posterior covered the target.

use super::ContinuousApproximator;
use crate::error::{ApproxError, Result};
use crate::parts::parameters::ParameterLayout;
use crate::sampling::SampleOptions;
use abi_sim::{Batch, Distribution};
use abi_tensor::Backend;
use ndarray::{ArrayView2, IxDyn};
use rand::RngCore;

/// Draws refined by importance sampling.
#[derive(Debug, Clone)]
pub struct ImportanceDraws {
    /// The resampled draws as named parameters `(1, n, ...)`.
    pub draws: Batch,
    /// Effective sample size of the importance weights over the proposals.
    pub ess: f64,
    /// Proposals drawn from the network's posterior.
    pub proposals: usize,
}

impl<B: Backend> ContinuousApproximator<B> {
    /// `n` draws for the one data set of `observation`, refined by importance sampling:
    /// `proposals` draws of the key `parameters` from this posterior (inside `prior`'s
    /// support) weighted by `prior` times `exp(log_likelihood)` over this posterior's density,
    /// then resampled. `log_likelihood` maps flat points `(m, dim)` to `m` values.
    #[allow(clippy::too_many_arguments)]
    pub fn sample_importance(
        &self,
        n: usize,
        observation: &Batch,
        parameters: &str,
        prior: &Distribution,
        log_likelihood: &dyn Fn(ArrayView2<'_, f64>) -> Result<Vec<f64>>,
        proposals: usize,
        rng: &mut dyn RngCore,
    ) -> Result<ImportanceDraws> {
        if observation.batch_size() != Some(1) || n == 0 || proposals == 0 {
            return Err(ApproxError::Config(format!(
                "importance sampling refines one data set with positive draws and proposals, got {:?} data sets, {n} draws, {proposals} proposals",
                observation.batch_size()
            )));
        }
        let within = SampleOptions::default()
            .quiet()
            .within(parameters, prior.clone());
        let drawn = self
            .sample_with(proposals, observation, &within, rng)?
            .draws;
        let theta = drawn.f64(parameters)?;
        let shape: Vec<usize> = theta.shape()[1..].to_vec();
        let mut candidates = observation.select(&vec![0; proposals])?;
        candidates.set(
            parameters,
            theta
                .to_owned()
                .into_shape_with_order(IxDyn(&shape))
                .map_err(|e| ApproxError::Config(e.to_string()))?,
        )?;
        let layout = ParameterLayout::of(&candidates, &[parameters])?;
        let points = layout.to_points(&candidates)?;
        let log_q = self.log_prob(&candidates)?;
        let log_l = log_likelihood(points.view())?;
        if log_l.len() != proposals {
            return Err(ApproxError::Config(format!(
                "the likelihood gave {} values for {proposals} points",
                log_l.len()
            )));
        }
        let log_w: Vec<f64> = points
            .rows()
            .into_iter()
            .zip(log_q.iter().zip(&log_l))
            .map(|(p, (q, l))| match prior.log_prob(&p.to_vec()) {
                Ok(lp) => lp + l - q,
                Err(_) => f64::NEG_INFINITY,
            })
            .collect();
        let mut rng = rng;
        let chosen = abi_mcmc::importance_resample(&log_w, n, &mut rng)?;
        let kept = points.select(ndarray::Axis(0), &chosen.indices);
        Ok(ImportanceDraws {
            draws: layout.to_draws(kept.view())?,
            ess: chosen.ess,
            proposals,
        })
    }
}
