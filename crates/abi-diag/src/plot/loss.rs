//! Loss curves: training and validation, raw and smoothed.

use super::canvas::{Drawn, Figure, save};
use super::panel::{Axes, chart, range};
use super::style::{FONT, INK, PRIMARY, SECOND, TICK};
use crate::checks;
use crate::error::{Result, input};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// A loss history as plain vectors (the workflow passes the approximator's history here).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LossHistory {
    /// Training loss per step or epoch.
    pub train: Vec<f64>,
    /// Validation loss per epoch, if any; stretched over the training axis when it is
    /// shorter (one value per epoch against one per step).
    pub validation: Option<Vec<f64>>,
}

/// A trailing moving average over `window` values (the first values average what exists).
pub fn moving_average(x: &[f64], window: usize) -> Vec<f64> {
    let w = window.max(1);
    let mut out = Vec::with_capacity(x.len());
    let mut acc = 0.0;
    for (i, v) in x.iter().enumerate() {
        acc += v;
        if i >= w {
            acc -= x[i - w];
        }
        out.push(acc / (i + 1).min(w) as f64);
    }
    out
}

/// `(label, colour, raw points, smoothed points)` of one curve.
type Series = (&'static str, RGBColor, Vec<(f64, f64)>, Vec<(f64, f64)>);

struct LossFigure<'a>(&'a LossHistory);

impl Figure for LossFigure<'_> {
    const NAME: &'static str = "loss";
    fn size(&self) -> (u32, u32) {
        (760, 400)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let h = self.0;
        let n = h.train.len();
        let window = (n / 25).max(1);
        let x_of = |len: usize, k: usize| (k + 1) as f64 * n as f64 / len as f64;
        let series: Vec<Series> = std::iter::once(("training", PRIMARY, &h.train))
            .chain(h.validation.iter().map(|v| ("validation", SECOND, v)))
            .map(|(label, color, v)| {
                let raw: Vec<(f64, f64)> = v
                    .iter()
                    .enumerate()
                    .map(|(k, y)| (x_of(v.len(), k), *y))
                    .collect();
                let w = if v.len() == n {
                    window
                } else {
                    (v.len() / 25).max(1)
                };
                let smooth = moving_average(v, w)
                    .into_iter()
                    .enumerate()
                    .map(|(k, y)| (x_of(v.len(), k), y))
                    .collect();
                (label, color, raw, smooth)
            })
            .collect();
        let ax = Axes {
            title: "Loss",
            x: 0.0..(n as f64 + 1.0),
            y: {
                // headroom for the legend above the curves
                let r = range(series.iter().flat_map(|s| s.2.iter().map(|p| p.1)), 0.05);
                r.start..(r.end + 0.25 * (r.end - r.start))
            },
            // a validation loss of the same length means both are per epoch
            x_desc: if h.validation.as_ref().is_some_and(|v| v.len() == n) {
                "epoch"
            } else {
                "training step"
            },
            y_desc: "loss",
        };
        let mut c = chart(root, &ax)?;
        for (label, color, raw, smooth) in series {
            c.draw_series(LineSeries::new(raw, color.mix(0.3).stroke_width(1)))?;
            c.draw_series(LineSeries::new(smooth, color.stroke_width(3)))?
                .label(format!("{label} (moving average)"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
                });
        }
        c.configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((FONT, TICK).into_font().color(&INK))
            .background_style(WHITE.mix(0.85))
            .border_style(INK.mix(0.4))
            .draw()?;
        Ok(())
    }
}

/// The loss history: raw values faint, a moving average (window 1/25 of the run) solid,
/// training in blue and validation in orange. Healthy: both fall and level off together. A
/// validation curve that turns upward while training keeps falling is over-fitting (more
/// simulations or a smaller network help); a curve still falling at the end wants more
/// training.
pub fn plot_loss(path: impl AsRef<Path>, history: &LossHistory) -> Result<()> {
    if history.train.len() < 2 {
        return Err(input(
            "plot_loss",
            format!(
                "need at least 2 training losses, got {}",
                history.train.len()
            ),
        ));
    }
    checks::finite("plot_loss", "training losses", history.train.iter())?;
    if let Some(v) = &history.validation {
        if v.is_empty() {
            return Err(input("plot_loss", "the validation history is empty"));
        }
        checks::finite("plot_loss", "validation losses", v.iter())?;
    }
    save(&LossFigure(history), path.as_ref())
}
