//! A workflow's diagnostics: posterior draws for simulations with known parameters, the
//! default metrics and the report.

use crate::error::{Result, WorkflowError};
use crate::flat;
use crate::workflow::BasicWorkflow;
use abi_diag::{DiagnosticsTable, Report, ReportInputs};
use abi_sim::Batch;
use abi_tensor::Backend;
use std::path::Path;

impl<B: Backend> BasicWorkflow<B> {
    /// Posterior draws and truths of the simulations `test`, flat.
    fn draws_on(
        &mut self,
        test: &Batch,
        draws: usize,
    ) -> Result<(ndarray::Array3<f64>, ndarray::Array2<f64>, Vec<String>)> {
        let samples = self.sample(draws, test)?;
        let keys = self.variables().inference_variables.clone();
        let (truths, names) = flat::truths(test, &keys)?;
        Ok((flat::draws(&samples, &keys)?, truths, names))
    }

    /// The default diagnostics on `data_sets` fresh simulations with `draws` posterior draws
    /// each: per parameter the calibration error, contraction, z-scores, normalised RMSE,
    /// correlation of means with truths and the SBC ECDF test.
    pub fn compute_default_diagnostics(
        &mut self,
        data_sets: usize,
        draws: usize,
    ) -> Result<DiagnosticsTable> {
        let test = self.simulate(data_sets)?;
        self.compute_diagnostics_on(&test, draws)
    }

    /// [`compute_default_diagnostics`](Self::compute_default_diagnostics) on given
    /// simulations `test` (parameters and data, e.g. read from an `.npz`).
    pub fn compute_diagnostics_on(
        &mut self,
        test: &Batch,
        draws: usize,
    ) -> Result<DiagnosticsTable> {
        let (draws, truths, names) = self.draws_on(test, draws)?;
        Ok(abi_diag::default_diagnostics(
            draws.view(),
            truths.view(),
            &names,
        )?)
    }

    /// Writes the diagnostics report of `data_sets` fresh simulations with `draws` posterior
    /// draws each into `dir`: every plot as PNG and SVG (loss, latent space, SBC histograms
    /// and ECDFs, recovery, z-score vs contraction, coverage, TARP, pairs) and `index.html`.
    pub fn plot_default_diagnostics(
        &mut self,
        dir: impl AsRef<Path>,
        data_sets: usize,
        draws: usize,
    ) -> Result<Report> {
        let test = self.simulate(data_sets)?;
        self.report_on(dir, &test, draws)
    }

    /// [`plot_default_diagnostics`](Self::plot_default_diagnostics) on given simulations.
    pub fn report_on(
        &mut self,
        dir: impl AsRef<Path>,
        test: &Batch,
        draws: usize,
    ) -> Result<Report> {
        let (draws, truths, names) = self.draws_on(test, draws)?;
        let approximator = self.approximator()?;
        let history = approximator.history();
        let latent = approximator.latent(test)?;
        let rows = latent.shape().first().copied().unwrap_or(0);
        let latent = latent
            .to_shape((rows, latent.len() / rows.max(1)))
            .map_err(|e| WorkflowError::Config(format!("latent codes: {e}")))?
            .to_owned();
        let validation = history.val_losses();
        let inputs = ReportInputs::new(draws.view(), truths.view(), &names)
            .with_loss(
                history.losses(),
                (!validation.is_empty()).then_some(validation),
            )
            .with_prior(truths.view())
            .with_latent(latent.view())
            .with_seed(self.settings().seed);
        Ok(abi_diag::report(dir, &inputs)?)
    }
}
