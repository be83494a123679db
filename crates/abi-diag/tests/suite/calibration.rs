//! SBC ranks, the simultaneous ECDF band test, calibration error, coverage and TARP.

use crate::common::{Distortion, EXACT, gaussian_posterior};
use abi_diag::{
    CalibrationErrorConfig, EcdfBand, EcdfBandConfig, PosteriorSummary, TarpConfig,
    calibration_error, ecdf_tests, expected_coverage, rank_histogram_of, sbc_ranks, tarp,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const BROKEN: [(&str, Distortion); 3] = [
    (
        "over-dispersed",
        Distortion {
            scale: 2.0,
            shift: 0.0,
        },
    ),
    (
        "under-dispersed",
        Distortion {
            scale: 0.5,
            shift: 0.0,
        },
    ),
    (
        "biased",
        Distortion {
            scale: 1.0,
            shift: 1.0,
        },
    ),
];

#[test]
fn ecdf_band_test_has_its_stated_size_on_exact_ranks() {
    // 400 repetitions of N = 100 rank samples from L = 99 draws; ranks of an exact posterior
    // with continuous draws are uniform on 0..=L, so they are drawn directly
    let (n, l, reps) = (100, 99, 400);
    let band = EcdfBand::new(n, l, &EcdfBandConfig::default()).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut rejected = 0;
    for _ in 0..reps {
        let ranks: Vec<usize> = (0..n).map(|_| rng.random_range(0..=l)).collect();
        let t = band.test(&ranks).unwrap();
        assert_eq!(t.pass, t.log_gamma >= 0.0);
        rejected += usize::from(!t.pass);
    }
    let rate = rejected as f64 / reps as f64;
    println!("ECDF band rejection rate at 5 %: {rate}");
    assert!((rate - 0.05).abs() <= 0.02, "rejection rate {rate}");
    // the band narrows in the middle, is monotone and holds z
    assert!(
        band.lower
            .iter()
            .zip(&band.z)
            .all(|(lo, z)| *lo <= *z + 1e-12)
    );
    assert!(
        band.upper
            .iter()
            .zip(&band.z)
            .all(|(hi, z)| *hi >= *z - 1e-12)
    );
    assert!(band.gamma > 0.0 && band.gamma < 0.05);
}

#[test]
fn ecdf_band_test_passes_an_exact_posterior_and_fails_broken_ones() {
    let cfg = EcdfBandConfig::default();
    let (draws, truths) = gaussian_posterior(200, 100, 2, 3, EXACT, 1);
    let (_, tests) = ecdf_tests(
        &PosteriorSummary::new(draws.view(), truths.view()).unwrap(),
        &cfg,
    )
    .unwrap();
    assert!(
        tests.iter().all(|t| t.pass),
        "exact posterior rejected: {tests:?}"
    );
    for (what, d) in BROKEN {
        let (draws, truths) = gaussian_posterior(200, 100, 2, 3, d, 2);
        let s = PosteriorSummary::new(draws.view(), truths.view()).unwrap();
        let (_, tests) = ecdf_tests(&s, &cfg).unwrap();
        assert!(
            tests.iter().all(|t| !t.pass && t.log_gamma < 0.0),
            "{what} passed: {tests:?}"
        );
    }
}

#[test]
fn calibration_error_is_near_zero_only_for_the_exact_posterior() {
    let cfg = CalibrationErrorConfig::default();
    let (draws, truths) = gaussian_posterior(500, 200, 2, 3, EXACT, 3);
    let s = PosteriorSummary::new(draws.view(), truths.view()).unwrap();
    let exact = calibration_error(&s, &cfg).unwrap();
    assert!(exact.iter().all(|e| *e < 0.03), "exact: {exact:?}");
    for (what, d) in BROKEN {
        let (draws, truths) = gaussian_posterior(500, 200, 2, 3, d, 4);
        let s = PosteriorSummary::new(draws.view(), truths.view()).unwrap();
        let err = calibration_error(&s, &cfg).unwrap();
        assert!(err.iter().all(|e| *e > 0.1), "{what}: {err:?}");
    }
    // coverage of the central 90 % interval: 0.9 exact, higher over-dispersed
    let cov = expected_coverage(&s, &[0.9]).unwrap();
    assert!(cov.iter().all(|c| *c < 0.9), "biased coverage {cov:?}");
}

#[test]
fn ranks_and_histogram_band_agree_with_their_definition() {
    let (draws, truths) = gaussian_posterior(100, 49, 1, 2, EXACT, 5);
    let ranks = sbc_ranks(draws.view(), truths.view()).unwrap();
    let s = PosteriorSummary::new(draws.view(), truths.view()).unwrap();
    assert_eq!(ranks, s.ranks());
    assert!(ranks.iter().all(|r| *r <= 49));
    let h = rank_histogram_of(&s).unwrap();
    assert_eq!(h.bins(), 5);
    assert_eq!(h.counts.sum(), 100);
    // 50 rank values in 5 bins of 10: expected 20 per bin
    assert!(h.expected.iter().all(|e| (*e - 20.0).abs() < 1e-9));
    assert!(
        h.lower
            .iter()
            .zip(&h.upper)
            .all(|(lo, hi)| *lo < 20.0 && *hi > 20.0)
    );
}

#[test]
fn tarp_is_on_the_diagonal_for_exact_and_off_it_for_biased_posteriors() {
    let cfg = TarpConfig::default();
    let (draws, truths) = gaussian_posterior(500, 200, 3, 2, EXACT, 6);
    let exact = tarp(draws.view(), truths.view(), &cfg).unwrap();
    assert!(
        exact.max_error < 0.08,
        "exact TARP error {}",
        exact.max_error
    );
    let (draws, truths) = gaussian_posterior(500, 200, 3, 2, BROKEN[1].1, 7);
    let narrow = tarp(draws.view(), truths.view(), &cfg).unwrap();
    assert!(
        narrow.max_error > 0.15,
        "under-dispersed TARP error {}",
        narrow.max_error
    );
}

#[test]
fn metrics_reject_mismatched_input() {
    let (draws, truths) = gaussian_posterior(10, 5, 2, 1, EXACT, 8);
    let bad = truths.slice(ndarray::s![.., ..1]).to_owned();
    assert!(PosteriorSummary::new(draws.view(), bad.view()).is_err());
    let mut nan = truths.clone();
    nan[[0, 0]] = f64::NAN;
    let err = PosteriorSummary::new(draws.view(), nan.view()).unwrap_err();
    assert!(err.to_string().contains("NaN"), "{err}");
    assert!(
        EcdfBand::new(
            10,
            5,
            &EcdfBandConfig {
                level: 1.5,
                ..Default::default()
            }
        )
        .is_err()
    );
}
