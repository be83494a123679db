//! Sequential rounds for one observation (SNLE, Papamakarios, Sterratt & Murray, 2019; SNRE,
//! Hermans, Begy & Louppe, 2020): the first round simulates from the prior, each later one
//! from the current MCMC posterior of the observation, and the network trains on every
//! simulation so far. A learned likelihood, or a ratio up to a constant of the data, does
//! not depend on where the parameters were drawn, so no correction is needed, and the MCMC
//! posterior never leaves the prior's support (the proposals are truncated to it).

use super::{PairedApproximator, PosteriorByMcmc};
use crate::dataset::OfflineDataset;
use crate::error::{ApproxError, Result};
use crate::history::{EpochRecord, History};
use crate::parts::mcmc::McmcOptions;
use crate::train::TrainConfig;
use abi_sim::{Batch, Distribution};
use abi_tensor::Backend;
use ndarray::{ArrayD, IxDyn};
use rand::{Rng, RngCore};
use std::ops::ControlFlow;

/// Simulates data for the parameters of a batch: returns the batch with the data added (the
/// simulator for given parameters, e.g. a benchmark task's `simulate` row by row).
pub type SimulateGiven<'a> = dyn FnMut(&Batch, &mut dyn RngCore) -> Result<Batch> + 'a;

/// Settings of sequential rounds (SNPE-C, SNLE, SNRE).
#[derive(Debug, Clone, PartialEq)]
pub struct RoundsConfig {
    /// Rounds after the first (prior) one.
    pub rounds: usize,
    /// Simulations drawn from the posterior in each later round.
    pub simulations_per_round: usize,
    /// Training after every round (continuing from the current weights).
    pub train: TrainConfig,
    /// Batch size of the training data (64).
    pub batch_size: usize,
    /// SNLE and SNRE: the MCMC posterior that proposes each round's parameters (quiet).
    pub mcmc: McmcOptions,
    /// SNPE-C: parameter sets each data set is contrasted with in the atomic loss, its own
    /// included (10, sbi's default).
    pub atoms: usize,
    /// SNLE and SNRE: the fraction of every round's simulations held out as the validation
    /// set of early stopping (`train.patience`); 0 (the default) trains on all of them.
    pub validation_fraction: f64,
}

impl RoundsConfig {
    /// `rounds` rounds after the prior one, each of `simulations_per_round` simulations,
    /// training with `train`; the other settings at their defaults.
    pub fn new(rounds: usize, simulations_per_round: usize, train: TrainConfig) -> Self {
        Self {
            rounds,
            simulations_per_round,
            train,
            batch_size: 64,
            mcmc: McmcOptions::default().quiet(),
            atoms: 10,
            validation_fraction: 0.0,
        }
    }

    /// Holds out `fraction` of every round's simulations for early stopping (sbi: 0.1).
    pub fn validation_fraction(mut self, fraction: f64) -> Self {
        self.validation_fraction = fraction;
        self
    }
}

/// The simulations of the rounds so far, split into training and validation rows.
struct Pool {
    all: Batch,
    training: Batch,
    validation: Option<Batch>,
}

impl Pool {
    /// Adds `new`, its last `fraction` (at least one row when positive) to validation.
    fn add(&mut self, new: Batch, fraction: f64) -> Result<()> {
        let n = new.batch_size().unwrap_or(0);
        let held = if fraction > 0.0 {
            ((fraction * n as f64).round() as usize).clamp(1, n.saturating_sub(1))
        } else {
            0
        };
        let (training, validation) = (new.slice(0, n - held)?, new.slice(n - held, n)?);
        append(&mut self.all, new)?;
        append(&mut self.training, training)?;
        if held > 0 {
            append(self.validation.get_or_insert_with(Batch::new), validation)?;
        }
        Ok(())
    }
}

/// `to` followed by the rows of `rows`.
fn append(to: &mut Batch, rows: Batch) -> Result<()> {
    *to = if to.is_empty() {
        rows
    } else {
        Batch::concat(&[std::mem::take(to), rows])?
    };
    Ok(())
}

/// What sequential rounds did.
#[derive(Debug, Clone)]
pub struct RoundsOutcome {
    /// Every simulation used, first round first.
    pub simulations: Batch,
    /// The training history of each round.
    pub histories: Vec<History>,
}

impl<B: Backend, K: PosteriorByMcmc> PairedApproximator<B, K> {
    /// Trains in rounds for one `observation`: first on `first` (simulations from the prior),
    /// then `cfg.rounds` times on everything so far plus `cfg.simulations_per_round` new
    /// simulations whose parameters are drawn from the current posterior under `prior` and
    /// passed to `simulate`. Afterwards [`posterior`](Self::posterior) gives the final
    /// posterior.
    pub fn fit_sequential(
        &mut self,
        first: Batch,
        simulate: &mut SimulateGiven<'_>,
        prior: &Distribution,
        observation: &Batch,
        cfg: &RoundsConfig,
        rng: &mut dyn RngCore,
    ) -> Result<RoundsOutcome> {
        if cfg.simulations_per_round == 0 || cfg.batch_size == 0 {
            return Err(ApproxError::Config(
                "sequential rounds need positive simulations per round and batch size".into(),
            ));
        }
        if !(0.0..1.0).contains(&cfg.validation_fraction) {
            return Err(ApproxError::Config(format!(
                "the validation fraction must be in [0, 1), got {}",
                cfg.validation_fraction
            )));
        }
        let mut pool = Pool {
            all: Batch::new(),
            training: Batch::new(),
            validation: None,
        };
        pool.add(first, cfg.validation_fraction)?;
        let mut histories = Vec::with_capacity(cfg.rounds + 1);
        for round in 0..=cfg.rounds {
            if round > 0 {
                let posterior = self.posterior(
                    observation,
                    prior,
                    cfg.simulations_per_round,
                    &cfg.mcmc,
                    rng,
                )?;
                let proposals = one_data_set(&posterior.draws)?;
                let new = simulate(&proposals, rng)?;
                pool.add(new, cfg.validation_fraction)?;
            }
            let mut data =
                OfflineDataset::new(pool.training.clone(), cfg.batch_size, rng.random())?;
            let train = cfg.train.clone().seed(rng.random());
            let history = self
                .fit_with(
                    &mut data,
                    &train,
                    pool.validation.as_ref(),
                    &mut |_: &EpochRecord| ControlFlow::Continue(()),
                )?
                .clone();
            histories.push(history);
        }
        Ok(RoundsOutcome {
            simulations: pool.all,
            histories,
        })
    }
}

/// Draws `(1, n, ...)` of one data set as a batch of `n` parameter rows.
fn one_data_set(draws: &Batch) -> Result<Batch> {
    let mut out = Batch::new();
    for (name, a) in draws.iter() {
        let a = a.to_f64();
        let shape: Vec<usize> = a.shape()[1..].to_vec();
        let flat = ArrayD::from_shape_vec(IxDyn(&shape), a.iter().copied().collect())
            .map_err(|e| ApproxError::Config(e.to_string()))?;
        out.insert(name, flat)?;
    }
    Ok(out)
}
