//! The slice sampler: exact on known targets, deterministic, refusing bad input.

use abi_mcmc::{
    Chains, LogDensity, McmcError, Pointwise, SliceOptions, sir_inits, slice_sample,
    slice_sample_with,
};
use ndarray::{Array2, ArrayView2, Axis};
use rand::SeedableRng;

fn opts(chains: usize, warmup: usize, thin: usize) -> SliceOptions {
    SliceOptions {
        chains,
        warmup,
        thin,
        ..Default::default()
    }
    .quiet()
}

/// A correlated Gaussian in 3-D with means (1, −2, 0.5), sds (1, 0.5, 2), ρ₁₂ = 0.9.
fn gaussian() -> impl LogDensity {
    Pointwise::new(3, |x: &[f64]| {
        let (a, b, c) = ((x[0] - 1.0) / 1.0, (x[1] + 2.0) / 0.5, (x[2] - 0.5) / 2.0);
        let rho: f64 = 0.9;
        -0.5 * ((a * a - 2.0 * rho * a * b + b * b) / (1.0 - rho * rho) + c * c)
    })
}

#[test]
fn recovers_the_moments_of_a_correlated_gaussian() {
    let target = gaussian();
    let chains = slice_sample(&target, &[vec![0.0; 3]], 20_000, &opts(40, 200, 5), 1).unwrap();
    let draws = chains.take(20_000).unwrap();
    let mean = draws.mean_axis(Axis(0)).unwrap();
    let sd = draws.std_axis(Axis(0), 1.0);
    for (j, (m, s)) in [(1.0, 1.0), (-2.0, 0.5), (0.5, 2.0)].iter().enumerate() {
        assert!(
            (mean[j] - m).abs() < 0.05 * s * 2.0,
            "mean {j}: {}",
            mean[j]
        );
        assert!((sd[j] / s - 1.0).abs() < 0.05, "sd {j}: {}", sd[j]);
    }
    let (a, b) = (draws.column(0), draws.column(1));
    let corr = ((&a - mean[0]) * (&b - mean[1])).mean().unwrap() / (sd[0] * sd[1]);
    assert!((corr - 0.9).abs() < 0.02, "correlation {corr}");
    for r in chains.split_rhat() {
        assert!(r < 1.01, "split-R̂ {r}");
    }
    for e in chains.ess_bulk() {
        assert!(e > 2_000.0, "bulk ESS {e}");
    }
}

#[test]
fn respects_a_bounded_support() {
    // Beta(2, 5) on (0, 1): mean 2/7, variance 10/392
    let beta = Pointwise::new(1, |x: &[f64]| {
        if x[0] <= 0.0 || x[0] >= 1.0 {
            f64::NEG_INFINITY
        } else {
            x[0].ln() + 4.0 * (1.0 - x[0]).ln()
        }
    });
    let chains = slice_sample(&beta, &[vec![0.5]], 20_000, &opts(20, 100, 2), 3).unwrap();
    let d = chains.flat();
    assert!(d.iter().all(|v| *v > 0.0 && *v < 1.0));
    let mean = d.mean().unwrap();
    let var = d.var(1.0);
    assert!((mean - 2.0 / 7.0).abs() < 0.005, "mean {mean}");
    assert!((var / (10.0 / 392.0) - 1.0).abs() < 0.05, "var {var}");
}

/// Two far-apart modes at ±4 in the first coordinate.
fn bimodal() -> impl LogDensity {
    Pointwise::new(2, |x: &[f64]| {
        let a = -0.5 * ((x[0] - 4.0) / 0.3).powi(2);
        let b = -0.5 * ((x[0] + 4.0) / 0.3).powi(2);
        a.max(b) + (1.0 + (-(a - b).abs()).exp()).ln() - 0.5 * x[1] * x[1]
    })
}

#[test]
fn split_rhat_flags_chains_stuck_in_different_modes_and_a_symmetry_move_mixes_them() {
    let target = bimodal();
    let inits = [vec![4.0, 0.0], vec![-4.0, 0.0]];
    let stuck = slice_sample(&target, &inits, 2_000, &opts(4, 50, 1), 5).unwrap();
    assert!(stuck.split_rhat()[0] > 1.5, "{:?}", stuck.split_rhat());
    let flip = |x: &mut [f64], rng: &mut rand_chacha::ChaCha8Rng| {
        if rand::Rng::random::<bool>(rng) {
            x[0] = -x[0];
        }
    };
    let mixed = slice_sample_with(&target, flip, &inits, 8_000, &opts(4, 50, 1), 5).unwrap();
    assert!(mixed.split_rhat()[0] < 1.01, "{:?}", mixed.split_rhat());
    let positive = mixed.flat().column(0).iter().filter(|v| **v > 0.0).count() as f64 / 8_000.0;
    assert!((positive - 0.5).abs() < 0.05, "{positive}");
}

#[test]
fn is_deterministic_whatever_the_number_of_threads() {
    let target = gaussian();
    let run = || slice_sample(&target, &[vec![0.0; 3]], 400, &opts(16, 20, 1), 11).unwrap();
    let many = run();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(run);
    assert_eq!(many, one);
    assert_ne!(
        many,
        slice_sample(&target, &[vec![0.0; 3]], 400, &opts(16, 20, 1), 12).unwrap()
    );
    assert_eq!(many.num_chains(), 16);
    assert_eq!(many.draws_per_chain(), 25);
    assert!(many.evaluations() > 16 * 45 * 3 * 2);
}

#[test]
fn refuses_bad_settings_and_starts() {
    let target = gaussian();
    let start = [vec![0.0; 3]];
    assert!(slice_sample(&target, &[], 10, &opts(3, 5, 1), 0).is_err());
    assert!(slice_sample(&target, &[vec![0.0; 2]], 10, &opts(3, 5, 1), 0).is_err());
    assert!(slice_sample(&target, &start, 10, &opts(3, 5, 0), 0).is_err());
    assert!(slice_sample(&target, &start, 10, &opts(0, 5, 1), 0).is_err());
    let mut wide = opts(3, 5, 1);
    wide.width = f64::INFINITY;
    assert!(slice_sample(&target, &start, 10, &wide, 0).is_err());
    let outside = Pointwise::new(
        1,
        |x: &[f64]| if x[0] > 0.0 { 0.0 } else { f64::NEG_INFINITY },
    );
    let e = slice_sample(&outside, &[vec![-1.0]], 10, &opts(3, 5, 1), 0).unwrap_err();
    assert!(e.to_string().contains("no finite log density"), "{e}");
    let chains: Chains = slice_sample(&target, &start, 10, &opts(3, 5, 1), 0).unwrap();
    assert!(chains.take(13).is_err());
}

/// A density that fails after a number of evaluations, or returns too few values.
struct Faulty {
    short: bool,
}

impl LogDensity for Faulty {
    fn dim(&self) -> usize {
        1
    }

    fn log_density(&self, points: ArrayView2<'_, f64>) -> abi_mcmc::Result<Vec<f64>> {
        if self.short {
            return Ok(vec![0.0; points.nrows().saturating_sub(1).max(1)]);
        }
        if points.iter().any(|v| v.abs() > 2.0) {
            return Err(McmcError::density(std::io::Error::other("network failed")));
        }
        Ok(points.iter().map(|v| -0.5 * v * v).collect())
    }
}

#[test]
fn density_errors_reach_the_caller() {
    let e = slice_sample(
        &Faulty { short: false },
        &[vec![0.0]],
        100,
        &opts(4, 20, 1),
        0,
    )
    .unwrap_err();
    assert!(e.to_string().contains("network failed"), "{e}");
    let e = slice_sample(
        &Faulty { short: true },
        &[vec![0.0]],
        100,
        &opts(4, 20, 1),
        0,
    )
    .unwrap_err();
    assert!(e.to_string().contains("values for"), "{e}");
}

#[test]
fn sir_starts_concentrate_where_the_weight_is() {
    let target = gaussian();
    let proposals = Array2::from_shape_fn((20_000, 3), |(i, j)| {
        // a deterministic grid-like spread over [−6, 6)
        ((i * (7 + 2 * j) + 13 * j) % 1_200) as f64 / 100.0 - 6.0
    });
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    let inits = sir_inits(proposals.view(), &target, 200, &mut rng).unwrap();
    let mean_second = inits.iter().map(|p| p[1]).sum::<f64>() / 200.0;
    assert!((mean_second + 2.0).abs() < 0.5, "{mean_second}");
    let nowhere = Pointwise::new(3, |_: &[f64]| f64::NEG_INFINITY);
    assert!(sir_inits(proposals.view(), &nowhere, 4, &mut rng).is_err());
    assert!(sir_inits(proposals.slice(ndarray::s![.., ..2]), &target, 4, &mut rng).is_err());
}
