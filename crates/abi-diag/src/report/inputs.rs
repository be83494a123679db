//! [`ReportInputs`]: what a report is made from; everything beyond draws, truths and names is
//! optional and adds its section.

use crate::plot::LossHistory;
use ndarray::{ArrayView2, ArrayView3};

/// Predicted model probabilities for the model-comparison section.
#[derive(Debug, Clone)]
pub struct ModelComparisonInput<'a> {
    /// Index of the model that simulated each data set.
    pub true_models: Vec<usize>,
    /// Predicted probabilities `(data sets, models)`.
    pub probs: ArrayView2<'a, f64>,
    /// One name per model.
    pub names: Vec<String>,
}

/// A posterior predictive check for the report.
#[derive(Debug, Clone)]
pub struct PredictiveInput<'a> {
    /// Data simulated from posterior draws `(draws, points)`.
    pub simulated: ArrayView2<'a, f64>,
    /// The observed data `(points)`.
    pub observed: Vec<f64>,
    /// Positions of the points, `0, 1, …` when `None`.
    pub x: Option<Vec<f64>>,
    /// x-axis description.
    pub x_label: String,
    /// y-axis description.
    pub y_label: String,
}

/// Inputs of [`crate::report`].
///
/// ```
/// # use ndarray::{Array2, Array3};
/// # let draws = Array3::<f64>::zeros((10, 20, 2));
/// # let truths = Array2::<f64>::zeros((10, 2));
/// let inputs = abi_diag::ReportInputs::new(draws.view(), truths.view(), &["mu", "sigma"])
///     .with_loss(vec![1.0, 0.5, 0.3], Some(vec![1.1, 0.6]))
///     .with_pairs_dataset(3);
/// # let _ = inputs;
/// ```
#[derive(Debug, Clone)]
pub struct ReportInputs<'a> {
    /// Posterior draws `(data sets, draws, parameters)`.
    pub draws: ArrayView3<'a, f64>,
    /// Truths `(data sets, parameters)`.
    pub truths: ArrayView2<'a, f64>,
    /// One name per parameter.
    pub names: Vec<String>,
    /// Training (and validation) loss.
    pub loss: Option<LossHistory>,
    /// Prior draws `(draws, parameters)` shown behind the pairs plot.
    pub prior: Option<ArrayView2<'a, f64>>,
    /// The data set whose posterior the pairs plot shows (default 0).
    pub pairs_dataset: usize,
    /// Latent codes of the inference network `(rows, dims)`; also scored by the fast C2ST
    /// against `N(0, I)`.
    pub latent: Option<ArrayView2<'a, f64>>,
    /// Model comparison.
    pub model_comparison: Option<ModelComparisonInput<'a>>,
    /// `(observed, simulated)` summary statistics for the misspecification test.
    pub summaries: Option<(ArrayView2<'a, f64>, ArrayView2<'a, f64>)>,
    /// A posterior predictive check.
    pub predictive: Option<PredictiveInput<'a>>,
    /// `(approximate, reference)` posterior draws of one observation, scored by the fast C2ST.
    pub reference_posterior: Option<(ArrayView2<'a, f64>, ArrayView2<'a, f64>)>,
    /// Seed of every random choice in the report.
    pub seed: u64,
}

impl<'a> ReportInputs<'a> {
    /// The required inputs: draws `(data sets, draws, parameters)`, truths `(data sets,
    /// parameters)` and parameter names.
    pub fn new<S: AsRef<str>>(
        draws: ArrayView3<'a, f64>,
        truths: ArrayView2<'a, f64>,
        names: &[S],
    ) -> Self {
        Self {
            draws,
            truths,
            names: names.iter().map(|s| s.as_ref().to_string()).collect(),
            loss: None,
            prior: None,
            pairs_dataset: 0,
            latent: None,
            model_comparison: None,
            summaries: None,
            predictive: None,
            reference_posterior: None,
            seed: 1,
        }
    }

    /// Adds the loss history as plain vectors.
    pub fn with_loss(mut self, train: Vec<f64>, validation: Option<Vec<f64>>) -> Self {
        self.loss = Some(LossHistory { train, validation });
        self
    }

    /// Adds prior draws `(draws, parameters)` to the pairs plot.
    pub fn with_prior(mut self, prior: ArrayView2<'a, f64>) -> Self {
        self.prior = Some(prior);
        self
    }

    /// Chooses the data set of the pairs plot.
    pub fn with_pairs_dataset(mut self, index: usize) -> Self {
        self.pairs_dataset = index;
        self
    }

    /// Adds latent codes `(rows, dims)`.
    pub fn with_latent(mut self, latent: ArrayView2<'a, f64>) -> Self {
        self.latent = Some(latent);
        self
    }

    /// Adds model-comparison probabilities.
    pub fn with_model_comparison(mut self, input: ModelComparisonInput<'a>) -> Self {
        self.model_comparison = Some(input);
        self
    }

    /// Adds observed and simulated summary statistics `(rows, summary dims)`.
    pub fn with_summaries(
        mut self,
        observed: ArrayView2<'a, f64>,
        simulated: ArrayView2<'a, f64>,
    ) -> Self {
        self.summaries = Some((observed, simulated));
        self
    }

    /// Adds a posterior predictive check.
    pub fn with_predictive(mut self, input: PredictiveInput<'a>) -> Self {
        self.predictive = Some(input);
        self
    }

    /// Adds approximate and reference posterior draws `(draws, parameters)` of one observation.
    pub fn with_reference_posterior(
        mut self,
        approximate: ArrayView2<'a, f64>,
        reference: ArrayView2<'a, f64>,
    ) -> Self {
        self.reference_posterior = Some((approximate, reference));
        self
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}
