//! Prior sensitivity: how each parameter's posterior moves along a grid of a hyperparameter
//! (or any other context value the approximator was amortized over).

use super::calibration::{COLS, grid_size};
use super::canvas::{Drawn, Figure, grid, save};
use super::panel::{Axes, chart, note, range};
use super::style::{ACCENT, PRIMARY};
use crate::checks;
use crate::error::{Result, input};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// A posterior summary of one parameter along a grid: a centre (mean or median) and the ends
/// of a credible interval, one value per grid point.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// The parameter's name (the panel's title).
    pub name: String,
    /// Posterior mean or median at each grid point.
    pub center: Vec<f64>,
    /// Lower end of the credible interval at each grid point.
    pub lower: Vec<f64>,
    /// Upper end of the credible interval at each grid point.
    pub upper: Vec<f64>,
}

struct SensitivityFigure<'a> {
    hyper: &'a str,
    grid: &'a [f64],
    estimated: &'a [Band],
    reference: Option<&'a [Band]>,
    level: f64,
}

impl<'a> Figure for SensitivityFigure<'a> {
    const NAME: &'static str = "prior sensitivity";
    fn size(&self) -> (u32, u32) {
        grid_size(self.estimated.len())
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let areas = root.split_evenly(grid(self.estimated.len(), COLS));
        for (j, (band, area)) in self.estimated.iter().zip(&areas).enumerate() {
            let reference = self.reference.map(|r| &r[j]);
            let values = band
                .lower
                .iter()
                .chain(&band.upper)
                .chain(
                    reference
                        .into_iter()
                        .flat_map(|r| r.lower.iter().chain(&r.upper)),
                )
                .copied();
            let y_desc = format!("posterior of {}", band.name);
            // headroom above the curves for the legend
            let y = range(values, 0.08);
            let y = y.start..(y.end + 0.12 * (y.end - y.start));
            let ax = Axes {
                title: &band.name,
                x: range(self.grid.iter().copied(), 0.02),
                y,
                x_desc: self.hyper,
                y_desc: &y_desc,
            };
            let mut c = chart(area, &ax)?;
            let upper = self.grid.iter().copied().zip(band.upper.iter().copied());
            let lower = self
                .grid
                .iter()
                .copied()
                .zip(band.lower.iter().copied())
                .rev();
            c.draw_series(std::iter::once(Polygon::new(
                upper.chain(lower).collect::<Vec<_>>(),
                PRIMARY.mix(0.18).filled(),
            )))?;
            let grid = self.grid;
            let line = |v: &'a [f64]| grid.iter().copied().zip(v.iter().copied());
            c.draw_series(LineSeries::new(line(&band.center), PRIMARY.stroke_width(2)))?;
            if let Some(r) = reference {
                c.draw_series(DashedLineSeries::new(
                    line(&r.center),
                    7,
                    4,
                    ACCENT.stroke_width(2),
                ))?;
                for edge in [&r.lower, &r.upper] {
                    c.draw_series(DashedLineSeries::new(line(edge), 4, 4, ACCENT.into()))?;
                }
            }
            let legend = match reference {
                Some(_) => format!(
                    "shaded: {:.0} % interval; dashed: reference",
                    100.0 * self.level
                ),
                None => format!("shaded: {:.0} % interval", 100.0 * self.level),
            };
            note(&mut c, &ax, &legend)?;
        }
        Ok(())
    }
}

fn check_band(what: &'static str, band: &Band, points: usize) -> Result<()> {
    for (name, v) in [
        ("center", &band.center),
        ("lower", &band.lower),
        ("upper", &band.upper),
    ] {
        if v.len() != points {
            return Err(input(
                what,
                format!(
                    "`{}`: {} {name} values for {points} grid points",
                    band.name,
                    v.len()
                ),
            ));
        }
        checks::finite(what, &format!("`{}` {name}", band.name), v.iter())?;
    }
    Ok(())
}

/// Prior sensitivity: one panel per parameter with its posterior centre (line) and central
/// `level` interval (shaded) for one data set at each value of the hyperparameter `hyper`
/// along `grid`, and optionally a `reference` (an analytic or MCMC posterior, dashed). A
/// flat band says the data dominate the prior; a band that follows the hyperparameter says
/// the conclusions depend on the prior's setting, so it must be argued for.
pub fn plot_sensitivity(
    path: impl AsRef<Path>,
    hyper: &str,
    grid: &[f64],
    estimated: &[Band],
    reference: Option<&[Band]>,
    level: f64,
) -> Result<()> {
    const WHAT: &str = "plot_sensitivity";
    checks::level(WHAT, "level", level)?;
    if grid.len() < 2 || estimated.is_empty() {
        return Err(input(
            WHAT,
            format!(
                "need at least 2 grid points and one parameter, got {} and {}",
                grid.len(),
                estimated.len()
            ),
        ));
    }
    checks::finite(WHAT, "grid", grid.iter())?;
    for band in estimated {
        check_band(WHAT, band, grid.len())?;
    }
    if let Some(r) = reference {
        if r.len() != estimated.len() {
            return Err(input(
                WHAT,
                format!(
                    "{} reference bands for {} parameters",
                    r.len(),
                    estimated.len()
                ),
            ));
        }
        for band in r {
            check_band(WHAT, band, grid.len())?;
        }
    }
    save(
        &SensitivityFigure {
            hyper,
            grid,
            estimated,
            reference,
            level,
        },
        path.as_ref(),
    )
}
