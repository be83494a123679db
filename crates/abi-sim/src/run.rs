//! Simulating many draws with a progress bar, and the pilot run.

use crate::batch::Batch;
use crate::error::{Result, SimError};
use crate::simulator::Simulator;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::RngCore;
use std::fmt;
use std::io::IsTerminal;

/// A progress bar that draws only on a terminal and only when `show` is set.
pub fn progress_bar(len: u64, message: &str, show: bool) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if show && std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} {bar:40} {pos}/{len} [{elapsed} < {eta}, {per_sec}]",
        ) {
            bar.set_style(style);
        }
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_message(message.to_string());
    bar
}

/// Draws `n` simulations in batches of `batch_size` and concatenates them, with a progress bar
/// when `progress` is set and stderr is a terminal.
///
/// Batches must agree in shape (use fixed context, or train online when a meta function
/// varies shapes).
pub fn simulate(
    sim: &dyn Simulator,
    n: usize,
    batch_size: usize,
    rng: &mut dyn RngCore,
    progress: bool,
) -> Result<Batch> {
    if n == 0 || batch_size == 0 {
        return Err(SimError::invalid(
            "simulate",
            "need n > 0 and batch_size > 0",
        ));
    }
    let bar = progress_bar(n as u64, "simulating", progress);
    let mut done = batch_size.min(n);
    let first = sim.sample(done, rng)?;
    check_total_size(&first, n)?;
    bar.set_position(done as u64);
    let mut parts = Vec::with_capacity(n.div_ceil(batch_size).min(4096));
    parts.push(first);
    while done < n {
        let k = batch_size.min(n - done);
        parts.push(sim.sample(k, rng)?);
        done += k;
        bar.set_position(done as u64);
    }
    bar.finish_and_clear();
    Batch::concat(&parts)
}

/// Checks that `n` draws shaped like those of `first` fit in arrays of at most
/// [`MAX_ARRAY_ELEMENTS`](crate::limits::MAX_ARRAY_ELEMENTS) elements, before they are drawn.
fn check_total_size(first: &Batch, n: usize) -> Result<()> {
    for (name, array) in first.iter() {
        let mut shape = array.shape().to_vec();
        if let Some(rows) = shape.first_mut() {
            *rows = n;
        }
        if crate::limits::array_elements(&shape).is_none() {
            return Err(SimError::invalid(
                "simulate",
                format!(
                    "{n} draws of `{name}` would make an array of shape {shape:?}, over the cap \
                     of {} elements; simulate in shards (`abi simulate --shard`) and train from \
                     disk",
                    crate::limits::MAX_ARRAY_ELEMENTS
                ),
            ));
        }
    }
    Ok(())
}

/// What a pilot run saw: names, element types and shapes of two small batches.
#[derive(Debug, Clone)]
pub struct PilotReport {
    /// The two pilot batches (sizes 2 and 3).
    pub batches: Vec<Batch>,
}

impl fmt::Display for PilotReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.batches.iter().enumerate() {
            writeln!(
                f,
                "pilot batch {} ({} draws):",
                i + 1,
                b.batch_size().unwrap_or(0)
            )?;
            for (name, a) in b.iter() {
                writeln!(f, "  {name:<24} {:<4} {:?}", a.dtype(), a.shape())?;
            }
        }
        Ok(())
    }
}

/// Runs the simulator on two tiny batches and checks that they produce the same names and
/// element types (shapes may differ between batches only beyond the batch axis, through a
/// meta function). Shape errors within a batch surface as the simulator's own errors.
pub fn pilot_run(sim: &dyn Simulator, rng: &mut dyn RngCore) -> Result<PilotReport> {
    let a = sim.sample(2, rng)?;
    let b = sim.sample(3, rng)?;
    for (name, x) in a.iter() {
        let y = b.get(name)?;
        if x.dtype() != y.dtype() || x.shape().len() != y.shape().len() {
            return Err(SimError::Shape {
                name: name.to_string(),
                expected: x.shape().to_vec(),
                got: y.shape().to_vec(),
                context: format!("pilot batches disagree ({} vs {})", x.dtype(), y.dtype()),
            });
        }
    }
    if a.len() != b.len() {
        return Err(SimError::invalid(
            "pilot run",
            "batches hold different entries",
        ));
    }
    for (batch, want) in [(&a, 2), (&b, 3)] {
        if batch.batch_size() != Some(want) {
            return Err(SimError::invalid(
                "pilot run",
                format!("asked for {want} draws, got {:?}", batch.batch_size()),
            ));
        }
    }
    Ok(PilotReport {
        batches: vec![a, b],
    })
}
