//! Posteriors of a learned likelihood or ratio: slice sampling, NUTS with the backend's
//! gradients, and rejection sampling from the prior, each over the i.i.d. sum of the
//! kind's per-pair value.

use super::{PairedApproximator, PosteriorByMcmc};
use crate::error::Result;
use crate::parts::mcmc::{McmcOptions, McmcPosterior, iid_sum, mcmc_posterior, pairs};
use crate::parts::nuts::nuts_posterior;
use crate::parts::rejection::{RejectionOptions, RejectionPosterior, rejection_posterior};
use crate::roles::{INFERENCE_CONDITIONS, INFERENCE_VARIABLES, required};
use abi_sim::{Batch, Distribution};
use abi_tensor::Backend;
use ndarray::ArrayView2;
use rand::RngCore;

impl<B: Backend, K: PosteriorByMcmc> PairedApproximator<B, K> {
    /// The learned log-likelihood, up to a constant of the data, summed over the rows (i.i.d.
    /// trials) of `observation`, for every flat parameter point (row) of `points` `(m, dim)`:
    /// `Σᵢ log q(xᵢ | θ)` for NLE, `Σᵢ log r(θ, xᵢ)` for NRE.
    pub fn log_likelihood(
        &self,
        observation: &Batch,
        points: ArrayView2<'_, f64>,
    ) -> Result<Vec<f64>> {
        iid_sum(observation, points, &self.parameters, &|pairs| {
            K::per_pair(&self.net, pairs)
        })
    }

    /// `n` posterior draws for `observation` (its rows i.i.d. trials of one data set) under
    /// `prior` (over the flat parameters, in the order of [`parameters`](Self::parameters)),
    /// by slice sampling, with the chains' split-R̂ and bulk ESS.
    pub fn posterior(
        &self,
        observation: &Batch,
        prior: &Distribution,
        n: usize,
        options: &McmcOptions,
        rng: &mut dyn RngCore,
    ) -> Result<McmcPosterior> {
        let log_likelihood = |points: ArrayView2<'_, f64>| self.log_likelihood(observation, points);
        mcmc_posterior(&log_likelihood, prior, &self.parameters, n, options, rng)
    }

    /// [`posterior`](Self::posterior) by rejection sampling from the prior: exact draws with
    /// no chains, practical while the posterior is not much narrower than the prior (its
    /// acceptance rate is returned).
    pub fn posterior_rejection(
        &self,
        observation: &Batch,
        prior: &Distribution,
        n: usize,
        options: &RejectionOptions,
        rng: &mut dyn RngCore,
    ) -> Result<RejectionPosterior> {
        let log_likelihood = |points: ArrayView2<'_, f64>| self.log_likelihood(observation, points);
        rejection_posterior(&log_likelihood, prior, &self.parameters, n, options, rng)
    }

    /// The learned log-likelihood summed over the trials of `observation` at one flat
    /// parameter point, up to a constant of the data, with its gradient: the network's by the
    /// backend's reverse mode, chained with the adapter's Jacobian of the parameters (central
    /// differences of the adapter alone, which is cheap and smooth).
    pub fn log_likelihood_gradient(
        &self,
        observation: &Batch,
        point: &[f64],
    ) -> Result<(f64, Vec<f64>)> {
        let as_points = |p: &[f64]| -> Result<ndarray::Array2<f64>> {
            ndarray::Array2::from_shape_vec((1, p.len()), p.to_vec())
                .map_err(|e| crate::error::ApproxError::Config(e.to_string()))
        };
        let paired = pairs(observation, as_points(point)?.view(), &self.parameters)?;
        let (values, g) = self
            .net
            .network_log_prob_gradient(&paired, K::PARAMETERS_AS_CONDITIONS)?;
        let role = if K::PARAMETERS_AS_CONDITIONS {
            INFERENCE_CONDITIONS
        } else {
            INFERENCE_VARIABLES
        };
        let adapted = |p: &[f64]| -> Result<ndarray::ArrayD<f64>> {
            let b = pairs(observation, as_points(p)?.view(), &self.parameters)?;
            required(
                &self.net.adapter().forward(&b)?,
                role,
                "the parameters' role",
            )
        };
        let mut gradient = vec![0.0; point.len()];
        let mut shifted = point.to_vec();
        for (j, out) in gradient.iter_mut().enumerate() {
            let h = 1e-5 * point[j].abs().max(1.0);
            shifted[j] = point[j] + h;
            let up = adapted(&shifted)?;
            shifted[j] = point[j] - h;
            let down = adapted(&shifted)?;
            shifted[j] = point[j];
            *out = g
                .iter()
                .zip(up.iter().zip(down.iter()))
                .map(|(g, (u, d))| g * (u - d) / (2.0 * h))
                .sum();
        }
        Ok((values.iter().sum(), gradient))
    }

    /// [`posterior`](Self::posterior) by NUTS (`options.nuts`) with the gradients of
    /// [`log_likelihood_gradient`](Self::log_likelihood_gradient).
    pub fn posterior_nuts(
        &self,
        observation: &Batch,
        prior: &Distribution,
        n: usize,
        options: &McmcOptions,
        rng: &mut dyn RngCore,
    ) -> Result<McmcPosterior> {
        let log_likelihood = |points: ArrayView2<'_, f64>| self.log_likelihood(observation, points);
        let value_and_gradient = |point: &[f64]| self.log_likelihood_gradient(observation, point);
        nuts_posterior(
            &log_likelihood,
            &value_and_gradient,
            prior,
            &self.parameters,
            n,
            options,
            rng,
        )
    }
}
