//! Rendering a figure to PNG or SVG by the file's extension.

use super::style;
use crate::error::{DiagError, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// A drawing failure, carried as text so that it is independent of the backend.
#[derive(Debug)]
pub(crate) struct DrawError(pub(crate) String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        DrawError(e.to_string())
    }
}

/// The result of drawing.
pub(crate) type Drawn = std::result::Result<(), DrawError>;

/// A figure that can draw itself on any plotters backend.
pub(crate) trait Figure {
    /// The plot's name in errors.
    const NAME: &'static str;
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws onto `root` (already filled white).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn;
}

/// Writes `fig` to `path` (creating its folder): PNG for `.png`, SVG for `.svg`.
pub(crate) fn save<F: Figure>(fig: &F, path: &Path) -> Result<()> {
    let fail = |reason: String| DiagError::Plot {
        plot: F::NAME,
        path: path.to_path_buf(),
        reason,
    };
    style::ensure_font().map_err(fail)?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    // a plot into a folder that does not exist yet creates it
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create its folder: {e}")))?;
    }
    let size = fig.size();
    let drawn = match ext.as_deref() {
        Some("png") => {
            let root = BitMapBackend::new(path, size).into_drawing_area();
            render(fig, &root)
        }
        Some("svg") => {
            let root = SVGBackend::new(path, size).into_drawing_area();
            render(fig, &root)
        }
        _ => {
            return Err(fail("the file name must end in .png or .svg".to_string()));
        }
    };
    drawn.map_err(|e| fail(e.0))
}

fn render<F: Figure, DB: DrawingBackend>(fig: &F, root: &DrawingArea<DB, Shift>) -> Drawn {
    root.fill(&WHITE)?;
    fig.draw(root)?;
    root.present()?;
    Ok(())
}

/// Rows and columns for `panels` panels: at most `max_cols` per row.
pub(crate) fn grid(panels: usize, max_cols: usize) -> (usize, usize) {
    let cols = panels.clamp(1, max_cols.max(1));
    (panels.div_ceil(cols).max(1), cols)
}
