//! Sequential NPE for one observation (SNPE-C / APT, Greenberg, Nonnenmacher & Macke, 2019,
//! sbi's `NPE_C` with atomic proposals): the first round trains on prior simulations as usual;
//! each later round draws parameters from the current posterior of the observation, truncated
//! to the prior's support, simulates them, and trains on everything so far with the atomic
//! loss, which corrects for the proposal: for each data set the network's posterior over its
//! own parameters and `atoms − 1` other rows' parameters, each divided by the prior, is
//! normalised over those atoms.

use super::ContinuousApproximator;
use crate::dataset::OfflineDataset;
use crate::error::{ApproxError, Result};
use crate::history::EpochRecord;
use crate::paired::{RoundsConfig, RoundsOutcome, SimulateGiven};
use crate::parts::contrast::other_rows;
use crate::parts::parameters::ParameterLayout;
use crate::roles::INFERENCE_VARIABLES;
use crate::sampling::SampleOptions;
use crate::train::{Trainable, train};
use abi_nets::Mode;
use abi_sim::{Batch, Distribution};
use abi_tensor::{Backend, ParamStore, Tensor};
use rand::{Rng, RngCore};
use std::ops::ControlFlow;

/// The atomic loss of an approximator under a prior.
struct Atomic<'a, B: Backend> {
    approx: &'a ContinuousApproximator<B>,
    prior: &'a Distribution,
    layout: &'a ParameterLayout,
    atoms: usize,
}

impl<B: Backend> Trainable<B> for Atomic<'_, B> {
    fn parameters(&self) -> &ParamStore<B> {
        &self.approx.store
    }

    fn batch_loss(&self, batch: &Batch, mode: Mode, rng: &mut dyn RngCore) -> Result<Tensor<B>> {
        let (roles, ldj) = self
            .approx
            .adapter
            .forward_with_log_det(batch, INFERENCE_VARIABLES)?;
        let v = self.approx.variables(&roles)?;
        let rows = v.shape()[0];
        let atoms = self.atoms.min(rows);
        let c = self
            .approx
            .training_conditions(&roles, mode, rng)?
            .ok_or_else(|| {
                ApproxError::Config("sequential NPE needs the data as conditions".into())
            })?;
        // the prior's log density in network space, log p(θ) − log|det ∂v/∂θ|, per row
        let points = self.layout.to_points(batch)?;
        let log_prior: Vec<f64> = points
            .rows()
            .into_iter()
            .zip(ldj.iter())
            .map(|(p, l)| match self.prior.log_prob(&p.to_vec()) {
                Ok(lp) => lp - l,
                Err(_) => f64::NEG_INFINITY,
            })
            .collect();
        let others = other_rows(rows, atoms - 1, rng);
        let theta_rows: Vec<usize> = (0..rows)
            .flat_map(|i| {
                std::iter::once(i).chain(
                    others[i * (atoms - 1)..(i + 1) * (atoms - 1)]
                        .iter()
                        .copied(),
                )
            })
            .collect();
        let cond_rows: Vec<usize> = (0..rows)
            .flat_map(|i| std::iter::repeat_n(i, atoms))
            .collect();
        let log_q = self
            .approx
            .inference
            .log_prob(
                &v.index_select(0, &theta_rows)?,
                Some(&c.index_select(0, &cond_rows)?),
            )?
            .reshape(&[rows, atoms])?;
        let prior_atoms: Vec<f64> = theta_rows.iter().map(|&j| log_prior[j]).collect();
        let logits = log_q.sub(&Tensor::from_f64(
            &prior_atoms,
            &[rows, atoms],
            &v.device(),
        )?)?;
        let own = logits.narrow(1, 0, 1)?.reshape(&[rows])?;
        Ok(own
            .sub(&logits.logsumexp(&[1], false)?)?
            .mean_all()?
            .mul_scalar(-1.0)?)
    }
}

impl<B: Backend> ContinuousApproximator<B> {
    /// Trains in rounds for one `observation` (SNPE-C): first on `first` (simulations from
    /// the prior) with the usual loss, then `cfg.rounds` times on everything so far plus
    /// `cfg.simulations_per_round` new simulations of parameters drawn from the current
    /// posterior inside `prior`'s support, with the atomic loss over `cfg.atoms` parameter
    /// sets. `parameters` names the keys the prior is over (one key, whose support the
    /// proposals are truncated to). Afterwards `sample` draws the observation's posterior.
    #[allow(clippy::too_many_arguments)]
    pub fn fit_sequential(
        &mut self,
        first: Batch,
        parameters: &str,
        simulate: &mut SimulateGiven<'_>,
        prior: &Distribution,
        observation: &Batch,
        cfg: &RoundsConfig,
        rng: &mut dyn RngCore,
    ) -> Result<RoundsOutcome> {
        if cfg.simulations_per_round == 0 || cfg.batch_size == 0 || cfg.atoms < 2 {
            return Err(ApproxError::Config(format!(
                "sequential NPE needs positive simulations per round and batch size and at least 2 atoms, got {cfg:?}"
            )));
        }
        let layout = ParameterLayout::of(&first, &[parameters])?;
        if layout.dim() != prior.dim() {
            return Err(ApproxError::Config(format!(
                "the prior has {} dimensions, `{parameters}` {}",
                prior.dim(),
                layout.dim()
            )));
        }
        let within = SampleOptions::default()
            .quiet()
            .within(parameters, prior.clone());
        let mut simulations = first;
        let mut histories = Vec::with_capacity(cfg.rounds + 1);
        for round in 0..=cfg.rounds {
            if round > 0 {
                let draws = self
                    .sample_with(cfg.simulations_per_round, observation, &within, rng)?
                    .draws;
                let theta = draws.f64(parameters)?;
                let shape: Vec<usize> = theta.shape()[1..].to_vec();
                let mut proposals = Batch::new();
                proposals.insert(
                    parameters,
                    theta
                        .to_owned()
                        .into_shape_with_order(ndarray::IxDyn(&shape))
                        .map_err(|e| ApproxError::Config(e.to_string()))?,
                )?;
                simulations = Batch::concat(&[simulations, simulate(&proposals, rng)?])?;
            }
            let mut data = OfflineDataset::new(simulations.clone(), cfg.batch_size, rng.random())?;
            let train_cfg = cfg.train.clone().seed(rng.random());
            let mut quiet = |_: &EpochRecord| ControlFlow::Continue(());
            let (history, optimizer) = if round == 0 {
                train(&*self, &mut data, &train_cfg, None, &mut quiet)?
            } else {
                let atomic = Atomic {
                    approx: &*self,
                    prior,
                    layout: &layout,
                    atoms: cfg.atoms,
                };
                train(&atomic, &mut data, &train_cfg, None, &mut quiet)?
            };
            self.history = history.clone();
            self.optimizer = Some(optimizer);
            self.train_config = Some(train_cfg);
            histories.push(history);
        }
        Ok(RoundsOutcome {
            simulations,
            histories,
        })
    }
}
