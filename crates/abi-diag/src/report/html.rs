//! The self-contained `index.html`: inline CSS, relative links to the plots, no external
//! assets.

use super::table::{DiagnosticsTable, HEADERS};

/// How to read one plot and what a bad one looks like.
pub(crate) struct Guide {
    pub(crate) stem: &'static str,
    pub(crate) title: &'static str,
    pub(crate) read: &'static str,
    pub(crate) bad: &'static str,
}

/// Every plot the report can hold, in page order.
pub(crate) const GUIDES: &[Guide] = &[
    Guide {
        stem: "loss",
        title: "Training loss",
        read: "Loss per training step (faint) and its moving average (solid); validation in orange.",
        bad: "A validation curve that rises while training keeps falling is over-fitting; a curve still falling at the end needs more training; spikes or a flat line mean the optimiser is unstable or stuck.",
    },
    Guide {
        stem: "rank_histogram",
        title: "SBC rank histograms",
        read: "Ranks of each truth among its posterior draws (Talts et al. 2018). Calibrated posteriors give flat histograms inside the grey 99 % per-bin band.",
        bad: "∪-shaped: over-confident (too narrow). ∩-shaped: under-confident (too wide). A slope: biased (a left-heavy histogram means the posterior sits above the truth).",
    },
    Guide {
        stem: "ecdf",
        title: "Rank ECDF with simultaneous band",
        read: "The empirical CDF of the fractional ranks with the simultaneous band of Säilynoja et al. (2022): a calibrated posterior stays inside the band everywhere with the stated probability.",
        bad: "A curve leaving the band anywhere fails the test (red curve); below the diagonal early and above late is an S-shape: over-dispersed; the mirror image: over-confident.",
    },
    Guide {
        stem: "ecdf_difference",
        title: "Rank ECDF difference",
        read: "The same ECDF with the uniform CDF subtracted, which makes small departures visible.",
        bad: "A hump above 0: the posterior tends to lie above the truth (bias); a dip below: below it. An S-shape (up, then down): over-confident; the reverse: under-confident.",
    },
    Guide {
        stem: "recovery",
        title: "Parameter recovery",
        read: "Posterior median against truth per data set, with 95 % credible intervals and Pearson's r.",
        bad: "Points off the diagonal are biased estimates; a horizontal cloud means the parameter is not identified by the data; very short bars that miss the diagonal are over-confident.",
    },
    Guide {
        stem: "z_score_contraction",
        title: "Posterior z-score vs contraction",
        read: "Each point is a data set: contraction 1 − posterior var / prior var (x) against z-score (posterior mean − truth) / posterior sd (y). Ideal: far right, within the dashed ±2 lines.",
        bad: "Many points beyond ±2: over-confident or biased. Points on the left: the posterior learned little beyond the prior.",
    },
    Guide {
        stem: "coverage",
        title: "Coverage of central intervals",
        read: "The fraction of truths inside each central credible interval against its level, with a 95 % binomial band.",
        bad: "Below the diagonal: intervals too narrow (over-confident); above: too wide.",
    },
    Guide {
        stem: "tarp",
        title: "TARP (joint calibration)",
        read: "Expected coverage of random-reference balls (Lemos et al. 2023): checks the joint posterior, including dependence between parameters.",
        bad: "Below the diagonal: over-confident or biased jointly; above: under-confident.",
    },
    Guide {
        stem: "pairs",
        title: "Posterior of one data set",
        read: "Marginals on the diagonal, 2-D histograms below and draws above; truth in red, prior in grey.",
        bad: "A truth outside the bulk of the draws (for most data sets, not just this one) signals a problem; ridges show parameters that trade off against each other.",
    },
    Guide {
        stem: "latent",
        title: "Latent space",
        read: "Latent codes of the inference network against N(0, I): dashed standard-normal density on the diagonal, circles of radius 1, 2, 3 off it (about 39 %, 86 %, 99 % of the mass).",
        bad: "Skewed, shifted, clustered or too wide clouds: the flow has not learned the target, so its draws and densities are off.",
    },
    Guide {
        stem: "mc_calibration",
        title: "Model-comparison calibration",
        read: "Observed frequency of each model against its predicted probability, per probability bin, with the expected calibration error.",
        bad: "Below the diagonal: the approximator is over-confident in that model; above: under-confident.",
    },
    Guide {
        stem: "confusion_matrix",
        title: "Confusion matrix",
        read: "Rows: the true model; columns: the most probable model; each row sums to 1.",
        bad: "Off-diagonal mass shows which models the data cannot tell apart.",
    },
    Guide {
        stem: "mmd_test",
        title: "Misspecification test in summary space",
        read: "MMD between observed and simulated summary statistics (red) against its null distribution from subsets of simulations (grey), Schmitt et al. (2023).",
        bad: "A red line far right of the histogram (small p): the observed data are unlike the simulations; posteriors for them are extrapolations.",
    },
    Guide {
        stem: "ppc",
        title: "Posterior predictive check",
        read: "Data simulated from posterior draws: median and central 50 % / 90 % bands; the observed data in red.",
        bad: "Observations systematically outside the bands or a trend the bands miss: the model cannot reproduce the data.",
    },
];

/// Escapes text for HTML.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const CSS: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;max-width:1560px;margin:2em auto;padding:0 1.5em;color:#282828;line-height:1.45}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}\
table{border-collapse:collapse;margin:1em 0}th,td{padding:.35em .8em;border-bottom:1px solid #e3e3e3;text-align:right}\
th:first-child,td:first-child{text-align:left}th{background:#f3f5f9}\
td.fail{color:#c82d28;font-weight:bold}td.pass{color:#2a7a2a}\
img{max-width:100%;height:auto;border:1px solid #eee}.read{margin:.4em 0}.bad{margin:.4em 0;color:#7a3b00}\
.metrics li{margin:.2em 0}small{color:#666}";

/// The page: title, the metric table, extra metrics, then one section per plot present.
pub(crate) fn page(
    table: &DiagnosticsTable,
    extras: &[(String, String)],
    stems: &[&str],
) -> String {
    let mut h = String::with_capacity(16_000);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str("<title>abi diagnostics</title><style>");
    h.push_str(CSS);
    h.push_str("</style></head><body>\n<h1>Posterior diagnostics</h1>\n");
    h.push_str(&format!(
        "<p>{} data sets, {} posterior draws each, {} parameters.</p>\n",
        table.data_sets,
        table.draws,
        table.rows.len()
    ));
    h.push_str("<h2 id=\"metrics\">Metrics</h2>\n<table><tr>");
    for head in HEADERS {
        h.push_str(&format!("<th>{}</th>", escape(head)));
    }
    h.push_str("</tr>\n");
    for row in &table.rows {
        h.push_str("<tr>");
        for (c, cell) in row.cells().iter().enumerate() {
            let class = match (c, row.ecdf_pass) {
                (7, true) => " class=\"pass\"",
                (7, false) => " class=\"fail\"",
                _ => "",
            };
            h.push_str(&format!("<td{class}>{}</td>", escape(cell)));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
    h.push_str(&format!(
        "<p class=\"read\"><b>Reading the table.</b> Calibration error: median |coverage − level| over central intervals, 0 ideal, above about 0.05 worth a look. \
Contraction: median of 1 − posterior var / prior var, near 1 when the data are informative. z mean / z sd: about 0 and 1 for a calibrated posterior \
(|mean| large: bias; sd above 1: over-confident; below 1: under-confident). NRMSE: RMSE of the draws normalised by the range of the truths. \
Correlation: of posterior medians with truths. ECDF band: the {:.0} % simultaneous band test of the SBC ranks; log γ below 0 means it failed.</p>\n",
        100.0 * table.band_level
    ));
    if !extras.is_empty() {
        h.push_str("<ul class=\"metrics\">\n");
        for (k, v) in extras {
            h.push_str(&format!("<li><b>{}</b>: {}</li>\n", escape(k), escape(v)));
        }
        h.push_str("</ul>\n");
    }
    for g in GUIDES.iter().filter(|g| stems.contains(&g.stem)) {
        h.push_str(&format!(
            "<h2 id=\"{s}\">{t}</h2>\n<p><img src=\"{s}.png\" alt=\"{t}\"></p>\n<p><small><a href=\"{s}.svg\">SVG</a></small></p>\n<p class=\"read\"><b>How to read.</b> {r}</p>\n<p class=\"bad\"><b>What a bad plot looks like.</b> {b}</p>\n",
            s = g.stem,
            t = escape(g.title),
            r = escape(g.read),
            b = escape(g.bad)
        ));
    }
    h.push_str("</body></html>\n");
    h
}
