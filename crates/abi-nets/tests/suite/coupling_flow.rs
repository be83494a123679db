//! The affine coupling flow: invertibility, exact log-determinants, normalised density, and
//! learning a conditional Gaussian.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use crate::helpers::{finite_difference_log_abs_det, max_abs_diff, mean_abs_diff};
use abi_ndarray::{Cpu, NdArray};
use abi_nets::inference::spline::SplineConfig;
use abi_nets::{CouplingFlow, CouplingFlowConfig, CouplingTransform, InferenceNetwork};
use abi_tensor::{Backend, ParamStore, Tensor};
use rand::SeedableRng;
use std::collections::BTreeMap;

fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

fn spline() -> CouplingTransform {
    CouplingTransform::Spline(SplineConfig::default())
}

/// A flow whose parameters (zero-initialised output layers included) are all set to random
/// values, so that every layer does something.
fn random_flow_with<B: Backend>(
    transform: CouplingTransform,
    dim: usize,
    cond: usize,
    scale: f64,
    seed: u64,
) -> (ParamStore<B>, CouplingFlow<B>) {
    let mut r = rng(seed);
    let store = ParamStore::<B>::new(B::Device::default());
    let config = CouplingFlowConfig {
        depth: 3,
        subnet_widths: vec![16, 16],
        dropout: 0.0,
        transform,
        ..CouplingFlowConfig::default()
    };
    let flow = config
        .build(&store.root().sub("flow"), dim, cond, &mut r)
        .unwrap();
    for p in store.params().into_iter().filter(|p| !p.is_buffer()) {
        let v = Tensor::<B>::randn(&p.shape(), &mut r, &B::Device::default())
            .unwrap()
            .mul_scalar(scale)
            .unwrap();
        p.set_value(v).unwrap();
    }
    (store, flow)
}

#[test]
fn inverse_undoes_forward() {
    for transform in [CouplingTransform::Affine, spline()] {
        check_inverse(transform);
    }
}

fn check_inverse(transform: CouplingTransform) {
    // f32, moderately random weights: what training produces
    let (_store, flow) = random_flow_with::<NdArray>(transform, 3, 2, 0.2, 1);
    let mut r = rng(2);
    // scaled so that some values fall outside the spline's domain (the linear tails)
    let x = Tensor::<NdArray>::randn(&[64, 3], &mut r, &Cpu)
        .unwrap()
        .mul_scalar(1.8)
        .unwrap();
    let c = Tensor::<NdArray>::randn(&[64, 2], &mut r, &Cpu).unwrap();
    let (z, _) = flow.forward(&x, Some(&c), None).unwrap();
    let back = flow.inverse(&z, Some(&c)).unwrap();
    let err = max_abs_diff(&x, &back);
    let z_max = z.abs().unwrap().max(&[0, 1], false).unwrap();
    assert!(
        err < 1e-4,
        "{transform:?}: max |x - inverse(forward(x))| = {err}, |z| max {}",
        z_max.to_scalar().unwrap()
    );
    // the flow is not the identity
    let moved = mean_abs_diff(&x, &z);
    assert!(moved > 0.1, "random flow barely moves points ({moved})");
}

#[test]
fn inverse_is_exact_in_double_precision() {
    // (with much larger random weights a deep random spline flow becomes so ill-conditioned —
    // slopes near the 1e-3 floor, steep subnets — that rounding alone is amplified past any
    // tolerance; trained flows are far from that regime)
    type B64 = NdArray<f64>;
    for transform in [CouplingTransform::Affine, spline()] {
        let (_store, flow) = random_flow_with::<B64>(transform, 4, 1, 0.3, 5);
        let mut r = rng(6);
        let x = Tensor::<B64>::randn(&[256, 4], &mut r, &Cpu)
            .unwrap()
            .mul_scalar(2.0)
            .unwrap();
        let c = Tensor::<B64>::randn(&[256, 1], &mut r, &Cpu).unwrap();
        let (z, _) = flow.forward(&x, Some(&c), None).unwrap();
        let back = flow.inverse(&z, Some(&c)).unwrap();
        let err = max_abs_diff(&x, &back);
        assert!(err < 1e-9, "{transform:?}: max inversion error {err}");
    }
}

#[test]
fn log_determinant_matches_a_finite_difference_jacobian() {
    type B64 = NdArray<f64>;
    let cases = [
        (CouplingTransform::Affine, 2usize),
        (CouplingTransform::Affine, 3),
        (spline(), 2),
        (spline(), 3),
    ];
    for (transform, dim) in cases {
        let (_store, flow) = random_flow_with::<B64>(transform, dim, 1, 0.3, 10 + dim as u64);
        let x0 = [0.3, -0.7, 1.1];
        let c = Tensor::<B64>::from_f64(&[0.4], &[1, 1], &Cpu).unwrap();
        let at = |x: &[f64]| -> Vec<f64> {
            let t = Tensor::<B64>::from_f64(x, &[1, dim], &Cpu).unwrap();
            flow.forward(&t, Some(&c), None)
                .unwrap()
                .0
                .to_f64_vec()
                .unwrap()
        };
        let want = finite_difference_log_abs_det(at, &x0[..dim]);
        let x = Tensor::<B64>::from_f64(&x0[..dim], &[1, dim], &Cpu).unwrap();
        let log_det = flow
            .forward(&x, Some(&c), None)
            .unwrap()
            .1
            .to_scalar()
            .unwrap();
        assert!(
            (log_det - want).abs() < 1e-6,
            "dim {dim}: log det {log_det} vs {want}"
        );
    }
}

#[test]
fn density_integrates_to_one() {
    for transform in [CouplingTransform::Affine, spline()] {
        check_density(transform);
    }
}

fn check_density(transform: CouplingTransform) {
    let (_store, flow) = random_flow_with::<NdArray<f64>>(transform, 2, 0, 0.15, 4);
    let (n, lo, hi) = (300usize, -9.0, 9.0);
    let h = (hi - lo) / n as f64;
    let mut points = Vec::with_capacity(n * n * 2);
    for i in 0..n {
        for j in 0..n {
            points.push(lo + (i as f64 + 0.5) * h);
            points.push(lo + (j as f64 + 0.5) * h);
        }
    }
    let grid = Tensor::<NdArray<f64>>::from_f64(&points, &[n * n, 2], &Cpu).unwrap();
    let lp = flow.log_prob(&grid, None).unwrap().to_f64_vec().unwrap();
    let total: f64 = lp.iter().map(|v| v.exp() * h * h).sum();
    assert!(
        (total - 1.0).abs() < 0.02,
        "{transform:?}: density integrates to {total}"
    );
}

#[test]
fn affine_and_spline_couplings_learn_a_conditional_gaussian() {
    // Second moments weigh the tails, where a spline on (−3, 3) is the identity: its draws
    // there keep the base's unit scale, which alone lifts the sampled variance by about a
    // fifth here although the density is within 0.015 nats of the truth. A domain of
    // (−5, 5) keeps the conditional Gaussian inside the spline.
    let wide_spline = CouplingTransform::Spline(SplineConfig {
        bound: 5.0,
        ..SplineConfig::default()
    });
    for (name, transform, steps, lr) in [
        ("affine coupling", CouplingTransform::Affine, 1500, 2e-3),
        ("spline coupling", wide_spline, 2500, 1e-3),
    ] {
        let mut r = rng(7);
        let store = ParamStore::<NdArray>::new(Cpu);
        let config = CouplingFlowConfig {
            depth: 4,
            subnet_widths: vec![64, 64],
            dropout: 0.0,
            transform,
            ..CouplingFlowConfig::default()
        };
        let flow = config.build(&store.root(), 2, 2, &mut r).unwrap();
        crate::gaussian_fit::train(&flow, &store, steps, lr, &mut r);
        crate::gaussian_fit::assert_learned(name, &flow, 0.1, &mut r);
    }
}

#[test]
fn student_t_base_is_a_normalised_heavy_tailed_density() {
    use abi_nets::inference::BaseDistribution;
    type B64 = NdArray<f64>;
    let base = BaseDistribution::StudentT { df: 3.0 };
    // 1-D density integrates to 1 and matches the closed form at 0: Γ(2)/(Γ(1.5)√(3π))
    let n = 200_001;
    let (lo, hi) = (-400.0, 400.0);
    let h = (hi - lo) / (n - 1) as f64;
    let xs: Vec<f64> = (0..n).map(|i| lo + i as f64 * h).collect();
    let t = Tensor::<B64>::from_f64(&xs, &[n, 1], &Cpu).unwrap();
    let lp = base.log_prob(&t).unwrap().to_f64_vec().unwrap();
    let total: f64 = lp.iter().map(|v| v.exp() * h).sum();
    assert!(
        (total - 1.0).abs() < 1e-4,
        "Student-t integrates to {total}"
    );
    let at_zero = lp[n / 2].exp();
    assert!(
        (at_zero - 0.367_552_596_947_861_2).abs() < 1e-9,
        "p(0) = {at_zero}"
    );
    // a flow with that base still has a normalised density
    let mut r = rng(12);
    let store = ParamStore::<B64>::new(Cpu);
    let cfg = CouplingFlowConfig {
        depth: 2,
        subnet_widths: vec![8],
        dropout: 0.0,
        base,
        ..CouplingFlowConfig::default()
    };
    let flow = cfg.build(&store.root(), 2, 0, &mut r).unwrap();
    let draws = flow
        .sample(20_000, None, &mut r)
        .unwrap()
        .to_f64_vec()
        .unwrap();
    let beyond = draws.iter().filter(|v| v.abs() > 4.0).count() as f64 / draws.len() as f64;
    // P(|T₃| > 4) ≈ 0.028, P(|N| > 4) ≈ 6e-5
    assert!((beyond - 0.028).abs() < 0.006, "tail mass {beyond}");
}

#[test]
fn registry_builds_every_network_by_name() {
    use abi_nets::{NetworkSpec, Registry};
    let registry = Registry::<NdArray>::new();
    let mut r = rng(13);
    for name in registry.inference_names() {
        let spec = registry.resolve_inference(&NetworkSpec::new(name)).unwrap();
        let json = serde_json::to_string(&spec).unwrap();
        let back: NetworkSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, spec, "{name}");
        assert_eq!(registry.resolve_inference(&back).unwrap(), spec, "{name}");
        let store = ParamStore::<NdArray>::new(Cpu);
        let (net, _) = registry
            .build_inference(&back, &store.root().sub(name), 3, 2, &mut r)
            .unwrap();
        let c = Tensor::<NdArray>::randn(&[4, 2], &mut r, &Cpu).unwrap();
        assert_eq!(
            net.sample(5, Some(&c), &mut r).unwrap().shape(),
            vec![4, 5, 3],
            "{name}"
        );
        let v = Tensor::<NdArray>::randn(&[4, 3], &mut r, &Cpu).unwrap();
        let log_prob = net.log_prob(&v, Some(&c));
        if name == "consistency_model" {
            assert!(log_prob.is_err(), "a consistency model has no density");
        } else {
            assert_eq!(log_prob.unwrap().shape(), vec![4], "{name}");
        }
    }
    let e = registry
        .resolve_inference(&NetworkSpec::new("nope"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("coupling_flow"), "{e}");
    let e = registry
        .resolve_inference(&NetworkSpec::new("maf").set("hiden=3").unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("hiden"), "{e}");
}

#[test]
fn random_permutations_are_stored_buffers_that_loading_replaces() {
    use abi_nets::{NetworkSpec, Registry};
    let registry = Registry::<NdArray>::new();
    for name in ["coupling_flow", "maf"] {
        let build = |seed: u64| {
            let store = ParamStore::<NdArray>::new(Cpu);
            let (net, _) = registry
                .build_inference(&NetworkSpec::new(name), &store.root(), 5, 2, &mut rng(seed))
                .unwrap();
            (store, net)
        };
        let (a_store, a) = build(1);
        let (b_store, b) = build(2);
        let buffers: Vec<String> = a_store
            .params()
            .iter()
            .filter(|p| p.is_buffer())
            .map(|p| p.name().to_string())
            .collect();
        assert!(
            !buffers.is_empty() && buffers.iter().all(|n| n.ends_with("permutation.indices")),
            "{name}: {buffers:?}"
        );
        assert!(a_store.trainable_params().iter().all(|p| !p.is_buffer()));
        // b takes a's weights and buffers: it must then compute exactly what a does
        b_store.assign(&a_store.tensors(), true).unwrap();
        let v = Tensor::<NdArray>::randn(&[6, 5], &mut rng(3), &Cpu).unwrap();
        let c = Tensor::<NdArray>::randn(&[6, 2], &mut rng(4), &Cpu).unwrap();
        assert_eq!(
            a.log_prob(&v, Some(&c)).unwrap().to_f64_vec().unwrap(),
            b.log_prob(&v, Some(&c)).unwrap().to_f64_vec().unwrap(),
            "{name}"
        );
        // a buffer that is not a permutation is an error at first use, not wrong numbers
        let bad = BTreeMap::from([(
            buffers[0].clone(),
            Tensor::<NdArray>::from_f64(&[0.0, 0.0, 1.0, 2.0, 3.0], &[5], &Cpu).unwrap(),
        )]);
        b_store.assign(&bad, false).unwrap();
        let e = b.log_prob(&v, Some(&c)).unwrap_err().to_string();
        assert!(e.contains("permutation"), "{e}");
    }
}

#[test]
fn flows_expose_their_latent_codes() {
    let store = ParamStore::<NdArray>::new(Cpu);
    let flow = CouplingFlowConfig {
        depth: 2,
        subnet_widths: vec![8],
        ..CouplingFlowConfig::default()
    }
    .build(&store.root(), 3, 1, &mut rng(5))
    .unwrap();
    let v = Tensor::<NdArray>::randn(&[4, 3], &mut rng(6), &Cpu).unwrap();
    let c = Tensor::<NdArray>::randn(&[4, 1], &mut rng(7), &Cpu).unwrap();
    let z = flow.latent(&v, Some(&c)).unwrap();
    let back = flow.inverse(&z, Some(&c)).unwrap();
    let (v, back) = (v.to_f64_vec().unwrap(), back.to_f64_vec().unwrap());
    assert!(v.iter().zip(&back).all(|(a, b)| (a - b).abs() < 1e-4));
}

#[test]
fn orthogonal_mixing_is_orthogonal_invertible_and_volume_preserving() {
    use abi_nets::inference::{OrthogonalMixing, PermutationKind};
    type B64 = NdArray<f64>;
    let store = ParamStore::<B64>::new(Cpu);
    let q = OrthogonalMixing::new(&store.root().sub("q"), 4, &mut rng(20))
        .unwrap()
        .matrix()
        .unwrap();
    let qtq = q.t().unwrap().matmul(&q).unwrap().to_f64_vec().unwrap();
    for i in 0..4 {
        for j in 0..4 {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!(
                (qtq[i * 4 + j] - want).abs() < 1e-10,
                "QᵀQ[{i}][{j}] = {}",
                qtq[i * 4 + j]
            );
        }
    }
    // a flow with learned orthogonal mixing: inverse ∘ forward = identity, and the log-det
    // still matches a finite-difference Jacobian (the mixing adds nothing to it)
    let mut r = rng(21);
    let flow_store = ParamStore::<B64>::new(Cpu);
    let flow = CouplingFlowConfig {
        depth: 2,
        subnet_widths: vec![8, 8],
        dropout: 0.0,
        permutation: PermutationKind::Orthogonal,
        ..CouplingFlowConfig::default()
    }
    .build(&flow_store.root().sub("flow"), 3, 0, &mut r)
    .unwrap();
    assert!(flow_store.get("flow.0.mixing.vectors").is_some());
    for p in flow_store.params().into_iter().filter(|p| !p.is_buffer()) {
        let v = Tensor::<B64>::randn(&p.shape(), &mut r, &Cpu)
            .unwrap()
            .mul_scalar(0.3)
            .unwrap();
        p.set_value(v).unwrap();
    }
    let x0 = [0.3, -0.7, 1.1];
    let x = Tensor::<B64>::from_f64(&x0, &[1, 3], &Cpu).unwrap();
    let (z, log_det) = flow.forward(&x, None, None).unwrap();
    let back = flow.inverse(&z, None).unwrap().to_f64_vec().unwrap();
    for (a, b) in back.iter().zip(x0) {
        assert!((a - b).abs() < 1e-10, "{a} vs {b}");
    }
    let at = |v: &[f64]| {
        let t = Tensor::<B64>::from_f64(v, &[1, 3], &Cpu).unwrap();
        flow.forward(&t, None, None)
            .unwrap()
            .0
            .to_f64_vec()
            .unwrap()
    };
    let want = finite_difference_log_abs_det(at, &x0);
    let ld = log_det.to_scalar().unwrap();
    assert!((ld - want).abs() < 1e-6, "log det {ld} vs {want}");
}
