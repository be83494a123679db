//! [`JointApproximator`]: the posterior and the likelihood learned from one set of
//! simulations (JANA, Radev et al., 2023), and the marginal likelihood of observed data from
//! the two.

use crate::continuous::{ContinuousApproximator, ContinuousApproximatorBuilder};
use crate::dataset::OfflineDataset;
use crate::error::{ApproxError, Result};
use crate::paired::{LikelihoodApproximator, LikelihoodApproximatorBuilder};
use crate::parts::folder::{StagedFolder, recover};
use crate::parts::parameters::ParameterLayout;
use crate::parts::persist::LoadOptions;
use crate::sampling::SampleOptions;
use crate::train::TrainConfig;
use abi_adapter::Adapter;
use abi_nets::NetworkSpec;
use abi_sim::{Batch, Distribution};
use abi_tensor::Backend;
use ndarray::IxDyn;
use rand::RngCore;
use std::path::Path;

/// The sub-folders of a saved joint model.
const POSTERIOR: &str = "posterior";
const LIKELIHOOD: &str = "likelihood";

/// Joint amortized neural approximation of the posterior and the likelihood (JANA): an NPE
/// and an NLE trained on the same simulations, batch for batch. Their losses are additive and
/// their weights disjoint, so training them side by side is training the sum. Together they
/// give the marginal likelihood `p(x) = p(θ) q(x | θ) / q(θ | x)` of observed data (exact at
/// every θ when both are), for Bayesian model comparison, and the likelihood's synthetic
/// data for posterior predictive checks.
#[derive(Debug)]
pub struct JointApproximator<B: Backend> {
    posterior: ContinuousApproximator<B>,
    likelihood: LikelihoodApproximator<B>,
}

/// Builds a [`JointApproximator`] from an NPE adapter (parameters to `inference_variables`),
/// an NLE adapter (data to `inference_variables`, parameters to `inference_conditions`) and
/// the parameter keys.
#[derive(Debug, Clone)]
pub struct JointApproximatorBuilder {
    posterior: ContinuousApproximatorBuilder,
    likelihood: LikelihoodApproximatorBuilder,
}

impl JointApproximatorBuilder {
    /// Starts from the two adapters and the parameter keys.
    pub fn new(
        posterior_adapter: Adapter,
        likelihood_adapter: Adapter,
        parameters: &[&str],
    ) -> Self {
        Self {
            posterior: ContinuousApproximatorBuilder::new(posterior_adapter),
            likelihood: LikelihoodApproximatorBuilder::new(likelihood_adapter, parameters),
        }
    }

    /// The posterior's inference network (default: the affine `coupling_flow`).
    pub fn posterior_network(mut self, spec: impl Into<NetworkSpec>) -> Self {
        self.posterior = self.posterior.inference_network(spec);
        self
    }

    /// The posterior's summary network.
    pub fn summary_network(mut self, spec: impl Into<NetworkSpec>) -> Self {
        self.posterior = self.posterior.summary_network(spec);
        self
    }

    /// The likelihood's network (default: `maf`).
    pub fn likelihood_network(mut self, spec: impl Into<NetworkSpec>) -> Self {
        self.likelihood = self.likelihood.inference_network(spec);
        self
    }

    /// Seed of both networks' initial weights.
    pub fn seed(mut self, seed: u64) -> Self {
        self.posterior = self.posterior.seed(seed);
        self.likelihood = self.likelihood.seed(seed.wrapping_add(1));
        self
    }

    /// Fits the adapters to `data` and builds both networks.
    pub fn build<B: Backend>(
        self,
        data: &Batch,
        device: &B::Device,
    ) -> Result<JointApproximator<B>> {
        Ok(JointApproximator {
            posterior: self.posterior.build(data, device)?,
            likelihood: self.likelihood.build(data, device)?,
        })
    }
}

/// A marginal-likelihood estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarginalLikelihood {
    /// `log p(x)` by importance sampling with the learned posterior as proposal:
    /// `log mean exp(log p(θ) + log q(x | θ) − log q(θ | x))` over posterior draws.
    pub log_evidence: f64,
    /// Standard deviation of the per-draw values: zero when both networks are exact.
    pub spread: f64,
}

impl<B: Backend> JointApproximator<B> {
    /// The posterior approximator.
    pub fn posterior(&self) -> &ContinuousApproximator<B> {
        &self.posterior
    }

    /// The likelihood approximator.
    pub fn likelihood(&self) -> &LikelihoodApproximator<B> {
        &self.likelihood
    }

    /// Writes both models into the folder `dir`, as `posterior/` and `likelihood/`, as one
    /// unit (a save killed at any point leaves both old models or both new ones).
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let mut staged = StagedFolder::begin(dir)?;
        let posterior = staged.file(POSTERIOR);
        std::fs::create_dir(&posterior).map_err(|e| ApproxError::file(&posterior, e))?;
        self.posterior.write_into(&posterior)?;
        let likelihood = staged.file(LIKELIHOOD);
        std::fs::create_dir(&likelihood).map_err(|e| ApproxError::file(&likelihood, e))?;
        self.likelihood.write_into(&likelihood)?;
        staged.commit()
    }

    /// Loads a model saved by [`save`](Self::save) with the built-in networks.
    pub fn load(dir: impl AsRef<Path>, device: &B::Device) -> Result<Self> {
        Self::load_with(dir, device, &LoadOptions::new())
    }

    /// Loads a model with the networks and custom adapter functions of `options`.
    pub fn load_with(
        dir: impl AsRef<Path>,
        device: &B::Device,
        options: &LoadOptions<B>,
    ) -> Result<Self> {
        let dir = dir.as_ref();
        recover(dir)?;
        Ok(Self {
            posterior: ContinuousApproximator::load_with(dir.join(POSTERIOR), device, options)?,
            likelihood: LikelihoodApproximator::load_with(dir.join(LIKELIHOOD), device, options)?,
        })
    }

    /// Trains both on the simulations `sims` in the same batches (`batch_size`, shuffled
    /// with `seed`) with `cfg`.
    pub fn fit(
        &mut self,
        sims: &Batch,
        batch_size: usize,
        seed: u64,
        cfg: &TrainConfig,
    ) -> Result<()> {
        self.posterior.fit(
            &mut OfflineDataset::new(sims.clone(), batch_size, seed)?,
            cfg,
        )?;
        self.likelihood.fit(
            &mut OfflineDataset::new(sims.clone(), batch_size, seed)?,
            cfg,
        )?;
        Ok(())
    }

    /// The marginal likelihood of the one data set in `observation` under `prior` (over the
    /// flat parameters), from `draws` posterior draws inside the prior's support.
    pub fn log_marginal_likelihood(
        &self,
        observation: &Batch,
        prior: &Distribution,
        draws: usize,
        rng: &mut dyn RngCore,
    ) -> Result<MarginalLikelihood> {
        if observation.batch_size() != Some(1) || draws < 2 {
            return Err(ApproxError::Config(format!(
                "the marginal likelihood is of one data set from at least two draws, got {:?} data sets and {draws} draws",
                observation.batch_size()
            )));
        }
        let layout = self.likelihood.parameters();
        let [key] = layout.keys.as_slice() else {
            return Err(ApproxError::Config(
                "the marginal likelihood needs the parameters under one key".into(),
            ));
        };
        let within = SampleOptions::default()
            .quiet()
            .within(&key.name, prior.clone());
        let drawn = self
            .posterior
            .sample_with(draws, observation, &within, rng)?
            .draws;
        let theta = drawn.f64(&key.name)?;
        let shape: Vec<usize> = theta.shape()[1..].to_vec();
        let mut pairs = observation.select(&vec![0; draws])?;
        pairs.set(
            key.name.clone(),
            theta
                .to_owned()
                .into_shape_with_order(IxDyn(&shape))
                .map_err(|e| ApproxError::Config(e.to_string()))?,
        )?;
        let points = ParameterLayout::to_points(layout, &pairs)?;
        let log_q_posterior = self.posterior.log_prob(&pairs)?;
        let log_q_likelihood = self.likelihood.log_prob(&pairs)?;
        let values: Vec<f64> = points
            .rows()
            .into_iter()
            .zip(log_q_likelihood.iter().zip(&log_q_posterior))
            .map(|(p, (l, q))| {
                prior
                    .log_prob(&p.to_vec())
                    .map_or(f64::NEG_INFINITY, |lp| lp + l - q)
            })
            .collect();
        let n = values.len() as f64;
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let log_evidence = max + (values.iter().map(|v| (v - max).exp()).sum::<f64>() / n).ln();
        let mean = values.iter().sum::<f64>() / n;
        let spread = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        Ok(MarginalLikelihood {
            log_evidence,
            spread,
        })
    }
}
