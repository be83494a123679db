//! The report: every plot (PNG and SVG), the metric table and short reading guides in one
//! offline `index.html`.

mod html;
mod inputs;
mod table;

pub use inputs::{ModelComparisonInput, PredictiveInput, ReportInputs};
pub use table::{DiagnosticsTable, ParameterDiagnostics, default_diagnostics, diagnostics_of};

use crate::error::{DiagError, Result, input};
use crate::metrics::ecdf::EcdfBandConfig;
use crate::metrics::mmd::{Kernel, MmdTest, summary_space_test};
use crate::metrics::model_comparison::{ModelComparison, model_comparison};
use crate::metrics::summary::PosteriorSummary;
use crate::metrics::tarp::{Tarp, TarpConfig, tarp};
use crate::plot::{self, PairsOptions, PredictiveCheck};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// What [`report`] wrote and computed.
#[derive(Debug, Clone)]
pub struct Report {
    /// The metric table ([`default_diagnostics`]).
    pub table: DiagnosticsTable,
    /// Further metrics shown on the page, as `(name, value)`.
    pub extras: Vec<(String, String)>,
    /// The page.
    pub index: PathBuf,
    /// Every file written, the page included.
    pub files: Vec<PathBuf>,
}

type Job<'a> = (
    &'static str,
    Box<dyn Fn(&Path) -> Result<()> + Sync + Send + 'a>,
);

fn progress(steps: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(steps as u64);
    if let Ok(style) = ProgressStyle::with_template("diagnostics {bar:30} {pos}/{len} {msg}") {
        bar.set_style(style);
    }
    bar
}

/// Writes the diagnostics report into `dir` (created if missing): every applicable plot as
/// PNG and SVG and an `index.html` that shows them with the metric table and a guide to each
/// plot. The page needs nothing but the files next to it. Plots render in parallel; a
/// progress bar shows on a terminal and stays quiet otherwise.
///
/// Always: rank histograms, rank ECDF and ECDF difference with simultaneous bands, recovery,
/// z-score vs contraction, coverage, TARP and a pairs plot of one data set. With the matching
/// [`ReportInputs`]: loss, latent space (with a fast C2ST against `N(0, I)`, feature `cpu`),
/// model-comparison calibration and confusion matrix, the summary-space MMD test, a posterior
/// predictive check and a fast C2ST against reference posterior draws.
pub fn report(dir: impl AsRef<Path>, inputs: &ReportInputs) -> Result<Report> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir).map_err(|source| DiagError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let bar = progress(GUIDE_COUNT + 1);
    bar.set_message("metrics");
    let summary = PosteriorSummary::new(inputs.draws, inputs.truths)?;
    let names = &inputs.names;
    let band = EcdfBandConfig {
        seed: inputs.seed,
        ..EcdfBandConfig::default()
    };
    let table = diagnostics_of(&summary, names, &band)?;
    let tarp_curve: Tarp = tarp(
        inputs.draws,
        inputs.truths,
        &TarpConfig {
            seed: inputs.seed,
            ..TarpConfig::default()
        },
    )?;
    let mut extras = vec![(
        "TARP".to_string(),
        format!(
            "largest |expected coverage − credibility| = {:.3} (0 ideal)",
            tarp_curve.max_error
        ),
    )];
    let mc: Option<ModelComparison> = match &inputs.model_comparison {
        Some(m) => Some(model_comparison(&m.true_models, m.probs, 10)?),
        None => None,
    };
    if let Some(mc) = &mc {
        extras.push((
            "model comparison".into(),
            format!(
                "accuracy {:.3}, Brier score {:.3}, ECE per model [{}]",
                mc.accuracy,
                mc.brier,
                mc.ece
                    .iter()
                    .map(|e| format!("{e:.3}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let mmd: Option<MmdTest> = match inputs.summaries {
        Some((obs, sim)) => Some(summary_space_test(
            obs,
            sim,
            Kernel::default(),
            500,
            inputs.seed,
        )?),
        None => None,
    };
    if let Some(t) = &mmd {
        extras.push((
            "summary-space misspecification test".into(),
            format!(
                "MMD² = {:.4}, p = {:.3} (small p: observed data unlike the simulations)",
                t.statistic, t.p_value
            ),
        ));
    }
    extras.extend(c2st_extras(inputs)?);
    bar.inc(1);

    let pairs_draws = if inputs.pairs_dataset < summary.num_datasets() {
        inputs
            .draws
            .index_axis(ndarray::Axis(0), inputs.pairs_dataset)
    } else {
        return Err(input(
            "report",
            format!(
                "pairs data set {} of {}",
                inputs.pairs_dataset,
                summary.num_datasets()
            ),
        ));
    };
    let pairs_truth = inputs.truths.row(inputs.pairs_dataset).to_vec();
    let s = &summary;
    let mut jobs: Vec<Job> = vec![
        (
            "rank_histogram",
            Box::new(move |p: &Path| plot::plot_rank_histogram(p, s, names)),
        ),
        (
            "ecdf",
            Box::new(|p: &Path| plot::plot_calibration_ecdf(p, s, names, false, &band)),
        ),
        (
            "ecdf_difference",
            Box::new(|p: &Path| plot::plot_calibration_ecdf(p, s, names, true, &band)),
        ),
        (
            "recovery",
            Box::new(move |p: &Path| plot::plot_recovery(p, s, names, 0.95)),
        ),
        (
            "z_score_contraction",
            Box::new(move |p: &Path| plot::plot_z_score_contraction(p, s, names)),
        ),
        (
            "coverage",
            Box::new(move |p: &Path| plot::plot_coverage(p, s, names)),
        ),
        ("tarp", Box::new(|p: &Path| plot::plot_tarp(p, &tarp_curve))),
        (
            "pairs",
            Box::new(|p: &Path| {
                let opts = PairsOptions {
                    truth: Some(&pairs_truth),
                    prior: inputs.prior,
                };
                plot::plot_pairs(p, pairs_draws, names, &opts)
            }),
        ),
    ];
    if let Some(loss) = &inputs.loss {
        jobs.push(("loss", Box::new(move |p: &Path| plot::plot_loss(p, loss))));
    }
    if let Some(z) = inputs.latent {
        let latent_names: Vec<String> = (1..=z.ncols()).map(|k| format!("z{k}")).collect();
        jobs.push((
            "latent",
            Box::new(move |p: &Path| plot::plot_latent(p, z, &latent_names)),
        ));
    }
    if let (Some(mc), Some(m)) = (&mc, &inputs.model_comparison) {
        jobs.push((
            "mc_calibration",
            Box::new(move |p: &Path| plot::plot_mc_calibration(p, mc, &m.names)),
        ));
        jobs.push((
            "confusion_matrix",
            Box::new(move |p: &Path| plot::plot_confusion_matrix(p, mc, &m.names)),
        ));
    }
    if let Some(t) = &mmd {
        jobs.push((
            "mmd_test",
            Box::new(move |p: &Path| plot::plot_mmd_test(p, t)),
        ));
    }
    if let Some(pp) = &inputs.predictive {
        jobs.push((
            "ppc",
            Box::new(move |p: &Path| {
                let check = PredictiveCheck {
                    simulated: pp.simulated,
                    observed: &pp.observed,
                    x: pp.x.as_deref(),
                    x_label: &pp.x_label,
                    y_label: &pp.y_label,
                };
                plot::plot_posterior_predictive(p, &check)
            }),
        ));
    }
    bar.set_length(jobs.len() as u64 + 1);
    bar.set_message("plots");
    let written: Vec<Vec<PathBuf>> = jobs
        .par_iter()
        .map(|(stem, job)| {
            let files = ["png", "svg"]
                .iter()
                .map(|ext| {
                    let path = dir.join(format!("{stem}.{ext}"));
                    job(&path).map(|()| path)
                })
                .collect::<Result<Vec<_>>>();
            bar.inc(1);
            files
        })
        .collect::<Result<Vec<_>>>()?;
    let stems: Vec<&str> = jobs.iter().map(|j| j.0).collect();
    let index = dir.join("index.html");
    std::fs::write(&index, html::page(&table, &extras, &stems)).map_err(|source| {
        DiagError::Io {
            path: index.clone(),
            source,
        }
    })?;
    bar.finish_and_clear();
    let mut files: Vec<PathBuf> = written.into_iter().flatten().collect();
    files.push(index.clone());
    Ok(Report {
        table,
        extras,
        index,
        files,
    })
}

const GUIDE_COUNT: usize = html::GUIDES.len();

#[cfg(feature = "cpu")]
fn c2st_extras(inputs: &ReportInputs) -> Result<Vec<(String, String)>> {
    use crate::c2st::{C2stConfig, c2st_with};
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    let cfg = C2stConfig {
        seed: inputs.seed,
        ..C2stConfig::fast()
    };
    let mut out = Vec::new();
    if let Some(z) = inputs.latent {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(inputs.seed);
        let rows = z.nrows().min(1000);
        let normal =
            ndarray::Array2::from_shape_fn((rows, z.ncols()), |_| StandardNormal.sample(&mut rng));
        let acc = c2st_with(z, normal.view(), &cfg)?;
        out.push((
            "latent C2ST against N(0, I)".into(),
            format!("{acc:.3} (fast variant; 0.5 ideal, above about 0.55 the latent codes are visibly non-normal)"),
        ));
    }
    if let Some((approx, reference)) = inputs.reference_posterior {
        let acc = c2st_with(approx, reference, &cfg)?;
        out.push((
            "C2ST against the reference posterior".into(),
            format!("{acc:.3} (fast variant; 0.5 ideal, 1.0 fully separable)"),
        ));
    }
    Ok(out)
}

#[cfg(not(feature = "cpu"))]
fn c2st_extras(_inputs: &ReportInputs) -> Result<Vec<(String, String)>> {
    Ok(Vec::new())
}
