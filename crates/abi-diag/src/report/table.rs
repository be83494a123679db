//! [`default_diagnostics`]: the standard metrics per parameter in one table.

use crate::checks;
use crate::error::Result;
use crate::metrics::coverage::{CalibrationErrorConfig, calibration_error, median};
use crate::metrics::ecdf::{EcdfBandConfig, ecdf_tests};
use crate::metrics::moments::{
    correlation, posterior_contraction, posterior_z_score, root_mean_squared_error,
};
use crate::metrics::summary::PosteriorSummary;
use ndarray::{ArrayView2, ArrayView3};
use std::fmt;

/// The standard metrics of one parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterDiagnostics {
    /// The parameter.
    pub name: String,
    /// [`crate::calibration_error`] (0 is ideal).
    pub calibration_error: f64,
    /// Median over data sets of [`crate::posterior_contraction`] (1 is ideal).
    pub contraction: f64,
    /// Mean of the [`crate::posterior_z_score`]s (0 is ideal).
    pub z_mean: f64,
    /// Standard deviation of the z-scores (1 is ideal).
    pub z_sd: f64,
    /// [`crate::root_mean_squared_error`] normalised by the range of the truths.
    pub nrmse: f64,
    /// [`crate::correlation`] of posterior medians with truths.
    pub correlation: f64,
    /// Whether the rank ECDF stays in its simultaneous band ([`crate::EcdfBand::test`]).
    pub ecdf_pass: bool,
    /// The test's `ln(γ_obs / γ_adj)` (negative: rejected).
    pub log_gamma: f64,
}

/// [`default_diagnostics`]' table, one row per parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct DiagnosticsTable {
    /// The rows.
    pub rows: Vec<ParameterDiagnostics>,
    /// Simultaneous level of the ECDF band test.
    pub band_level: f64,
    /// Data sets and draws per data set the table was computed from.
    pub data_sets: usize,
    /// Draws per data set.
    pub draws: usize,
}

/// The standard metrics of posterior `draws` `(data sets, draws, parameters)` against `truths`
/// `(data sets, parameters)`: per parameter the calibration error, median contraction,
/// z-score mean and standard deviation, NRMSE, correlation, and the 95 % simultaneous ECDF
/// band test with its log γ.
///
/// ```
/// use ndarray::{Array2, Array3};
/// let truths = Array2::from_shape_fn((50, 1), |(i, _)| (i as f64 * 0.7).sin());
/// let draws = Array3::from_shape_fn((50, 40, 1), |(i, k, _)| truths[[i, 0]] + ((k * 7919 + i) % 40) as f64 / 40.0 - 0.5);
/// let table = abi_diag::default_diagnostics(draws.view(), truths.view(), &["theta"])?;
/// assert_eq!(table.rows[0].name, "theta");
/// println!("{table}");
/// # Ok::<(), abi_diag::DiagError>(())
/// ```
pub fn default_diagnostics<S: AsRef<str>>(
    draws: ArrayView3<f64>,
    truths: ArrayView2<f64>,
    names: &[S],
) -> Result<DiagnosticsTable> {
    let summary = PosteriorSummary::new(draws, truths)?;
    diagnostics_of(&summary, names, &EcdfBandConfig::default())
}

/// [`default_diagnostics`] from a [`PosteriorSummary`] with a chosen ECDF band.
pub fn diagnostics_of<S: AsRef<str>>(
    summary: &PosteriorSummary,
    names: &[S],
    band: &EcdfBandConfig,
) -> Result<DiagnosticsTable> {
    let names = checks::names("default_diagnostics", names, summary.num_parameters())?;
    let cal = calibration_error(summary, &CalibrationErrorConfig::default())?;
    let contraction = posterior_contraction(summary);
    let z = posterior_z_score(summary);
    let nrmse = root_mean_squared_error(summary, true);
    let r = correlation(summary);
    let (_, tests) = ecdf_tests(summary, band)?;
    let rows = names
        .into_iter()
        .enumerate()
        .map(|(j, name)| {
            let zc = z.column(j);
            ParameterDiagnostics {
                name,
                calibration_error: cal[j],
                contraction: median(&mut contraction.column(j).to_vec()),
                z_mean: zc.mean().unwrap_or(f64::NAN),
                z_sd: zc.std(1.0),
                nrmse: nrmse[j],
                correlation: r[j],
                ecdf_pass: tests[j].pass,
                log_gamma: tests[j].log_gamma,
            }
        })
        .collect();
    Ok(DiagnosticsTable {
        rows,
        band_level: band.level,
        data_sets: summary.num_datasets(),
        draws: summary.num_draws(),
    })
}

/// Column headers of the table.
pub(crate) const HEADERS: [&str; 9] = [
    "parameter",
    "calibration error",
    "contraction",
    "z mean",
    "z sd",
    "NRMSE",
    "correlation",
    "ECDF band",
    "log γ",
];

impl ParameterDiagnostics {
    /// The row's cells as text, in [`HEADERS`] order.
    pub(crate) fn cells(&self) -> [String; 9] {
        [
            self.name.clone(),
            format!("{:.3}", self.calibration_error),
            format!("{:.3}", self.contraction),
            format!("{:+.3}", self.z_mean),
            format!("{:.3}", self.z_sd),
            format!("{:.3}", self.nrmse),
            format!("{:.3}", self.correlation),
            if self.ecdf_pass { "pass" } else { "FAIL" }.to_string(),
            format!("{:+.2}", self.log_gamma),
        ]
    }
}

impl fmt::Display for DiagnosticsTable {
    /// A plain-text table with aligned columns.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cells: Vec<[String; 9]> = self.rows.iter().map(|r| r.cells()).collect();
        let widths: Vec<usize> = (0..9)
            .map(|c| {
                cells
                    .iter()
                    .map(|r| r[c].chars().count())
                    .chain(std::iter::once(HEADERS[c].chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |f: &mut fmt::Formatter<'_>, row: &[String]| -> fmt::Result {
            for (c, cell) in row.iter().enumerate() {
                let pad = widths[c] - cell.chars().count();
                if c == 0 {
                    write!(f, "{cell}{}", " ".repeat(pad))?;
                } else {
                    write!(f, "  {}{cell}", " ".repeat(pad))?;
                }
            }
            writeln!(f)
        };
        let headers: Vec<String> = HEADERS.iter().map(|h| h.to_string()).collect();
        line(f, &headers)?;
        for row in &cells {
            line(f, row)?;
        }
        Ok(())
    }
}
