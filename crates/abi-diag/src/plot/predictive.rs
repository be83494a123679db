//! Checks against simulated data: the MMD hypothesis test (null histogram and observed
//! statistic) and the posterior predictive check panel.

use super::canvas::{Drawn, Figure, save};
use super::panel::{Axes, chart, note, range};
use super::style::{ACCENT, BAND, FONT, INK, PRIMARY, TICK};
use crate::checks;
use crate::error::{Result, input};
use crate::metrics::mmd::MmdTest;
use crate::metrics::summary::quantile_sorted;
use ndarray::ArrayView2;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

struct MmdFigure<'a>(&'a MmdTest);

impl Figure for MmdFigure<'_> {
    const NAME: &'static str = "MMD hypothesis test";
    fn size(&self) -> (u32, u32) {
        (640, 400)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let t = self.0;
        let xr = range(
            t.null.iter().copied().chain(std::iter::once(t.statistic)),
            0.08,
        );
        let bins = (t.null.len() / 10).clamp(10, 40);
        let w = (xr.end - xr.start) / bins as f64;
        let mut counts = vec![0usize; bins];
        for v in &t.null {
            counts[(((v - xr.start) / w) as usize).min(bins - 1)] += 1;
        }
        // headroom above the bars for the legend and the note
        let top = counts.iter().copied().max().unwrap_or(1) as f64 * 1.5;
        let ax = Axes {
            title: "MMD hypothesis test",
            x: xr.clone(),
            y: 0.0..top,
            x_desc: "MMD² (squared maximum mean discrepancy)",
            y_desc: "null draws",
        };
        let mut c = chart(root, &ax)?;
        c.draw_series(counts.iter().enumerate().map(|(b, n)| {
            Rectangle::new(
                [
                    (xr.start + b as f64 * w, 0.0),
                    (xr.start + (b + 1) as f64 * w, *n as f64),
                ],
                BAND.mix(0.5).filled(),
            )
        }))?
        .label("null distribution")
        .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], BAND.mix(0.5).filled()));
        c.draw_series(std::iter::once(PathElement::new(
            vec![(t.statistic, 0.0), (t.statistic, top * 0.72)],
            ACCENT.stroke_width(3),
        )))?
        .label("observed")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], ACCENT.stroke_width(3)));
        note(&mut c, &ax, &format!("p = {:.3}", t.p_value))?;
        c.configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FONT, TICK).into_font().color(&INK))
            .background_style(WHITE.mix(0.85))
            .border_style(INK.mix(0.4))
            .draw()?;
        Ok(())
    }
}

/// The MMD test: a histogram of the null distribution and the observed statistic as a red
/// line, with the p-value ([`crate::summary_space_test`], [`crate::mmd_permutation_test`]).
/// The red line far to the right of the histogram (small p) means the observed data (or
/// summaries) are unlike the simulations: the model is misspecified for them.
pub fn plot_mmd_test(path: impl AsRef<Path>, test: &MmdTest) -> Result<()> {
    if test.null.is_empty() {
        return Err(input("plot_mmd_test", "the null distribution is empty"));
    }
    save(&MmdFigure(test), path.as_ref())
}

/// What [`plot_posterior_predictive`] shows.
#[derive(Debug, Clone)]
pub struct PredictiveCheck<'a> {
    /// Data simulated from posterior draws `(draws, points)`.
    pub simulated: ArrayView2<'a, f64>,
    /// The observed data `(points)`.
    pub observed: &'a [f64],
    /// Positions of the points (time, design); `0, 1, …` when `None`.
    pub x: Option<&'a [f64]>,
    /// Description of the x axis.
    pub x_label: &'a str,
    /// Description of the y axis (the observable's name).
    pub y_label: &'a str,
}

struct PpcFigure<'a, 'b> {
    ppc: &'a PredictiveCheck<'b>,
    x: Vec<f64>,
    quantiles: Vec<[f64; 5]>,
}

impl Figure for PpcFigure<'_, '_> {
    const NAME: &'static str = "posterior predictive check";
    fn size(&self) -> (u32, u32) {
        (760, 420)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let q = &self.quantiles;
        let xr = range(self.x.iter().copied(), 0.02);
        let yr = range(
            q.iter()
                .flat_map(|v| [v[0], v[4]])
                .chain(self.ppc.observed.iter().copied()),
            0.06,
        );
        // headroom for the legend above the data
        let yr = yr.start..(yr.end + 0.45 * (yr.end - yr.start));
        let ax = Axes {
            title: "Posterior predictive check",
            x: xr,
            y: yr,
            x_desc: self.ppc.x_label,
            y_desc: self.ppc.y_label,
        };
        let mut c = chart(root, &ax)?;
        for (lo, hi, alpha, label) in [
            (0, 4, 0.18, "90 % predictive band"),
            (1, 3, 0.35, "50 % predictive band"),
        ] {
            let poly: Vec<(f64, f64)> = self
                .x
                .iter()
                .zip(q)
                .map(|(x, v)| (*x, v[hi]))
                .chain(self.x.iter().zip(q).rev().map(|(x, v)| (*x, v[lo])))
                .collect();
            c.draw_series(std::iter::once(Polygon::new(
                poly,
                PRIMARY.mix(alpha).filled(),
            )))?
            .label(label)
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 6), (x + 18, y + 6)], PRIMARY.mix(alpha).filled())
            });
        }
        c.draw_series(LineSeries::new(
            self.x.iter().zip(q).map(|(x, v)| (*x, v[2])),
            PRIMARY.stroke_width(2),
        ))?
        .label("predictive median")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], PRIMARY.stroke_width(2)));
        c.draw_series(
            self.x
                .iter()
                .zip(self.ppc.observed)
                .map(|(x, y)| Circle::new((*x, *y), 4, ACCENT.filled())),
        )?
        .label("observed")
        .legend(|(x, y)| Circle::new((x + 9, y), 4, ACCENT.filled()));
        c.configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, TICK).into_font().color(&INK))
            .background_style(WHITE.mix(0.85))
            .border_style(INK.mix(0.4))
            .draw()?;
        Ok(())
    }
}

/// A posterior predictive check: data simulated from posterior draws summarised by their
/// pointwise median and central 50 % and 90 % bands, with the observed data as red points.
/// About 90 % of the observations should fall inside the light band; systematic excursions
/// (a trend the bands miss, too many points outside) show what the model cannot reproduce.
pub fn plot_posterior_predictive(path: impl AsRef<Path>, ppc: &PredictiveCheck) -> Result<()> {
    const WHAT: &str = "plot_posterior_predictive";
    let t = ppc.observed.len();
    checks::samples(WHAT, "simulated data", &ppc.simulated, 2)?;
    if ppc.simulated.ncols() != t || t == 0 {
        return Err(input(
            WHAT,
            format!(
                "simulated data have {} points, observed {t}",
                ppc.simulated.ncols()
            ),
        ));
    }
    checks::finite(WHAT, "observed data", ppc.observed.iter())?;
    let x = match ppc.x {
        Some(x) if x.len() == t => x.to_vec(),
        Some(x) => return Err(input(WHAT, format!("{} positions for {t} points", x.len()))),
        None => (0..t).map(|k| k as f64).collect(),
    };
    let quantiles = ppc
        .simulated
        .columns()
        .into_iter()
        .map(|c| {
            let mut s = c.to_vec();
            s.sort_unstable_by(f64::total_cmp);
            [0.05, 0.25, 0.5, 0.75, 0.95].map(|q| quantile_sorted(&s, q))
        })
        .collect();
    save(&PpcFigure { ppc, x, quantiles }, path.as_ref())
}
