//! Prior moments against statrs' analytic values, log densities, supports, serialisation.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use abi_sim::Distribution;
use rand::SeedableRng;
use statrs::distribution::Continuous;
use statrs::statistics::Distribution as Moments;

const N: usize = 200_000;

fn moments(d: &Distribution, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let k = d.dim();
    let draws: Vec<Vec<f64>> = (0..N).map(|_| d.sample(&mut rng)).collect();
    let mean: Vec<f64> = (0..k)
        .map(|j| draws.iter().map(|x| x[j]).sum::<f64>() / N as f64)
        .collect();
    let var: Vec<f64> = (0..k)
        .map(|j| draws.iter().map(|x| (x[j] - mean[j]).powi(2)).sum::<f64>() / (N - 1) as f64)
        .collect();
    (mean, var)
}

/// Sample mean within 5 standard errors, sample variance within 3 % (a swapped rate/scale or
/// std/variance is off by far more).
fn assert_moments(name: &str, d: &Distribution, mean: f64, var: f64, seed: u64) {
    let (m, v) = moments(d, seed);
    let se = (var / N as f64).sqrt();
    assert!(
        (m[0] - mean).abs() < 5.0 * se,
        "{name}: mean {} vs {mean}",
        m[0]
    );
    assert!(
        (v[0] / var - 1.0).abs() < 0.03,
        "{name}: variance {} vs {var}",
        v[0]
    );
}

#[test]
fn univariate_moments_match_statrs() {
    let normal = statrs::distribution::Normal::new(1.5, 0.7).unwrap();
    assert_moments(
        "normal",
        &Distribution::normal(1.5, 0.7).unwrap(),
        normal.mean().unwrap(),
        normal.variance().unwrap(),
        1,
    );
    let ln = statrs::distribution::LogNormal::new(-0.3, 0.4).unwrap();
    assert_moments(
        "log_normal",
        &Distribution::log_normal(-0.3, 0.4).unwrap(),
        ln.mean().unwrap(),
        ln.variance().unwrap(),
        2,
    );
    let u = statrs::distribution::Uniform::new(-2.0, 5.0).unwrap();
    assert_moments(
        "uniform",
        &Distribution::uniform(-2.0, 5.0).unwrap(),
        u.mean().unwrap(),
        u.variance().unwrap(),
        3,
    );
    let b = statrs::distribution::Beta::new(2.0, 5.0).unwrap();
    assert_moments(
        "beta",
        &Distribution::beta(2.0, 5.0).unwrap(),
        b.mean().unwrap(),
        b.variance().unwrap(),
        4,
    );
    // statrs' Gamma takes (shape, rate), as ours does
    let g = statrs::distribution::Gamma::new(3.0, 2.0).unwrap();
    assert_moments(
        "gamma",
        &Distribution::gamma(3.0, 2.0).unwrap(),
        g.mean().unwrap(),
        g.variance().unwrap(),
        5,
    );
    // half-normal: σ√(2/π), σ²(1 − 2/π)
    let s: f64 = 1.3;
    let pi = std::f64::consts::PI;
    assert_moments(
        "half_normal",
        &Distribution::half_normal(s).unwrap(),
        s * (2.0 / pi).sqrt(),
        s * s * (1.0 - 2.0 / pi),
        6,
    );
}

#[test]
fn multivariate_normal_has_its_covariance() {
    let cov = vec![1.0, 0.6, 0.0, 0.6, 2.0, -0.5, 0.0, -0.5, 0.5];
    let d = Distribution::mv_normal(vec![1.0, -1.0, 0.0], cov.clone()).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let draws: Vec<Vec<f64>> = (0..N).map(|_| d.sample(&mut rng)).collect();
    let mean: Vec<f64> = (0..3)
        .map(|j| draws.iter().map(|x| x[j]).sum::<f64>() / N as f64)
        .collect();
    for i in 0..3 {
        assert!(
            (mean[i] - [1.0, -1.0, 0.0][i]).abs() < 0.02,
            "mean {mean:?}"
        );
        for j in 0..3 {
            let c: f64 = draws
                .iter()
                .map(|x| (x[i] - mean[i]) * (x[j] - mean[j]))
                .sum::<f64>()
                / N as f64;
            assert!(
                (c - cov[i * 3 + j]).abs() < 0.03,
                "cov[{i}][{j}] = {c}, expected {}",
                cov[i * 3 + j]
            );
        }
    }
    // log density against the closed form for a diagonal case
    let diag = Distribution::mv_normal(vec![0.0, 0.0], vec![4.0, 0.0, 0.0, 0.25]).unwrap();
    let n1 = statrs::distribution::Normal::new(0.0, 2.0).unwrap();
    let n2 = statrs::distribution::Normal::new(0.0, 0.5).unwrap();
    let lp = diag.log_prob(&[0.3, -0.2]).unwrap();
    assert!((lp - n1.ln_pdf(0.3) - n2.ln_pdf(-0.2)).abs() < 1e-12);
    // precision parameterisation gives the same distribution
    let prec =
        Distribution::mv_normal_precision(vec![0.0, 0.0], vec![0.25, 0.0, 0.0, 4.0]).unwrap();
    assert!((prec.log_prob(&[0.3, -0.2]).unwrap() - lp).abs() < 1e-12);
}

#[test]
fn log_densities_supports_and_errors() {
    let g = Distribution::gamma(3.0, 2.0).unwrap();
    let sg = statrs::distribution::Gamma::new(3.0, 2.0).unwrap();
    assert!((g.log_prob(&[1.1]).unwrap() - sg.ln_pdf(1.1)).abs() < 1e-12);
    assert_eq!(g.log_prob(&[-1.0]).unwrap(), f64::NEG_INFINITY);
    let hn = Distribution::half_normal(2.0).unwrap();
    let n = statrs::distribution::Normal::new(0.0, 2.0).unwrap();
    assert!((hn.log_prob(&[0.7]).unwrap() - (2.0 * n.pdf(0.7)).ln()).abs() < 1e-12);
    let bx = Distribution::box_uniform(vec![-1.0, 0.0], vec![1.0, 4.0]).unwrap();
    assert!((bx.log_prob(&[0.0, 1.0]).unwrap() + 8f64.ln()).abs() < 1e-12);
    assert_eq!(bx.log_prob(&[0.0, 5.0]).unwrap(), f64::NEG_INFINITY);
    assert_eq!(bx.bounds(), vec![(-1.0, 1.0), (0.0, 4.0)]);
    assert!(bx.log_prob(&[0.0]).is_err());
    let prod =
        Distribution::independent(vec![Distribution::beta(2.0, 2.0).unwrap(), g.clone()]).unwrap();
    assert_eq!(prod.dim(), 2);
    assert_eq!(prod.bounds(), vec![(0.0, 1.0), (0.0, f64::INFINITY)]);
    assert!(prod.contains(&[0.5, 3.0]) && !prod.contains(&[1.5, 3.0]));
    // invalid parameters are errors that say why
    let e = Distribution::normal(0.0, -1.0).unwrap_err().to_string();
    assert!(e.contains("std > 0"), "{e}");
    assert!(Distribution::mv_normal(vec![0.0, 0.0], vec![1.0, 2.0, 2.0, 1.0]).is_err());
    assert!(Distribution::box_uniform(vec![0.0], vec![0.0]).is_err());
    // JSON round trip
    let json = serde_json::to_string(&prod).unwrap();
    let back: Distribution = serde_json::from_str(&json).unwrap();
    assert_eq!(back, prod);
}
