//! NUTS through nuts-rs: exact on a correlated Gaussian, in agreement with the slice
//! sampler, deterministic, and refusing bad input.

use abi_mcmc::{GradientDensity, NutsOptions, Pointwise, SliceOptions, nuts_sample, slice_sample};
use ndarray::Axis;

/// A correlated Gaussian in 3-D with means (1, −2, 0.5), sds (1, 0.5, 2), ρ₁₂ = 0.9.
struct Gaussian;

const RHO: f64 = 0.9;

fn value(x: &[f64]) -> f64 {
    let (a, b, c) = (x[0] - 1.0, (x[1] + 2.0) / 0.5, (x[2] - 0.5) / 2.0);
    -0.5 * ((a * a - 2.0 * RHO * a * b + b * b) / (1.0 - RHO * RHO) + c * c)
}

impl GradientDensity for Gaussian {
    fn dim(&self) -> usize {
        3
    }

    fn value_and_gradient(&self, x: &[f64], g: &mut [f64]) -> abi_mcmc::Result<f64> {
        let (a, b, c) = (x[0] - 1.0, (x[1] + 2.0) / 0.5, (x[2] - 0.5) / 2.0);
        let k = 1.0 / (1.0 - RHO * RHO);
        g[0] = -k * (a - RHO * b);
        g[1] = -k * (b - RHO * a) / 0.5;
        g[2] = -c / 2.0;
        Ok(value(x))
    }
}

fn opts() -> NutsOptions {
    NutsOptions {
        chains: 4,
        warmup: 500,
        ..Default::default()
    }
    .quiet()
}

#[test]
fn nuts_recovers_a_correlated_gaussian_and_agrees_with_slice_sampling() {
    let chains = nuts_sample(&Gaussian, &[vec![0.0; 3]], 8_000, &opts(), 1).unwrap();
    let draws = chains.take(8_000).unwrap();
    let mean = draws.mean_axis(Axis(0)).unwrap();
    let sd = draws.std_axis(Axis(0), 1.0);
    for (j, (m, s)) in [(1.0, 1.0), (-2.0, 0.5), (0.5, 2.0)].iter().enumerate() {
        assert!((mean[j] - m).abs() < 0.1 * s, "mean {j}: {}", mean[j]);
        assert!((sd[j] / s - 1.0).abs() < 0.05, "sd {j}: {}", sd[j]);
    }
    assert!(
        chains.split_rhat().iter().all(|r| *r < 1.01),
        "{:?}",
        chains.split_rhat()
    );
    assert!(
        chains.ess_bulk().iter().all(|e| *e > 2_000.0),
        "{:?}",
        chains.ess_bulk()
    );

    let slice_opts = SliceOptions {
        chains: 20,
        warmup: 200,
        thin: 5,
        ..Default::default()
    }
    .quiet();
    let slice = slice_sample(
        &Pointwise::new(3, value),
        &[vec![0.0; 3]],
        8_000,
        &slice_opts,
        2,
    )
    .unwrap()
    .take(8_000)
    .unwrap();
    let slice_mean = slice.mean_axis(Axis(0)).unwrap();
    let slice_sd = slice.std_axis(Axis(0), 1.0);
    for j in 0..3 {
        assert!((mean[j] - slice_mean[j]).abs() < 0.1 * sd[j], "mean {j}");
        assert!((sd[j] / slice_sd[j] - 1.0).abs() < 0.07, "sd {j}");
    }
}

#[test]
fn nuts_is_deterministic_and_refuses_bad_input() {
    let a = nuts_sample(&Gaussian, &[vec![0.0; 3]], 200, &opts(), 9).unwrap();
    let b = nuts_sample(&Gaussian, &[vec![0.0; 3]], 200, &opts(), 9).unwrap();
    assert_eq!(a, b);
    assert_eq!((a.num_chains(), a.draws_per_chain()), (4, 50));
    assert!(a.evaluations() > 4 * 550);
    assert!(nuts_sample(&Gaussian, &[], 10, &opts(), 0).is_err());
    assert!(nuts_sample(&Gaussian, &[vec![0.0; 2]], 10, &opts(), 0).is_err());
    let none = NutsOptions {
        chains: 0,
        ..opts()
    };
    assert!(nuts_sample(&Gaussian, &[vec![0.0; 3]], 10, &none, 0).is_err());
}

/// A density whose evaluation fails.
struct Broken;

impl GradientDensity for Broken {
    fn dim(&self) -> usize {
        1
    }

    fn value_and_gradient(&self, _: &[f64], _: &mut [f64]) -> abi_mcmc::Result<f64> {
        Err(abi_mcmc::McmcError::density(std::io::Error::other(
            "network failed",
        )))
    }
}

#[test]
fn a_failing_density_is_an_error() {
    let e = nuts_sample(&Broken, &[vec![0.0]], 10, &opts(), 0).unwrap_err();
    assert!(e.to_string().contains("network failed"), "{e}");
}
