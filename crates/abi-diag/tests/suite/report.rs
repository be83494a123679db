//! The report: every section present writes its PNG and SVG and appears on the page, with the
//! metric table; the table matches the metrics.

use crate::common::{EXACT, gaussian_posterior, gaussian_sample, normal};
use abi_diag::{ModelComparisonInput, PredictiveInput, ReportInputs, default_diagnostics, report};
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[test]
fn report_writes_every_plot_and_an_offline_page() {
    let (draws, truths) = gaussian_posterior(120, 200, 3, 2, EXACT, 41);
    let names = ["alpha", "beta <b>", "gamma"];
    let prior = gaussian_sample(300, 3, 0.0, 1);
    let latent = gaussian_sample(300, 3, 0.0, 2);
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let truth_models: Vec<usize> = (0..200).map(|i| i % 2).collect();
    let probs = Array2::from_shape_fn((200, 2), |(i, k)| {
        let p = if truth_models[i] == 0 { 0.7 } else { 0.3 };
        if k == 0 { p } else { 1.0 - p }
    });
    let observed = gaussian_sample(10, 2, 0.0, 5);
    let simulated = gaussian_sample(200, 2, 0.0, 6);
    let ppc_sim = Array2::from_shape_fn((100, 12), |_| normal(&mut rng));
    let inputs = ReportInputs::new(draws.view(), truths.view(), &names)
        .with_prior(prior.view())
        .with_latent(latent.view())
        .with_loss(
            (0..50).map(|k| 1.0 / (k + 1) as f64).collect(),
            Some(vec![1.0, 0.5, 0.4]),
        )
        .with_model_comparison(ModelComparisonInput {
            true_models: truth_models,
            probs: probs.view(),
            names: vec!["M1".into(), "M2".into()],
        })
        .with_summaries(observed.view(), simulated.view())
        .with_predictive(PredictiveInput {
            simulated: ppc_sim.view(),
            observed: (0..12).map(|k| (k as f64 * 0.3).sin()).collect(),
            x: None,
            x_label: "index".into(),
            y_label: "y".into(),
        })
        .with_reference_posterior(prior.view(), latent.view());
    let dir = tempfile::tempdir().unwrap();
    let out = report(dir.path().join("diag"), &inputs).unwrap();
    let stems = [
        "loss",
        "rank_histogram",
        "ecdf",
        "ecdf_difference",
        "recovery",
        "z_score_contraction",
        "coverage",
        "tarp",
        "pairs",
        "latent",
        "mc_calibration",
        "confusion_matrix",
        "mmd_test",
        "ppc",
    ];
    let html = std::fs::read_to_string(&out.index).unwrap();
    for stem in stems {
        for ext in ["png", "svg"] {
            let path = dir.path().join("diag").join(format!("{stem}.{ext}"));
            assert!(path.is_file(), "{} missing", path.display());
            assert!(
                html.contains(&format!("src=\"{stem}.png\"")) || ext == "svg",
                "{stem} not on the page"
            );
        }
    }
    assert_eq!(out.files.len(), 2 * stems.len() + 1);
    // offline: no external references; names escaped
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(html.contains("beta &lt;b&gt;") && !html.contains("beta <b>"));
    assert!(html.contains("What a bad plot looks like"));
    assert!(out.extras.iter().any(|(k, _)| k.contains("latent C2ST")));
    assert!(
        out.extras
            .iter()
            .any(|(k, _)| k.contains("reference posterior"))
    );
    // the table equals default_diagnostics
    let table = default_diagnostics(draws.view(), truths.view(), &names).unwrap();
    assert_eq!(table.rows.len(), 3);
    for (a, b) in table.rows.iter().zip(&out.table.rows) {
        assert_eq!(a.calibration_error, b.calibration_error);
        assert_eq!(a.z_sd, b.z_sd);
    }
    assert!(
        table
            .rows
            .iter()
            .all(|r| r.ecdf_pass && r.calibration_error < 0.06),
        "{table}"
    );
    assert!(table.to_string().contains("calibration error"));
}

#[test]
fn report_refuses_a_missing_pairs_dataset() {
    let (draws, truths) = gaussian_posterior(10, 20, 1, 1, EXACT, 1);
    let inputs = ReportInputs::new(draws.view(), truths.view(), &["a"]).with_pairs_dataset(10);
    let dir = tempfile::tempdir().unwrap();
    assert!(report(dir.path(), &inputs).is_err());
}
