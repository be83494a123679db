//! Calibration plots: SBC rank histograms, ECDF (difference) with simultaneous bands,
//! coverage of central intervals, and TARP.

use super::canvas::{Drawn, Figure, grid, save};
use super::panel::{Axes, chart, note};
use super::style::{ACCENT, BAND, PRIMARY};
use crate::checks;
use crate::error::Result;
use crate::metrics::coverage::expected_coverage;
use crate::metrics::ecdf::{EcdfBandConfig, ecdf_tests};
use crate::metrics::ranks::{RankHistogram, rank_histogram_of};
use crate::metrics::summary::PosteriorSummary;
use crate::metrics::tarp::Tarp;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Panel size of the per-parameter grids.
pub(crate) const PANEL: (u32, u32) = (380, 330);
/// Panels per row.
pub(crate) const COLS: usize = 4;

pub(crate) fn grid_size(panels: usize) -> (u32, u32) {
    let (r, c) = grid(panels, COLS);
    (PANEL.0 * c as u32, PANEL.1 * r as u32)
}

struct RankFigure<'a> {
    hist: RankHistogram,
    names: &'a [String],
}

impl Figure for RankFigure<'_> {
    const NAME: &'static str = "rank histogram";
    fn size(&self) -> (u32, u32) {
        grid_size(self.names.len())
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let h = &self.hist;
        let areas = root.split_evenly(grid(self.names.len(), COLS));
        let top = h.counts.iter().copied().max().unwrap_or(1) as f64;
        let top = top.max(h.upper.iter().copied().fold(0.0, f64::max)) * 1.12;
        let l = h.num_draws as f64 + 1.0;
        let edge = |b: usize| b as f64 * l / h.bins() as f64;
        for (j, (name, area)) in self.names.iter().zip(&areas).enumerate() {
            let x_desc = format!("rank of {name}");
            let ax = Axes {
                title: name,
                x: 0.0..l,
                y: 0.0..top,
                x_desc: &x_desc,
                y_desc: "data sets",
            };
            let mut c = chart(area, &ax)?;
            c.draw_series((0..h.bins()).map(|b| {
                let (x0, x1) = (edge(b), edge(b + 1));
                let pad = (x1 - x0) * 0.08;
                Rectangle::new(
                    [(x0 + pad, 0.0), (x1 - pad, h.counts[[b, j]] as f64)],
                    PRIMARY.mix(0.7).filled(),
                )
            }))?;
            // the band over the bars, so that it shows where bars leave it
            c.draw_series((0..h.bins()).map(|b| {
                Rectangle::new(
                    [(edge(b), h.lower[b]), (edge(b + 1), h.upper[b])],
                    BAND.mix(0.35).filled(),
                )
            }))?;
            c.draw_series(LineSeries::new(
                (0..h.bins())
                    .flat_map(|b| [(edge(b), h.expected[b]), (edge(b + 1), h.expected[b])]),
                BAND.stroke_width(2),
            ))?;
        }
        Ok(())
    }
}

/// SBC rank histograms, one panel per parameter, with the per-bin binomial 99 % band (grey)
/// and the expected count (line): see [`crate::rank_histogram`]. `summary` holds draws
/// `(data sets, draws, parameters)` against truths; the file is PNG or SVG by its extension.
pub fn plot_rank_histogram<S: AsRef<str>>(
    path: impl AsRef<Path>,
    summary: &PosteriorSummary,
    names: &[S],
) -> Result<()> {
    let names = checks::names("plot_rank_histogram", names, summary.num_parameters())?;
    let hist = rank_histogram_of(summary)?;
    save(
        &RankFigure {
            hist,
            names: &names,
        },
        path.as_ref(),
    )
}

struct EcdfFigure<'a> {
    z: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
    ecdf: Vec<Vec<f64>>,
    log_gamma: Vec<f64>,
    level: f64,
    difference: bool,
    names: &'a [String],
}

impl Figure for EcdfFigure<'_> {
    const NAME: &'static str = "calibration ECDF";
    fn size(&self) -> (u32, u32) {
        grid_size(self.names.len())
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let areas = root.split_evenly(grid(self.names.len(), COLS));
        let off = |z: f64| if self.difference { z } else { 0.0 };
        let y = if self.difference {
            let m = self
                .lower
                .iter()
                .zip(&self.upper)
                .zip(&self.z)
                .map(|((lo, hi), z)| (z - lo).max(hi - z))
                .chain(
                    self.ecdf
                        .iter()
                        .flatten()
                        .zip(self.z.iter().cycle())
                        .map(|(f, z)| (f - z).abs()),
                )
                .fold(0.0, f64::max);
            (-1.25 * m)..(1.25 * m)
        } else {
            0.0..1.0
        };
        let y_desc = if self.difference {
            "ECDF − uniform CDF"
        } else {
            "ECDF"
        };
        for (j, (name, area)) in self.names.iter().zip(&areas).enumerate() {
            let x_desc = format!("fractional rank of {name}");
            let ax = Axes {
                title: name,
                x: 0.0..1.0,
                y: y.clone(),
                x_desc: &x_desc,
                y_desc,
            };
            let mut c = chart(area, &ax)?;
            let mut band: Vec<(f64, f64)> = std::iter::once((0.0, 0.0))
                .chain(
                    self.z
                        .iter()
                        .zip(&self.upper)
                        .map(|(z, u)| (*z, u - off(*z))),
                )
                .chain(std::iter::once((1.0, 1.0 - off(1.0))))
                .collect();
            band.extend(
                std::iter::once((1.0, 1.0 - off(1.0)))
                    .chain(
                        self.z
                            .iter()
                            .zip(&self.lower)
                            .map(|(z, l)| (*z, l - off(*z)))
                            .rev(),
                    )
                    .chain(std::iter::once((0.0, 0.0))),
            );
            c.draw_series(std::iter::once(Polygon::new(band, BAND.mix(0.25).filled())))?;
            c.draw_series(LineSeries::new(
                [(0.0, 0.0), (1.0, 1.0 - off(1.0))],
                BAND.stroke_width(1),
            ))?;
            // the ECDF at the evaluation points, joined (as BayesFlow draws it)
            let line: Vec<(f64, f64)> = std::iter::once((0.0, 0.0))
                .chain(
                    self.z
                        .iter()
                        .zip(&self.ecdf[j])
                        .map(|(z, f)| (*z, f - off(*z))),
                )
                .chain(std::iter::once((1.0, 1.0 - off(1.0))))
                .collect();
            let color = if self.log_gamma[j] >= 0.0 {
                PRIMARY
            } else {
                ACCENT
            };
            c.draw_series(LineSeries::new(line, color.stroke_width(2)))?;
            let verdict = if self.log_gamma[j] >= 0.0 {
                "inside"
            } else {
                "OUTSIDE"
            };
            let text = format!(
                "{verdict} {:.0} % band, log γ = {:.2}",
                100.0 * self.level,
                self.log_gamma[j]
            );
            note(&mut c, &ax, &text)?;
        }
        Ok(())
    }
}

/// The ECDF of the fractional SBC ranks per parameter with its simultaneous band
/// (Säilynoja et al. 2022, [`crate::EcdfBand`]); with `difference` the uniform CDF is
/// subtracted, which shows small departures better. A calibrated posterior stays inside the
/// grey band everywhere; the annotation gives the test's verdict and log γ.
pub fn plot_calibration_ecdf<S: AsRef<str>>(
    path: impl AsRef<Path>,
    summary: &PosteriorSummary,
    names: &[S],
    difference: bool,
    band: &EcdfBandConfig,
) -> Result<()> {
    let names = checks::names("plot_calibration_ecdf", names, summary.num_parameters())?;
    let (b, tests) = ecdf_tests(summary, band)?;
    let ranks = summary.ranks();
    let ecdf = ranks
        .columns()
        .into_iter()
        .map(|c| b.ecdf(&c.to_vec()))
        .collect::<Result<Vec<_>>>()?;
    let fig = EcdfFigure {
        log_gamma: tests.iter().map(|t| t.log_gamma).collect(),
        z: b.z,
        lower: b.lower,
        upper: b.upper,
        ecdf,
        level: b.level,
        difference,
        names: &names,
    };
    save(&fig, path.as_ref())
}

/// One coverage-style panel: observed against nominal, a diagonal and an optional band.
pub(crate) struct CoverageCurve<'a> {
    pub(crate) title: &'a str,
    pub(crate) x_desc: &'a str,
    pub(crate) nominal: &'a [f64],
    pub(crate) observed: &'a [f64],
    pub(crate) band: Option<(&'a [f64], &'a [f64])>,
}

pub(crate) fn draw_coverage<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    cv: &CoverageCurve,
) -> Drawn {
    let ax = Axes {
        title: cv.title,
        x: 0.0..1.0,
        y: 0.0..1.0,
        x_desc: cv.x_desc,
        y_desc: "empirical coverage",
    };
    let mut c = chart(area, &ax)?;
    if let Some((lo, hi)) = cv.band {
        let poly: Vec<(f64, f64)> = cv
            .nominal
            .iter()
            .zip(hi)
            .map(|(a, h)| (*a, *h))
            .chain(cv.nominal.iter().zip(lo).rev().map(|(a, l)| (*a, *l)))
            .collect();
        c.draw_series(std::iter::once(Polygon::new(poly, BAND.mix(0.25).filled())))?;
    }
    c.draw_series(LineSeries::new(
        [(0.0, 0.0), (1.0, 1.0)],
        BAND.stroke_width(1),
    ))?;
    c.draw_series(LineSeries::new(
        cv.nominal.iter().zip(cv.observed).map(|(a, o)| (*a, *o)),
        PRIMARY.stroke_width(2),
    ))?;
    Ok(())
}

struct CoverageFigure<'a> {
    levels: Vec<f64>,
    coverage: ndarray::Array2<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
    names: &'a [String],
}

impl Figure for CoverageFigure<'_> {
    const NAME: &'static str = "coverage";
    fn size(&self) -> (u32, u32) {
        grid_size(self.names.len())
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let areas = root.split_evenly(grid(self.names.len(), COLS));
        for (j, (name, area)) in self.names.iter().zip(&areas).enumerate() {
            let observed = self.coverage.column(j).to_vec();
            let x_desc = format!("central interval level of {name}");
            draw_coverage(
                area,
                &CoverageCurve {
                    title: name,
                    x_desc: &x_desc,
                    nominal: &self.levels,
                    observed: &observed,
                    band: Some((&self.lower, &self.upper)),
                },
            )?;
        }
        Ok(())
    }
}

/// Empirical coverage of central credible intervals against their level, per parameter
/// ([`crate::expected_coverage`]), with a pointwise 95 % binomial band over data sets. Below
/// the diagonal: over-confident; above: under-confident.
pub fn plot_coverage<S: AsRef<str>>(
    path: impl AsRef<Path>,
    summary: &PosteriorSummary,
    names: &[S],
) -> Result<()> {
    let names = checks::names("plot_coverage", names, summary.num_parameters())?;
    let levels: Vec<f64> = (0..=40).map(|k| k as f64 / 40.0).collect();
    let coverage = expected_coverage(summary, &levels)?;
    let n = summary.num_datasets() as f64;
    let half = |a: f64| 1.96 * (a * (1.0 - a) / n).sqrt();
    let fig = CoverageFigure {
        lower: levels.iter().map(|a| (a - half(*a)).max(0.0)).collect(),
        upper: levels.iter().map(|a| (a + half(*a)).min(1.0)).collect(),
        levels,
        coverage,
        names: &names,
    };
    save(&fig, path.as_ref())
}

struct TarpFigure<'a>(&'a Tarp);

impl Figure for TarpFigure<'_> {
    const NAME: &'static str = "TARP";
    fn size(&self) -> (u32, u32) {
        PANEL
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        draw_coverage(
            root,
            &CoverageCurve {
                title: "TARP (all parameters)",
                x_desc: "credibility level",
                nominal: &self.0.alpha,
                observed: &self.0.ecp,
                band: None,
            },
        )
    }
}

/// The TARP expected-coverage curve of the joint posterior ([`crate::tarp`]).
pub fn plot_tarp(path: impl AsRef<Path>, tarp: &Tarp) -> Result<()> {
    save(&TarpFigure(tarp), path.as_ref())
}
