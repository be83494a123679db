//! Point estimates from a workflow's posterior draws ([`BasicWorkflow::estimate`]), the
//! learned summaries of data sets ([`BasicWorkflow::summarize`]) and the summary-space
//! misspecification test ([`BasicWorkflow::misspecification_test`]).

use crate::error::{Result, WorkflowError};
use crate::flat;
use crate::workflow::BasicWorkflow;
use abi_diag::{Kernel, MmdTest};
use abi_sim::Batch;
use abi_tensor::Backend;
use ndarray::{Array2, Axis};

/// The posterior summaries of one flat parameter column, one value per data set.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// `key` for a scalar parameter, `key[j]` for an entry of a vector one.
    pub name: String,
    /// Posterior mean.
    pub mean: Vec<f64>,
    /// Posterior median.
    pub median: Vec<f64>,
    /// Posterior standard deviation.
    pub sd: Vec<f64>,
    /// Lower end of the central interval at [`Estimates::level`].
    pub lower: Vec<f64>,
    /// Upper end of the central interval at [`Estimates::level`].
    pub upper: Vec<f64>,
}

/// Point estimates of every inference variable for a batch of data sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimates {
    /// Probability mass of the central interval `[lower, upper]` (0.9).
    pub level: f64,
    /// Posterior draws the estimates were computed from, per data set.
    pub draws: usize,
    /// One entry per flat parameter column, in the order of the inference variables.
    pub parameters: Vec<Estimate>,
}

impl Estimates {
    /// The estimates of the column `name` (`key` or `key[j]`).
    pub fn get(&self, name: &str) -> Option<&Estimate> {
        self.parameters.iter().find(|e| e.name == name)
    }

    /// The posterior means `(data sets, columns)`.
    pub fn means(&self) -> Array2<f64> {
        let sets = self.parameters.first().map_or(0, |e| e.mean.len());
        Array2::from_shape_fn((sets, self.parameters.len()), |(i, j)| {
            self.parameters[j].mean[i]
        })
    }
}

/// The `q` quantile of ascending `sorted` values, interpolated linearly.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo])
}

impl<B: Backend> BasicWorkflow<B> {
    /// Point estimates of the inference variables for every data set of `conditions`, from
    /// `draws` posterior draws each: mean, median, standard deviation and the central 90 %
    /// interval (BayesFlow's `estimate`, whose default estimators are the mean, median and
    /// quantiles).
    ///
    /// ```no_run
    /// # fn run(mut workflow: abi_workflow::BasicWorkflow<abi_ndarray::NdArray>,
    /// #        observed: abi_sim::Batch) -> abi_workflow::Result<()> {
    /// let estimates = workflow.estimate(&observed, 1_000)?;
    /// for e in &estimates.parameters {
    ///     println!("{}: {:.3} ± {:.3}", e.name, e.mean[0], e.sd[0]);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn estimate(&mut self, conditions: &Batch, draws: usize) -> Result<Estimates> {
        if draws < 2 {
            return Err(WorkflowError::Config(format!(
                "estimates need at least 2 posterior draws per data set, got {draws}"
            )));
        }
        let level = 0.9;
        let samples = self.sample(draws, conditions)?;
        let keys = self.variables().inference_variables.clone();
        let flat = flat::draws(&samples, &keys)?;
        let mut names = Vec::new();
        for key in &keys {
            let width: usize = samples.f64(key)?.shape().iter().skip(2).product();
            names.extend(flat::column_names(key, width));
        }
        let parameters = names
            .into_iter()
            .enumerate()
            .map(|(j, name)| {
                let column = flat.index_axis(Axis(2), j);
                let mut e = Estimate {
                    name,
                    mean: Vec::new(),
                    median: Vec::new(),
                    sd: Vec::new(),
                    lower: Vec::new(),
                    upper: Vec::new(),
                };
                for set in column.rows() {
                    let mut sorted = set.to_vec();
                    sorted.sort_by(f64::total_cmp);
                    e.mean.push(set.mean().unwrap_or(f64::NAN));
                    e.sd.push(set.std(1.0));
                    e.median.push(quantile(&sorted, 0.5));
                    e.lower.push(quantile(&sorted, (1.0 - level) / 2.0));
                    e.upper.push(quantile(&sorted, (1.0 + level) / 2.0));
                }
                e
            })
            .collect();
        Ok(Estimates {
            level,
            draws,
            parameters,
        })
    }

    /// The summary network's outputs for the data sets of `data`, `(data sets, summary
    /// dim)`; an error when the workflow has no summary network.
    pub fn summarize(&self, data: &Batch) -> Result<Array2<f64>> {
        let s = self.approximator()?.summarize(data)?;
        let rows = s.shape().first().copied().unwrap_or(0);
        let width = s.len() / rows.max(1);
        s.to_shape((rows, width))
            .map(|v| v.to_owned())
            .map_err(|e| WorkflowError::Config(format!("summaries of shape {:?}: {e}", s.shape())))
    }

    /// Are the `observed` data sets typical of what the model simulates? Compares their
    /// learned summaries with those of `reference` fresh simulations by the summary-space MMD
    /// test (Schmitt et al., 2023) with `bootstraps` null draws; a small p-value says the
    /// observed data lie outside the training distribution, so their posterior is an
    /// extrapolation. Most telling when the workflow was trained with
    /// [`summary_mmd`](crate::BasicWorkflowBuilder::summary_mmd).
    pub fn misspecification_test(
        &mut self,
        observed: &Batch,
        reference: usize,
        bootstraps: usize,
    ) -> Result<MmdTest> {
        let simulations = self.simulate(reference)?;
        let seed = self.settings().seed;
        let observed = self.summarize(observed)?;
        let reference = self.summarize(&simulations)?;
        Ok(abi_diag::summary_space_test(
            observed.view(),
            reference.view(),
            Kernel::default(),
            bootstraps,
            seed,
        )?)
    }
}
