//! The rational-quadratic spline on its own: monotone, identity tails, exact inverse and
//! derivative.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use abi_ndarray::{Cpu, NdArray};
use abi_nets::inference::spline::{SplineConfig, forward, inverse};
use abi_tensor::Tensor;
use rand::SeedableRng;

type B = NdArray<f64>;

#[test]
fn spline_is_a_monotone_bijection_with_linear_tails() {
    let cfg = SplineConfig::default();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let n = 2001;
    let xs: Vec<f64> = (0..n)
        .map(|i| -4.0 + 8.0 * i as f64 / (n - 1) as f64)
        .collect();
    let x = Tensor::<B>::from_f64(&xs, &[n, 1], &Cpu).unwrap();
    // one random spline shared by all points
    let raw1 = Tensor::<B>::randn(&[1, 1, cfg.params_per_element()], &mut rng, &Cpu)
        .unwrap()
        .mul_scalar(2.0)
        .unwrap();
    let raw = raw1
        .broadcast_to(&[n, 1, cfg.params_per_element()])
        .unwrap();
    let (y, log_d) = forward(&x, &raw, &cfg).unwrap();
    let yv = y.to_f64_vec().unwrap();
    let ld = log_d.to_f64_vec().unwrap();
    let h = 1e-6;
    let at = |d: f64| {
        let shifted: Vec<f64> = xs.iter().map(|v| v + d).collect();
        let t = Tensor::<B>::from_f64(&shifted, &[n, 1], &Cpu).unwrap();
        forward(&t, &raw, &cfg).unwrap().0.to_f64_vec().unwrap()
    };
    let (up, down) = (at(h), at(-h));
    for i in 1..n {
        assert!(yv[i] > yv[i - 1], "not increasing at {}", xs[i]);
    }
    for (i, &xv) in xs.iter().enumerate() {
        if xv.abs() >= 3.0 {
            assert_eq!(yv[i], xv, "tail at {xv} must be the identity");
            assert_eq!(ld[i], 0.0);
        } else if xv.abs() < 3.0 - h {
            let numeric = (up[i] - down[i]) / (2.0 * h);
            assert!(
                (ld[i].exp() / numeric - 1.0).abs() < 1e-5,
                "at {xv}: {} vs {numeric}",
                ld[i].exp()
            );
        }
    }
    // continuity at the domain's edges
    assert!((yv[n / 8] - xs[n / 8]).abs() < 1e-9);
    let back = inverse(&y, &raw, &cfg).unwrap().to_f64_vec().unwrap();
    let err = xs
        .iter()
        .zip(&back)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(err < 1e-9, "max inversion error {err}");
}
