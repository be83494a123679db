//! The one look of every plot: the embedded font, colours, sizes.

use plotters::style::{FontStyle, RGBColor, register_font};
use std::sync::OnceLock;

/// DejaVu Sans (Bitstream Vera licence, `assets/DejaVuSans-LICENSE.txt`), embedded so that text
/// renders identically on machines without system fonts.
static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The family name text is drawn with (registered from [`FONT_BYTES`]; SVG viewers see
/// `sans-serif`).
pub(crate) const FONT: &str = "sans-serif";

/// Registers the embedded font once per process.
pub(crate) fn ensure_font() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        for style in [
            FontStyle::Normal,
            FontStyle::Bold,
            FontStyle::Italic,
            FontStyle::Oblique,
        ] {
            register_font(FONT, style, FONT_BYTES)
                .map_err(|_| "the embedded font is not a valid TrueType font".to_string())?;
        }
        Ok(())
    })
    .clone()
}

/// Panel titles.
pub(crate) const TITLE: u32 = 19;
/// Axis descriptions.
pub(crate) const LABEL: u32 = 16;
/// Tick labels and annotations.
pub(crate) const TICK: u32 = 14;

/// Posterior / estimates.
pub(crate) const PRIMARY: RGBColor = RGBColor(31, 73, 145);
/// Truths, observations, references.
pub(crate) const ACCENT: RGBColor = RGBColor(200, 45, 40);
/// A second series (validation loss, prior).
pub(crate) const SECOND: RGBColor = RGBColor(230, 125, 20);
/// Bands and references.
pub(crate) const BAND: RGBColor = RGBColor(120, 120, 120);
/// Grid lines.
pub(crate) const GRID: RGBColor = RGBColor(228, 228, 228);
/// Text and axes.
pub(crate) const INK: RGBColor = RGBColor(40, 40, 40);

/// A sequential colour from white (0) to [`PRIMARY`] (1).
pub(crate) fn sequential(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    RGBColor(mix(255, 16), mix(255, 50), mix(255, 120))
}
