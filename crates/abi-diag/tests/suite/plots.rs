//! Every plot renders to PNG and SVG. Set `ABI_DIAG_PLOT_DIR` to keep the files for viewing.

use crate::common::{Distortion, gaussian_posterior, gaussian_sample, normal};
use abi_diag::plot::{
    Band, LossHistory, PairsOptions, PredictiveCheck, plot_calibration_ecdf, plot_confusion_matrix,
    plot_coverage, plot_latent, plot_loss, plot_mc_calibration, plot_mmd_test, plot_pairs,
    plot_posterior_predictive, plot_rank_histogram, plot_recovery, plot_sensitivity, plot_tarp,
    plot_z_score_contraction,
};
use abi_diag::{
    DiagError, EcdfBandConfig, Kernel, PosteriorSummary, TarpConfig, model_comparison,
    summary_space_test, tarp,
};
use ndarray::{Array2, s};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};

const NAMES: [&str; 4] = ["μ₁", "log σ", "beta", "a long name"];

fn out_dir() -> (Option<tempfile::TempDir>, PathBuf) {
    match std::env::var_os("ABI_DIAG_PLOT_DIR") {
        Some(d) => {
            std::fs::create_dir_all(&d).unwrap();
            (None, PathBuf::from(d))
        }
        None => {
            let t = tempfile::tempdir().unwrap();
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    }
}

fn both(dir: &Path, name: &str, mut f: impl FnMut(&Path) -> abi_diag::Result<()>) {
    for ext in ["png", "svg"] {
        let path = dir.join(format!("{name}.{ext}"));
        f(&path).unwrap_or_else(|e| panic!("{name}.{ext}: {e}"));
        let bytes = std::fs::read(&path).unwrap();
        match ext {
            "png" => assert_eq!(&bytes[1..4], b"PNG", "{name}.png is not a PNG"),
            _ => assert!(
                String::from_utf8_lossy(&bytes).contains("<svg"),
                "{name}.svg is not SVG"
            ),
        }
    }
}

#[test]
fn every_plot_renders_to_png_and_svg() {
    let (_keep, dir) = out_dir();
    let d = Distortion {
        scale: 0.8,
        shift: 0.2,
    };
    let (draws, truths) = gaussian_posterior(300, 400, 4, 3, d, 31);
    let s = PosteriorSummary::new(draws.view(), truths.view()).unwrap();
    both(&dir, "rank_histogram", |p| {
        plot_rank_histogram(p, &s, &NAMES)
    });
    both(&dir, "ecdf", |p| {
        plot_calibration_ecdf(p, &s, &NAMES, false, &EcdfBandConfig::default())
    });
    both(&dir, "ecdf_difference", |p| {
        plot_calibration_ecdf(p, &s, &NAMES, true, &EcdfBandConfig::default())
    });
    both(&dir, "recovery", |p| plot_recovery(p, &s, &NAMES, 0.95));
    both(&dir, "z_score_contraction", |p| {
        plot_z_score_contraction(p, &s, &NAMES)
    });
    both(&dir, "coverage", |p| plot_coverage(p, &s, &NAMES));
    let t = tarp(draws.view(), truths.view(), &TarpConfig::default()).unwrap();
    both(&dir, "tarp", |p| plot_tarp(p, &t));
    // pairs of one data set with its truth and a prior
    let one = draws.slice(s![0, .., ..]).to_owned();
    let truth = truths.row(0).to_vec();
    let prior = gaussian_sample(400, 4, 0.0, 5);
    let opts = PairsOptions {
        truth: Some(&truth),
        prior: Some(prior.view()),
    };
    both(&dir, "pairs", |p| plot_pairs(p, one.view(), &NAMES, &opts));
    // latent codes of a slightly skewed flow
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let z = Array2::from_shape_fn((800, 3), |(_, j)| normal(&mut rng) * (1.0 + 0.1 * j as f64));
    both(&dir, "latent", |p| {
        plot_latent(p, z.view(), &["z₁", "z₂", "z₃"])
    });
    // loss: per-step training, per-epoch validation
    let train: Vec<f64> = (0..500)
        .map(|k| 2.0 * (-(k as f64) / 120.0).exp() + 0.3 * rng.random::<f64>())
        .collect();
    let validation: Vec<f64> = (0..20)
        .map(|e| 2.0 * (-(e as f64 * 25.0) / 120.0).exp() + 0.2)
        .collect();
    let history = LossHistory {
        train,
        validation: Some(validation),
    };
    both(&dir, "loss", |p| plot_loss(p, &history));
    // model comparison: three models, probabilities from a noisy softmax
    let n = 600;
    let truth_models: Vec<usize> = (0..n).map(|i| i % 3).collect();
    let probs = Array2::from_shape_fn(
        (n, 3),
        |(i, k)| if k == truth_models[i] { 1.5 } else { 0.0 } + normal(&mut rng),
    );
    let probs = Array2::from_shape_fn((n, 3), |(i, k)| {
        let e: Vec<f64> = probs.row(i).iter().map(|v| v.exp()).collect();
        e[k] / e.iter().sum::<f64>()
    });
    let mc = model_comparison(&truth_models, probs.view(), 10).unwrap();
    let models = ["linear", "quadratic", "exponential"];
    both(&dir, "mc_calibration", |p| {
        plot_mc_calibration(p, &mc, &models)
    });
    both(&dir, "confusion_matrix", |p| {
        plot_confusion_matrix(p, &mc, &models)
    });
    // summary-space misspecification test
    let reference = gaussian_sample(300, 4, 0.0, 8);
    let observed = gaussian_sample(20, 4, 0.7, 9);
    let test =
        summary_space_test(observed.view(), reference.view(), Kernel::default(), 300, 1).unwrap();
    both(&dir, "mmd_test", |p| plot_mmd_test(p, &test));
    // posterior predictive check of a noisy sine
    let x: Vec<f64> = (0..40).map(|k| k as f64 * 0.25).collect();
    let sim = Array2::from_shape_fn((300, 40), |(_, k)| x[k].sin() + 0.3 * normal(&mut rng));
    let obs: Vec<f64> = x
        .iter()
        .map(|v| v.sin() + 0.3 * normal(&mut rng) + 0.05 * v)
        .collect();
    let ppc = PredictiveCheck {
        simulated: sim.view(),
        observed: &obs,
        x: Some(&x),
        x_label: "time t",
        y_label: "y(t)",
    };
    both(&dir, "ppc", |p| plot_posterior_predictive(p, &ppc));
    // prior sensitivity of a shrinking normal mean, against its analytic posterior
    let grid: Vec<f64> = (1..=12).map(|k| 0.25 * k as f64).collect();
    let band = |name: &str, wobble: f64| {
        let center: Vec<f64> = grid.iter().map(|t| 1.5 * t * t / (t * t + 0.1)).collect();
        let sd: Vec<f64> = grid
            .iter()
            .map(|t| (t * t / (1.0 + 10.0 * t * t)).sqrt())
            .collect();
        Band {
            name: name.into(),
            lower: center
                .iter()
                .zip(&sd)
                .map(|(c, s)| c - 1.645 * s - wobble)
                .collect(),
            upper: center
                .iter()
                .zip(&sd)
                .map(|(c, s)| c + 1.645 * s + wobble)
                .collect(),
            center: center.iter().map(|c| c + wobble).collect(),
        }
    };
    let estimated = [band("mu[0]", 0.02), band("mu[1]", -0.01)];
    let exact = [band("mu[0]", 0.0), band("mu[1]", 0.0)];
    both(&dir, "sensitivity", |p| {
        plot_sensitivity(p, "prior sd tau", &grid, &estimated, Some(&exact), 0.9)
    });
    let short = [Band {
        center: vec![0.0],
        ..band("mu[0]", 0.0)
    }];
    assert!(matches!(
        plot_sensitivity(dir.join("bad.png"), "tau", &grid, &short, None, 0.9),
        Err(DiagError::Input { .. })
    ));
    // a plot into a folder that does not exist yet creates it
    let nested = dir.join("new").join("folder").join("recovery.png");
    plot_recovery(&nested, &s, &NAMES, 0.95).unwrap();
    assert!(nested.exists());
    // names reach the SVG text
    let svg = std::fs::read_to_string(dir.join("recovery.svg")).unwrap();
    assert!(svg.contains("true beta") && svg.contains("estimated a long name"));
}

#[test]
fn plots_refuse_bad_paths_and_names() {
    let (draws, truths) = gaussian_posterior(20, 10, 2, 1, crate::common::EXACT, 1);
    let s = PosteriorSummary::new(draws.view(), truths.view()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = plot_recovery(dir.path().join("r.jpg"), &s, &["a", "b"], 0.95).unwrap_err();
    assert!(matches!(err, DiagError::Plot { .. }), "{err}");
    assert!(matches!(
        plot_recovery(dir.path().join("r.png"), &s, &["a"], 0.95),
        Err(DiagError::Input { .. })
    ));
}
