//! Recovery plots: posterior median against truth with credible intervals, and posterior
//! z-score against contraction.

use super::calibration::{COLS, grid_size};
use super::canvas::{Drawn, Figure, grid, save};
use super::panel::{Axes, chart, note, range};
use super::style::{BAND, PRIMARY};
use crate::checks;
use crate::error::Result;
use crate::metrics::moments::{correlation, posterior_contraction, posterior_z_score};
use crate::metrics::summary::PosteriorSummary;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Most data sets a panel draws (an even thinning keeps large plots light).
const MAX_POINTS: usize = 1000;

fn thin(n: usize) -> impl Iterator<Item = usize> {
    (0..n).step_by(n.div_ceil(MAX_POINTS).max(1))
}

struct RecoveryFigure<'a> {
    s: &'a PosteriorSummary,
    names: &'a [String],
    level: f64,
}

impl Figure for RecoveryFigure<'_> {
    const NAME: &'static str = "recovery";
    fn size(&self) -> (u32, u32) {
        grid_size(self.names.len())
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let s = self.s;
        let areas = root.split_evenly(grid(self.names.len(), COLS));
        let r = correlation(s);
        let (qlo, qhi) = ((1.0 - self.level) / 2.0, (1.0 + self.level) / 2.0);
        for (j, (name, area)) in self.names.iter().zip(&areas).enumerate() {
            let pts: Vec<(f64, f64, f64, f64)> = thin(s.num_datasets())
                .map(|i| {
                    (
                        s.truths[[i, j]],
                        s.median[[i, j]],
                        s.quantile(i, j, qlo),
                        s.quantile(i, j, qhi),
                    )
                })
                .collect();
            let ends = pts.iter().flat_map(|p| [p.0, p.1]);
            let lims = range(ends, 0.06);
            let x_desc = format!("true {name}");
            let y_desc = format!("estimated {name}");
            let ax = Axes {
                title: name,
                x: lims.clone(),
                y: lims.clone(),
                x_desc: &x_desc,
                y_desc: &y_desc,
            };
            let mut c = chart(area, &ax)?;
            c.draw_series(pts.iter().map(|p| {
                PathElement::new(
                    vec![(p.0, p.2.max(lims.start)), (p.0, p.3.min(lims.end))],
                    PRIMARY.mix(0.25),
                )
            }))?;
            c.draw_series(LineSeries::new(
                [(lims.start, lims.start), (lims.end, lims.end)],
                BAND.stroke_width(2),
            ))?;
            c.draw_series(
                pts.iter()
                    .map(|p| Circle::new((p.0, p.1), 2, PRIMARY.mix(0.8).filled())),
            )?;
            note(&mut c, &ax, &format!("r = {:.3}", r[j]))?;
        }
        Ok(())
    }
}

/// Recovery: the posterior median of each data set against its truth, with bars for the
/// central `level` credible interval (0.95 is customary) and Pearson's r. Good recovery hugs
/// the diagonal with short bars; a flat cloud means the parameter is not identified (the
/// posterior stays at the prior); wide bars at the diagonal are honest uncertainty.
pub fn plot_recovery<S: AsRef<str>>(
    path: impl AsRef<Path>,
    summary: &PosteriorSummary,
    names: &[S],
    level: f64,
) -> Result<()> {
    checks::level("plot_recovery", "level", level)?;
    let names = checks::names("plot_recovery", names, summary.num_parameters())?;
    save(
        &RecoveryFigure {
            s: summary,
            names: &names,
            level,
        },
        path.as_ref(),
    )
}

struct ZContractionFigure<'a> {
    s: &'a PosteriorSummary,
    names: &'a [String],
}

impl Figure for ZContractionFigure<'_> {
    const NAME: &'static str = "z-score vs contraction";
    fn size(&self) -> (u32, u32) {
        grid_size(self.names.len())
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let areas = root.split_evenly(grid(self.names.len(), COLS));
        let (c_all, z_all) = (posterior_contraction(self.s), posterior_z_score(self.s));
        for (j, (name, area)) in self.names.iter().zip(&areas).enumerate() {
            let pts: Vec<(f64, f64)> = thin(self.s.num_datasets())
                .map(|i| (c_all[[i, j]], z_all[[i, j]]))
                .collect();
            let cmin = pts.iter().map(|p| p.0).fold(0.0, f64::min);
            let zmax = pts.iter().map(|p| p.1.abs()).fold(3.0, f64::max) * 1.1;
            let x_desc = format!("contraction of {name}");
            let y_desc = format!("z-score of {name}");
            let ax = Axes {
                title: name,
                x: (cmin - 0.05)..1.05,
                y: -zmax..zmax,
                x_desc: &x_desc,
                y_desc: &y_desc,
            };
            let mut c = chart(area, &ax)?;
            for z in [-2.0, 2.0] {
                c.draw_series(DashedLineSeries::new(
                    [(cmin - 0.05, z), (1.05, z)],
                    6,
                    4,
                    BAND.into(),
                ))?;
            }
            c.draw_series(LineSeries::new(
                [(cmin - 0.05, 0.0), (1.05, 0.0)],
                BAND.stroke_width(1),
            ))?;
            c.draw_series(
                pts.iter()
                    .map(|p| Circle::new(*p, 2, PRIMARY.mix(0.6).filled())),
            )?;
        }
        Ok(())
    }
}

/// Posterior z-score `(mean − truth) / sd` against posterior contraction
/// `1 − var_post / var_prior`, one point per data set (Schad et al. 2021). Ideal: points at the
/// right (contraction near 1) and between the dashed ±2 lines. Many points beyond ±2 mean an
/// over-confident or biased posterior; points on the left, a posterior no narrower than the
/// prior.
pub fn plot_z_score_contraction<S: AsRef<str>>(
    path: impl AsRef<Path>,
    summary: &PosteriorSummary,
    names: &[S],
) -> Result<()> {
    let names = checks::names("plot_z_score_contraction", names, summary.num_parameters())?;
    save(
        &ZContractionFigure {
            s: summary,
            names: &names,
        },
        path.as_ref(),
    )
}
