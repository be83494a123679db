//! Flow matching: the ODE density is normalised, solvers agree, the stochastic divergence is
//! unbiased, and it learns a conditional Gaussian.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use abi_ndarray::{Cpu, NdArray};
use abi_nets::inference::Divergence;
use abi_nets::inference::ode::OdeSolver;
use abi_nets::{Activation, FlowMatching, FlowMatchingConfig, InferenceNetwork};
use abi_tensor::{Backend, ParamStore, Tensor};
use rand::SeedableRng;

fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

fn small<B: Backend>(
    cond: usize,
    divergence: Divergence,
    seed: u64,
) -> (ParamStore<B>, FlowMatching<B>) {
    let store = ParamStore::<B>::new(B::Device::default());
    let config = FlowMatchingConfig {
        widths: vec![32, 32],
        activation: Activation::Tanh,
        time_embedding_dim: 8,
        solver: OdeSolver::DormandPrince {
            rtol: 1e-6,
            atol: 1e-8,
            max_steps: 2000,
        },
        divergence,
        ..FlowMatchingConfig::default()
    };
    let fm = config
        .build(&store.root().sub("fm"), 2, cond, &mut rng(seed))
        .unwrap();
    (store, fm)
}

#[test]
fn ode_density_integrates_to_one() {
    type B = NdArray<f64>;
    let (_s, fm) = small::<B>(0, Divergence::Exact, 1);
    let (n, lo, hi) = (90usize, -7.0, 7.0);
    let h = (hi - lo) / n as f64;
    let mut pts = Vec::with_capacity(2 * n * n);
    for i in 0..n {
        for j in 0..n {
            pts.push(lo + (i as f64 + 0.5) * h);
            pts.push(lo + (j as f64 + 0.5) * h);
        }
    }
    let grid = Tensor::<B>::from_f64(&pts, &[n * n, 2], &Cpu).unwrap();
    let lp = fm.log_prob(&grid, None).unwrap().to_f64_vec().unwrap();
    let total: f64 = lp.iter().map(|v| v.exp() * h * h).sum();
    assert!((total - 1.0).abs() < 0.02, "density integrates to {total}");
    // and the field is not trivial: the density is not the standard normal's
    let z = Tensor::<B>::from_f64(&[0.0, 0.0], &[1, 2], &Cpu).unwrap();
    let at_zero = fm.log_prob(&z, None).unwrap().to_scalar().unwrap();
    assert!(
        (at_zero + (2.0 * std::f64::consts::PI).ln()).abs() > 0.05,
        "log p(0) = {at_zero}"
    );
}

#[test]
fn adaptive_and_fixed_step_samplers_agree() {
    type B = NdArray<f64>;
    let (_s, fm) = small::<B>(1, Divergence::Exact, 2);
    let mut r = rng(3);
    let z = Tensor::<B>::randn(&[64, 2], &mut r, &Cpu).unwrap();
    let c = Tensor::<B>::randn(&[64, 1], &mut r, &Cpu).unwrap();
    let adaptive = fm
        .integrate_to_data(
            &z,
            Some(&c),
            OdeSolver::DormandPrince {
                rtol: 1e-7,
                atol: 1e-9,
                max_steps: 5000,
            },
        )
        .unwrap();
    let rk4 = fm
        .integrate_to_data(&z, Some(&c), OdeSolver::Rk4 { steps: 200 })
        .unwrap();
    let euler = fm
        .integrate_to_data(&z, Some(&c), OdeSolver::Euler { steps: 2000 })
        .unwrap();
    let diff = |a: &Tensor<B>, b: &Tensor<B>| {
        a.sub(b)
            .unwrap()
            .abs()
            .unwrap()
            .max(&[0, 1], false)
            .unwrap()
            .to_scalar()
            .unwrap()
    };
    assert!(
        diff(&adaptive, &rk4) < 1e-6,
        "RK4 vs Dormand–Prince {}",
        diff(&adaptive, &rk4)
    );
    assert!(
        diff(&adaptive, &euler) < 1e-2,
        "Euler vs Dormand–Prince {}",
        diff(&adaptive, &euler)
    );
    assert!(diff(&adaptive, &z) > 0.1, "the field moves the points");
}

#[test]
fn hutchinson_estimate_is_unbiased() {
    type B = NdArray<f64>;
    let (_s, exact) = small::<B>(0, Divergence::Exact, 4);
    let (_s2, stochastic) = small::<B>(0, Divergence::Hutchinson { probes: 400 }, 4);
    let x = Tensor::<B>::from_f64(&[0.3, -0.5, 1.2, 0.1], &[2, 2], &Cpu).unwrap();
    let mut r = rng(5);
    let solver = OdeSolver::Rk4 { steps: 20 };
    let a = exact
        .log_prob_with(&x, None, solver, &mut r)
        .unwrap()
        .to_f64_vec()
        .unwrap();
    let b = stochastic
        .log_prob_with(&x, None, solver, &mut r)
        .unwrap()
        .to_f64_vec()
        .unwrap();
    for (a, b) in a.iter().zip(&b) {
        assert!((a - b).abs() < 0.05, "exact {a} vs Hutchinson {b}");
    }
}

#[test]
fn learns_a_conditional_gaussian() {
    let mut r = rng(8);
    let store = ParamStore::<NdArray>::new(Cpu);
    let config = FlowMatchingConfig {
        widths: vec![64, 64, 64],
        time_embedding_dim: 16,
        solver: OdeSolver::Rk4 { steps: 30 },
        ..FlowMatchingConfig::default()
    };
    let fm = config.build(&store.root(), 2, 2, &mut r).unwrap();
    crate::gaussian_fit::train(&fm, &store, 2500, 2e-3, &mut r);
    crate::gaussian_fit::assert_learned("flow matching", &fm, 0.1, &mut r);
}

/// The density by the augmented ODE (exact divergence) equals the change of variables of the
/// flow's own map, with its Jacobian determinant taken by central differences.
#[test]
fn exact_divergence_density_matches_the_change_of_variables() {
    type B = NdArray<f64>;
    let (_s, fm) = small::<B>(0, Divergence::Exact, 4);
    let solver = OdeSolver::DormandPrince {
        rtol: 1e-10,
        atol: 1e-12,
        max_steps: 20_000,
    };
    let map = |z: [f64; 2]| -> [f64; 2] {
        let zt = Tensor::<B>::from_f64(&z, &[1, 2], &Cpu).unwrap();
        let x = fm
            .integrate_to_data(&zt, None, solver)
            .unwrap()
            .to_f64_vec()
            .unwrap();
        [x[0], x[1]]
    };
    let h = 1e-5;
    for z in [[0.3, -0.8], [-1.2, 0.5], [1.5, 1.1]] {
        let x = map(z);
        let mut jac = [[0.0; 2]; 2];
        for i in 0..2 {
            let (mut up, mut down) = (z, z);
            up[i] += h;
            down[i] -= h;
            let (a, b) = (map(up), map(down));
            for k in 0..2 {
                jac[k][i] = (a[k] - b[k]) / (2.0 * h);
            }
        }
        let det = jac[0][0] * jac[1][1] - jac[0][1] * jac[1][0];
        let want =
            -0.5 * (z[0] * z[0] + z[1] * z[1]) - (2.0 * std::f64::consts::PI).ln() - det.abs().ln();
        let xt = Tensor::<B>::from_f64(&x, &[1, 2], &Cpu).unwrap();
        let mut r = rng(0);
        let got = fm
            .log_prob_with(&xt, None, solver, &mut r)
            .unwrap()
            .to_f64_vec()
            .unwrap()[0];
        assert!(
            (got - want).abs() < 1e-5,
            "z {z:?}: ODE density {got} vs change of variables {want}"
        );
    }
}
