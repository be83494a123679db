//! Model-comparison plots: reliability curves per model and the confusion matrix.

use super::calibration::{COLS, grid_size};
use super::canvas::{Drawn, Figure, grid, save};
use super::panel::{Axes, chart, note};
use super::style::{self, FONT, INK, PRIMARY, sequential};
use crate::checks;
use crate::error::Result;
use crate::metrics::model_comparison::ModelComparison;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

struct McCalibrationFigure<'a> {
    mc: &'a ModelComparison,
    names: &'a [String],
}

impl Figure for McCalibrationFigure<'_> {
    const NAME: &'static str = "model-comparison calibration";
    fn size(&self) -> (u32, u32) {
        grid_size(self.names.len())
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let areas = root.split_evenly(grid(self.names.len(), COLS));
        for (k, (name, area)) in self.names.iter().zip(&areas).enumerate() {
            let curve = &self.mc.curves[k];
            let x_desc = format!("predicted P({name})");
            let ax = Axes {
                title: name,
                x: 0.0..1.0,
                y: 0.0..1.0,
                x_desc: &x_desc,
                y_desc: "observed frequency",
            };
            let mut c = chart(area, &ax)?;
            c.draw_series(LineSeries::new(
                [(0.0, 0.0), (1.0, 1.0)],
                style::BAND.stroke_width(1),
            ))?;
            c.draw_series(LineSeries::new(
                curve
                    .predicted
                    .iter()
                    .zip(&curve.observed)
                    .map(|(a, o)| (*a, *o)),
                PRIMARY.stroke_width(2),
            ))?;
            c.draw_series(
                curve
                    .predicted
                    .iter()
                    .zip(&curve.observed)
                    .map(|(a, o)| Circle::new((*a, *o), 4, PRIMARY.filled())),
            )?;
            note(&mut c, &ax, &format!("ECE = {:.3}", self.mc.ece[k]))?;
        }
        Ok(())
    }
}

/// Reliability curves of predicted model probabilities, one panel per model: per probability
/// bin, the observed frequency of the model against the mean predicted probability, with the
/// expected calibration error. On the diagonal: calibrated; below: over-confident in the
/// model; above: under-confident.
pub fn plot_mc_calibration<S: AsRef<str>>(
    path: impl AsRef<Path>,
    mc: &ModelComparison,
    model_names: &[S],
) -> Result<()> {
    let names = checks::names("plot_mc_calibration", model_names, mc.ece.len())?;
    save(&McCalibrationFigure { mc, names: &names }, path.as_ref())
}

struct ConfusionFigure<'a> {
    mc: &'a ModelComparison,
    names: &'a [String],
}

impl Figure for ConfusionFigure<'_> {
    const NAME: &'static str = "confusion matrix";
    fn size(&self) -> (u32, u32) {
        let k = self.names.len() as u32;
        let side = (120 + 90 * k).max(420);
        (side + 40, side)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn {
        let k = self.names.len();
        let m = &self.mc.confusion;
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_right(24)
            .caption(
                format!("Confusion matrix (accuracy {:.3})", self.mc.accuracy),
                (FONT, style::TITLE).into_font().color(&INK),
            )
            .x_label_area_size(56)
            .y_label_area_size(96)
            // a usize range is inclusive of its end as a discrete axis: k segments are 0..k − 1
            .build_cartesian_2d((0..k - 1).into_segmented(), (0..k - 1).into_segmented())?;
        let names = self.names;
        let label = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) if *i < names.len() => names[*i].clone(),
            _ => String::new(),
        };
        // the first true model on top
        let y_label = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) if *i < names.len() => names[names.len() - 1 - *i].clone(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("predicted model")
            .y_desc("true model")
            .x_labels(k)
            .y_labels(k)
            .x_label_formatter(&label)
            .y_label_formatter(&y_label)
            .label_style((FONT, style::TICK).into_font().color(&INK))
            .axis_desc_style((FONT, style::LABEL).into_font().color(&INK))
            .draw()?;
        for t in 0..k {
            let total = m.row(t).sum().max(1) as f64;
            for p in 0..k {
                let frac = m[[t, p]] as f64 / total;
                let row = k - 1 - t;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [
                        (SegmentValue::Exact(p), SegmentValue::Exact(row)),
                        (SegmentValue::Exact(p + 1), SegmentValue::Exact(row + 1)),
                    ],
                    sequential(frac).filled(),
                )))?;
                let color = if frac > 0.55 { WHITE } else { INK };
                let text = format!("{:.2}", frac);
                let font = (FONT, style::LABEL)
                    .into_font()
                    .color(&color)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                chart.draw_series(std::iter::once(Text::new(
                    text,
                    (SegmentValue::CenterOf(p), SegmentValue::CenterOf(row)),
                    font,
                )))?;
            }
        }
        Ok(())
    }
}

/// The confusion matrix of the most probable model against the true one, each row
/// normalised to the fraction of that true model's data sets (counts are in
/// [`ModelComparison::confusion`]). A strong diagonal means the models are told apart;
/// off-diagonal mass shows which models are confused with which.
pub fn plot_confusion_matrix<S: AsRef<str>>(
    path: impl AsRef<Path>,
    mc: &ModelComparison,
    model_names: &[S],
) -> Result<()> {
    let names = checks::names("plot_confusion_matrix", model_names, mc.ece.len())?;
    save(&ConfusionFigure { mc, names: &names }, path.as_ref())
}
