//! Pairs plots: posterior draws of one data set (marginals on the diagonal, 2-D densities
//! below, draws above, truth and prior optional) and the latent space of a flow against
//! `N(0, I)`.

use super::canvas::{DrawError, Drawn, Figure, save};
use super::panel::{Axes, Chart, FRAME_HEIGHT, FRAME_WIDTH, chart, histogram, kde, linspace};
use super::style::{ACCENT, BAND, PRIMARY, sequential};
use crate::checks;
use crate::error::{Result, input};
use crate::metrics::summary::quantile_sorted;
use ndarray::ArrayView2;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::ops::Range;
use std::path::Path;

/// Side of one cell in pixels.
const CELL: u32 = 260;
const BINS: usize = 28;
const MAX_SCATTER: usize = 600;

/// What a pairs plot may show besides the draws.
#[derive(Debug, Clone, Default)]
pub struct PairsOptions<'a> {
    /// The true parameter values of the data set `(parameters)`, marked in red.
    pub truth: Option<&'a [f64]>,
    /// Prior draws `(draws, parameters)`, shown in grey behind the posterior.
    pub prior: Option<ArrayView2<'a, f64>>,
}

struct PairsFigure<'a> {
    draws: ArrayView2<'a, f64>,
    names: &'a [String],
    truth: Option<&'a [f64]>,
    prior: Option<ArrayView2<'a, f64>>,
    latent: bool,
    ranges: Vec<Range<f64>>,
}

fn robust_range(cols: &[Vec<f64>]) -> Range<f64> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for c in cols {
        let mut s = c.clone();
        s.sort_unstable_by(f64::total_cmp);
        lo = lo.min(quantile_sorted(&s, 0.002));
        hi = hi.max(quantile_sorted(&s, 0.998));
    }
    let w = if hi > lo { hi - lo } else { 1.0 };
    (lo - 0.06 * w)..(hi + 0.06 * w)
}

impl PairsFigure<'_> {
    fn circles<DB: DrawingBackend>(&self, c: &mut Chart<'_, DB>) -> Drawn {
        for r in [1.0, 2.0, 3.0] {
            let ring: Vec<(f64, f64)> = (0..=96)
                .map(|k| {
                    let t = k as f64 / 96.0 * std::f64::consts::TAU;
                    (r * t.cos(), r * t.sin())
                })
                .collect();
            c.draw_series(std::iter::once(PathElement::new(
                ring,
                ACCENT.mix(0.8).stroke_width(1),
            )))?;
        }
        Ok(())
    }

    fn truth_mark<DB: DrawingBackend>(&self, c: &mut Chart<'_, DB>, x: usize, y: usize) -> Drawn {
        if let Some(t) = self.truth {
            c.draw_series(std::iter::once(Circle::new(
                (t[x], t[y]),
                5,
                ACCENT.filled(),
            )))?;
            c.draw_series(std::iter::once(Circle::new(
                (t[x], t[y]),
                5,
                WHITE.stroke_width(1),
            )))?;
        }
        Ok(())
    }

    fn diagonal<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, j: usize) -> Drawn {
        let r = &self.ranges[j];
        let col = self.draws.column(j).to_vec();
        let dens = histogram(&col, r.start, r.end, BINS);
        let grid = linspace(r, 120);
        let smooth = kde(&col, &grid);
        let prior = self
            .prior
            .map(|p| histogram(&p.column(j).to_vec(), r.start, r.end, BINS));
        let normal: Option<Vec<f64>> = self.latent.then(|| {
            grid.iter()
                .map(|x| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt())
                .collect()
        });
        let top = dens
            .iter()
            .chain(&smooth)
            .chain(prior.iter().flatten())
            .chain(normal.iter().flatten())
            .fold(0.0f64, |a, b| a.max(*b))
            * 1.12;
        let ax = Axes {
            title: "",
            x: r.clone(),
            y: 0.0..top.max(1e-12),
            x_desc: &self.names[j],
            y_desc: "density",
        };
        let mut c = chart(area, &ax)?;
        let w = (r.end - r.start) / BINS as f64;
        c.draw_series(dens.iter().enumerate().map(|(b, d)| {
            Rectangle::new(
                [
                    (r.start + b as f64 * w, 0.0),
                    (r.start + (b + 1) as f64 * w, *d),
                ],
                PRIMARY.mix(0.35).filled(),
            )
        }))?;
        c.draw_series(LineSeries::new(
            grid.iter().copied().zip(smooth),
            PRIMARY.stroke_width(2),
        ))?;
        // the prior on top of the posterior's bars, so that they do not tint it
        if let Some(p) = &prior {
            let steps = p.iter().enumerate().flat_map(|(b, d)| {
                [
                    (r.start + b as f64 * w, *d),
                    (r.start + (b + 1) as f64 * w, *d),
                ]
            });
            c.draw_series(LineSeries::new(steps, BAND.stroke_width(2)))?;
        }
        if let Some(nd) = normal {
            c.draw_series(DashedLineSeries::new(
                grid.iter().copied().zip(nd),
                6,
                4,
                ACCENT.stroke_width(2),
            ))?;
        }
        if let Some(t) = self.truth {
            c.draw_series(std::iter::once(PathElement::new(
                vec![(t[j], 0.0), (t[j], top)],
                ACCENT.stroke_width(2),
            )))?;
        }
        Ok(())
    }

    /// The chart of the off-diagonal panel `(i, j)`: parameter `j` across, `i` up.
    fn panel<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        i: usize,
        j: usize,
    ) -> std::result::Result<Chart<'a, DB>, DrawError> {
        let ax = Axes {
            title: "",
            x: self.ranges[j].clone(),
            y: self.ranges[i].clone(),
            x_desc: &self.names[j],
            y_desc: &self.names[i],
        };
        chart(area, &ax)
    }

    /// What every off-diagonal panel shows on top: the latent circles and the truth.
    fn overlays<DB: DrawingBackend>(&self, c: &mut Chart<'_, DB>, i: usize, j: usize) -> Drawn {
        if self.latent {
            self.circles(c)?;
        }
        self.truth_mark(c, j, i)
    }

    fn lower<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        i: usize,
        j: usize,
    ) -> Drawn {
        let (rx, ry) = (&self.ranges[j], &self.ranges[i]);
        let mut c = self.panel(area, i, j)?;
        let (wx, wy) = (
            (rx.end - rx.start) / BINS as f64,
            (ry.end - ry.start) / BINS as f64,
        );
        let mut h = vec![0usize; BINS * BINS];
        for row in self.draws.rows() {
            let (x, y) = (row[j], row[i]);
            if rx.contains(&x) && ry.contains(&y) {
                let bx = (((x - rx.start) / wx) as usize).min(BINS - 1);
                let by = (((y - ry.start) / wy) as usize).min(BINS - 1);
                h[by * BINS + bx] += 1;
            }
        }
        let top = h.iter().copied().max().unwrap_or(1).max(1) as f64;
        c.draw_series(h.iter().enumerate().filter(|(_, n)| **n > 0).map(|(k, n)| {
            let (bx, by) = ((k % BINS) as f64, (k / BINS) as f64);
            Rectangle::new(
                [
                    (rx.start + bx * wx, ry.start + by * wy),
                    (rx.start + (bx + 1.0) * wx, ry.start + (by + 1.0) * wy),
                ],
                sequential(0.15 + 0.85 * (*n as f64 / top).sqrt()).filled(),
            )
        }))?;
        self.overlays(&mut c, i, j)
    }

    fn upper<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        i: usize,
        j: usize,
    ) -> Drawn {
        let (rx, ry) = (&self.ranges[j], &self.ranges[i]);
        let mut c = self.panel(area, i, j)?;
        let inside = |x: f64, y: f64| rx.contains(&x) && ry.contains(&y);
        if let Some(p) = self.prior {
            let step = p.nrows().div_ceil(MAX_SCATTER).max(1);
            c.draw_series(
                p.rows()
                    .into_iter()
                    .step_by(step)
                    .filter(|r| inside(r[j], r[i]))
                    .map(|r| Circle::new((r[j], r[i]), 2, BAND.mix(0.35).filled())),
            )?;
        }
        let step = self.draws.nrows().div_ceil(MAX_SCATTER).max(1);
        c.draw_series(
            self.draws
                .rows()
                .into_iter()
                .step_by(step)
                .filter(|r| inside(r[j], r[i]))
                .map(|r| Circle::new((r[j], r[i]), 2, PRIMARY.mix(0.45).filled())),
        )?;
        self.overlays(&mut c, i, j)
    }
}

impl Figure for PairsFigure<'_> {
    const NAME: &'static str = "pairs";
    fn size(&self) -> (u32, u32) {
        // cells as much shorter as their frames are narrower, so that every plotting area is
        // square and the circles of the latent plot are round
        let p = self.names.len() as u32;
        (CELL * p, (CELL + FRAME_HEIGHT - FRAME_WIDTH) * p)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let p = self.names.len();
        let cells = root.split_evenly((p, p));
        for i in 0..p {
            for j in 0..p {
                let area = &cells[i * p + j];
                match i.cmp(&j) {
                    std::cmp::Ordering::Equal => self.diagonal(area, j)?,
                    std::cmp::Ordering::Greater => self.lower(area, i, j)?,
                    std::cmp::Ordering::Less => self.upper(area, i, j)?,
                }
            }
        }
        Ok(())
    }
}

/// A pairs plot of one data set's posterior `draws` `(draws, parameters)`: histogram and
/// kernel density per parameter on the diagonal, 2-D histograms below it, the draws above,
/// the truth in red and the prior in grey when given. Look for: the truth inside the bulk of
/// the draws; correlations and ridges (non-identifiability); multimodality; how much the
/// posterior narrowed compared to the prior.
pub fn plot_pairs<S: AsRef<str>>(
    path: impl AsRef<Path>,
    draws: ArrayView2<f64>,
    names: &[S],
    options: &PairsOptions,
) -> Result<()> {
    const WHAT: &str = "plot_pairs";
    checks::samples(WHAT, "draws", &draws, 2)?;
    let names = checks::names(WHAT, names, draws.ncols())?;
    if let Some(t) = options.truth {
        if t.len() != draws.ncols() {
            return Err(input(
                WHAT,
                format!(
                    "truth has {} values for {} parameters",
                    t.len(),
                    draws.ncols()
                ),
            ));
        }
        checks::finite(WHAT, "truth", t.iter())?;
    }
    if let Some(p) = options.prior {
        checks::samples(WHAT, "prior draws", &p, 2)?;
        if p.ncols() != draws.ncols() {
            return Err(input(
                WHAT,
                format!(
                    "prior draws have {} columns, draws {}",
                    p.ncols(),
                    draws.ncols()
                ),
            ));
        }
    }
    let ranges = (0..draws.ncols())
        .map(|j| {
            let mut cols = vec![draws.column(j).to_vec()];
            if let Some(p) = options.prior {
                cols.push(p.column(j).to_vec());
            }
            if let Some(t) = options.truth {
                cols.push(vec![t[j]]);
            }
            robust_range(&cols)
        })
        .collect();
    let fig = PairsFigure {
        draws,
        names: &names,
        truth: options.truth,
        prior: options.prior,
        latent: false,
        ranges,
    };
    save(&fig, path.as_ref())
}

/// The latent space of a normalizing flow: latent codes `z = f(θ; x)` `(rows, dimensions)` of
/// training or validation pairs as a pairs plot, with the density of `N(0, 1)` (dashed) on the
/// diagonal and the circles of radius 1, 2 and 3 of `N(0, I)` off it. A well-trained flow maps
/// its training data to a round, centred, unit-scale cloud (about 39 %, 86 % and 99 % of the
/// points inside the circles); skew, offsets or clusters show where the flow is wrong.
pub fn plot_latent<S: AsRef<str>>(
    path: impl AsRef<Path>,
    latent: ArrayView2<f64>,
    names: &[S],
) -> Result<()> {
    const WHAT: &str = "plot_latent";
    checks::samples(WHAT, "latent codes", &latent, 2)?;
    let names = checks::names(WHAT, names, latent.ncols())?;
    let ranges = (0..latent.ncols())
        .map(|j| robust_range(&[latent.column(j).to_vec(), vec![-3.6, 3.6]]))
        .collect();
    let fig = PairsFigure {
        draws: latent,
        names: &names,
        truth: None,
        prior: None,
        latent: true,
        ranges,
    };
    save(&fig, path.as_ref())
}
