#![doc = include_str!("../README.md")]

mod c2st;
mod checks;
mod error;
pub mod metrics;
pub mod plot;
mod report;

pub use c2st::{C2stConfig, c2st_on};
#[cfg(feature = "cpu")]
pub use c2st::{c2st, c2st_with};
pub use error::{DiagError, Result};
pub use metrics::coverage::{CalibrationErrorConfig, calibration_error, expected_coverage};
pub use metrics::ecdf::{EcdfBand, EcdfBandConfig, EcdfTest, ecdf_tests};
pub use metrics::mmd::{Kernel, MmdTest, mmd_permutation_test, mmd2_unbiased, summary_space_test};
pub use metrics::model_comparison::{CalibrationCurve, ModelComparison, model_comparison};
pub use metrics::moments::{
    correlation, posterior_contraction, posterior_z_score, root_mean_squared_error,
};
pub use metrics::ranks::{
    RankHistogram, default_rank_bins, fractional_ranks, rank_histogram, rank_histogram_of,
    sbc_ranks,
};
pub use metrics::summary::{PosteriorSummary, quantile_sorted};
pub use metrics::tarp::{Tarp, TarpConfig, tarp};
pub use report::{
    DiagnosticsTable, ModelComparisonInput, ParameterDiagnostics, PredictiveInput, Report,
    ReportInputs, default_diagnostics, diagnostics_of, report,
};
