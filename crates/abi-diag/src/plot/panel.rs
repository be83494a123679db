//! Shared pieces of every panel: a styled Cartesian chart, tick labels, ranges, histograms and
//! kernel density estimates.

use super::canvas::DrawError;
use super::style::{self, FONT, GRID, INK};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::ops::Range;

/// A chart with `f64` axes.
pub(crate) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// What a panel shows on its axes.
pub(crate) struct Axes<'s> {
    pub(crate) title: &'s str,
    pub(crate) x: Range<f64>,
    pub(crate) y: Range<f64>,
    pub(crate) x_desc: &'s str,
    pub(crate) y_desc: &'s str,
}

/// Pixels a chart without a title spends beside its plotting area (margins and the y labels).
pub(crate) const FRAME_WIDTH: u32 = 6 + 18 + 64;
/// Pixels a chart without a title spends above and below its plotting area.
pub(crate) const FRAME_HEIGHT: u32 = 8 + 6 + 50;

/// A chart on `area` with the house style: title on top, both axes described, light grid.
pub(crate) fn chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    ax: &Axes,
) -> Result<Chart<'a, DB>, DrawError> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(8)
        .margin_right(18)
        .margin_left(6)
        .margin_bottom(6)
        .x_label_area_size(50)
        .y_label_area_size(64);
    if !ax.title.is_empty() {
        builder.caption(ax.title, (FONT, style::TITLE).into_font().color(&INK));
    }
    let mut chart = builder.build_cartesian_2d(ax.x.clone(), ax.y.clone())?;
    chart
        .configure_mesh()
        .x_desc(ax.x_desc)
        .y_desc(ax.y_desc)
        .x_labels(5)
        .y_labels(5)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style((FONT, style::TICK).into_font().color(&INK))
        .axis_desc_style((FONT, style::LABEL).into_font().color(&INK))
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(INK.mix(0.8))
        .draw()?;
    Ok(chart)
}

/// A compact tick label: at most three decimals, trailing zeros dropped, scientific notation
/// for very large or small magnitudes.
pub(crate) fn tick(v: &f64) -> String {
    let a = v.abs();
    if a < 1e-12 {
        return "0".into();
    }
    if !(1e-3..1e5).contains(&a) {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// The range of `values` widened by `pad` of its width on each side (never empty).
pub(crate) fn range(values: impl IntoIterator<Item = f64>, pad: f64) -> Range<f64> {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    let w = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    (lo - pad * w)..(hi + pad * w)
}

/// A point at fractions `(fx, fy)` of the chart's ranges (for annotations).
pub(crate) fn at(x: &Range<f64>, y: &Range<f64>, fx: f64, fy: f64) -> (f64, f64) {
    (
        x.start + fx * (x.end - x.start),
        y.start + fy * (y.end - y.start),
    )
}

/// Draws `text` with its top-left corner near the chart's top-left corner.
pub(crate) fn note<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    ax: &Axes,
    text: &str,
) -> Result<(), DrawError> {
    let pos = at(&ax.x, &ax.y, 0.04, 0.95);
    chart.draw_series(std::iter::once(Text::new(
        text.to_string(),
        pos,
        (FONT, style::TICK).into_font().color(&INK),
    )))?;
    Ok(())
}

/// Densities of `values` in `bins` equal bins over `lo..hi` (values outside are dropped).
pub(crate) fn histogram(values: &[f64], lo: f64, hi: f64, bins: usize) -> Vec<f64> {
    let mut h = vec![0.0; bins];
    let w = (hi - lo) / bins as f64;
    let mut n = 0usize;
    for v in values {
        if *v >= lo && *v <= hi {
            h[(((v - lo) / w) as usize).min(bins - 1)] += 1.0;
            n += 1;
        }
    }
    let scale = 1.0 / (values.len().max(n).max(1) as f64 * w);
    h.iter_mut().for_each(|c| *c *= scale);
    h
}

/// A Gaussian kernel density estimate of `values` at `at`, with Scott's bandwidth
/// `1.06 σ n^(−1/5)`.
pub(crate) fn kde(values: &[f64], at: &[f64]) -> Vec<f64> {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0).max(1.0))
        .sqrt()
        .max(1e-12);
    let h = 1.06 * sd * n.powf(-0.2);
    let norm = 1.0 / (n * h * (2.0 * std::f64::consts::PI).sqrt());
    at.iter()
        .map(|x| {
            values
                .iter()
                .map(|v| (-0.5 * ((x - v) / h).powi(2)).exp())
                .sum::<f64>()
                * norm
        })
        .collect()
}

/// `n` evenly spaced points covering `r`.
pub(crate) fn linspace(r: &Range<f64>, n: usize) -> Vec<f64> {
    (0..n)
        .map(|k| r.start + (r.end - r.start) * k as f64 / (n - 1).max(1) as f64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_compact() {
        assert_eq!(tick(&0.5), "0.5");
        assert_eq!(tick(&2.0), "2");
        assert_eq!(tick(&-0.0), "0");
        assert_eq!(tick(&123456.0), "1.2e5");
        assert_eq!(tick(&0.1234), "0.123");
    }

    #[test]
    fn histogram_and_kde_integrate_to_one() {
        let v: Vec<f64> = (0..1000).map(|i| (i as f64 / 1000.0 - 0.5) * 4.0).collect();
        let h = histogram(&v, -2.0, 2.0, 20);
        assert!((h.iter().sum::<f64>() * 0.2 - 1.0).abs() < 1e-9);
        let grid = linspace(&(-5.0..5.0), 501);
        let k = kde(&v, &grid);
        assert!((k.iter().sum::<f64>() * 0.02 - 1.0).abs() < 1e-2);
    }
}
