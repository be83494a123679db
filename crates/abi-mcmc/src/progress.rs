//! The samplers' progress bar.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A bar over `len` steps that draws only when `show` is set and stderr is a terminal.
pub(crate) fn progress_bar(len: u64, message: &str, show: bool) -> ProgressBar {
    if !(show && std::io::stderr().is_terminal()) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} sweeps [{elapsed} < {eta}]")
    {
        bar.set_style(style);
    }
    bar.set_message(message.to_string());
    bar
}
