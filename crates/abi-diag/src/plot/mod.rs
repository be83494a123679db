//! Plots with `plotters`: PNG or SVG by the file's extension, text in the embedded DejaVu
//! Sans, parameter names on every axis, one panel per parameter in grids of up to four
//! columns. Each function's documentation says how to read its plot.

mod calibration;
mod canvas;
mod loss;
mod model_comparison;
mod pairs;
mod panel;
mod predictive;
mod recovery;
mod sensitivity;
mod style;

pub use calibration::{plot_calibration_ecdf, plot_coverage, plot_rank_histogram, plot_tarp};
pub use loss::{LossHistory, moving_average, plot_loss};
pub use model_comparison::{plot_confusion_matrix, plot_mc_calibration};
pub use pairs::{PairsOptions, plot_latent, plot_pairs};
pub use predictive::{PredictiveCheck, plot_mmd_test, plot_posterior_predictive};
pub use recovery::{plot_recovery, plot_z_score_contraction};
pub use sensitivity::{Band, plot_sensitivity};
