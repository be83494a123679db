//! MCMC reference posteriors: exact against analytic and exactly sampled posteriors.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use abi_sim::benchmarks::{
    BenchmarkTask, GaussianLinear, ReferenceOptions, Slcp, SliceOptions, TwoMoons,
    reference_posterior,
};
use ndarray::{Array2, Axis};
use rand::SeedableRng;

fn column_means(a: &Array2<f64>) -> Vec<f64> {
    a.mean_axis(Axis(0)).unwrap().to_vec()
}

fn column_vars(a: &Array2<f64>) -> Vec<f64> {
    a.var_axis(Axis(0), 1.0).to_vec()
}

#[test]
fn gaussian_linear_reference_matches_the_analytic_posterior() {
    let task = GaussianLinear::new().unwrap();
    let x: Vec<f64> = (0..10).map(|i| 0.3 * (i as f64 - 4.5) / 4.5).collect();
    let draws = reference_posterior(&task, &x, 10_000, &ReferenceOptions::default(), 1).unwrap();
    let exact = task.posterior(&x).unwrap().unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
    let exact_draws: Vec<f64> = (0..100_000).flat_map(|_| exact.sample(&mut rng)).collect();
    let exact_draws = Array2::from_shape_vec((100_000, 10), exact_draws).unwrap();
    let (m, v) = (column_means(&draws), column_vars(&draws));
    let (em, ev) = (column_means(&exact_draws), column_vars(&exact_draws));
    for j in 0..10 {
        // posterior sd ≈ 0.22: the mean of 10 000 draws is good to ≈ 0.005
        assert!(
            (m[j] - em[j]).abs() < 0.02,
            "mean {j}: {} vs {}",
            m[j],
            em[j]
        );
        assert!(
            (v[j] / ev[j] - 1.0).abs() < 0.08,
            "var {j}: {} vs {}",
            v[j],
            ev[j]
        );
    }
}

#[test]
fn two_moons_reference_matches_the_exact_sampler() {
    let task = TwoMoons::new().unwrap();
    let x = [-0.64, 0.16];
    let draws = reference_posterior(&task, &x, 10_000, &ReferenceOptions::default(), 3).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    let exact = task.reference_posterior(&x, 100_000, &mut rng).unwrap();
    let exact = Array2::from_shape_vec((100_000, 2), exact).unwrap();
    let stats = |a: &Array2<f64>| {
        let n = a.nrows() as f64;
        let upper = a.rows().into_iter().filter(|r| r[0] + r[1] > 0.0).count() as f64 / n;
        let (m, v) = (column_means(a), column_vars(a));
        vec![upper, m[0], m[1], v[0].sqrt(), v[1].sqrt()]
    };
    let (got, want) = (stats(&draws), stats(&exact));
    for (name, (g, w)) in [
        "share of the upper crescent",
        "mean 0",
        "mean 1",
        "sd 0",
        "sd 1",
    ]
    .iter()
    .zip(got.iter().zip(&want))
    {
        assert!((g - w).abs() < 0.03, "{name}: MCMC {g}, exact {w}");
    }
}

#[test]
fn slcp_reference_visits_all_four_sign_modes() {
    let task = Slcp::new().unwrap();
    let x = [
        2.3718784, 0.49947417, 9.931435, 1.7136912, -10.436423, -1.9067793, -1.2343777, -0.09735,
    ];
    let draws = reference_posterior(&task, &x, 10_000, &ReferenceOptions::default(), 5).unwrap();
    for j in [2, 3] {
        let positive = draws.column(j).iter().filter(|&&v| v > 0.0).count() as f64 / 1e4;
        assert!(
            (positive - 0.5).abs() < 0.03,
            "θ{}: {positive} positive",
            j + 1
        );
    }
    // every draw has a likelihood near the posterior's bulk, none stuck in the prior's tail
    let best = draws
        .rows()
        .into_iter()
        .map(|r| task.log_likelihood(r.as_slice().unwrap(), &x).unwrap())
        .fold(f64::NEG_INFINITY, f64::max);
    let worst = draws
        .rows()
        .into_iter()
        .map(|r| task.log_likelihood(r.as_slice().unwrap(), &x).unwrap())
        .fold(f64::INFINITY, f64::min);
    assert!(best - worst < 30.0, "log-likelihood spans {worst}..{best}");
}

#[test]
fn reference_posterior_rejects_bad_input_and_is_deterministic() {
    let task = TwoMoons::new().unwrap();
    assert!(reference_posterior(&task, &[0.0], 10, &ReferenceOptions::default(), 0).is_err());
    let mut opts = ReferenceOptions {
        proposals: 500,
        slice: SliceOptions {
            chains: 4,
            warmup: 20,
            thin: 1,
            ..Default::default()
        },
    };
    let a = reference_posterior(&task, &[0.1, 0.2], 50, &opts, 9).unwrap();
    let b = reference_posterior(&task, &[0.1, 0.2], 50, &opts, 9).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.shape(), &[50, 2]);
    opts.slice.thin = 0;
    assert!(reference_posterior(&task, &[0.1, 0.2], 50, &opts, 9).is_err());
}
