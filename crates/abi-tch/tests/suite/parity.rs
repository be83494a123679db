//! Parity with the default backend: the same networks with the same weights (written by
//! `abi-ndarray`, read by `abi-tch` through safetensors) give the same outputs,
//! log-densities, samples and gradients on both.
#![allow(clippy::unwrap_used)] // helpers of tests panic on failure by design

use abi_ndarray::{Cpu, NdArray};
use abi_nets::InferenceConfig;
use abi_nets::inference::ode::OdeSolver;
use abi_nets::inference::spline::SplineConfig;
use abi_nets::{
    Activation, CouplingFlowConfig, CouplingTransform, FlowMatchingConfig, MafConfig, Mlp,
    MlpConfig, Mode, MultiHeadAttention,
};
use abi_tch::Tch;
use abi_tensor::{Backend, ParamStore, Tensor};
use rand::SeedableRng;

type Nd = NdArray<f32>;
type Th = Tch<f32>;

const TOL: f64 = 1e-4;

fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

/// `‖a − b‖ / max(‖b‖, 1)` must stay below [`TOL`], element counts equal.
fn assert_close(what: &str, a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    let diff: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 - *y as f64).powi(2))
        .sum::<f64>()
        .sqrt();
    let norm: f64 = b.iter().map(|y| (*y as f64).powi(2)).sum::<f64>().sqrt();
    let rel = diff / norm.max(1.0);
    assert!(
        rel <= TOL,
        "{what}: relative difference {rel:.2e} (norm {norm:.3})"
    );
    assert!(a.iter().all(|v| v.is_finite()), "{what}: non-finite values");
}

fn values<B: Backend>(x: &Tensor<B>) -> Vec<f32> {
    x.to_f64_vec()
        .unwrap()
        .into_iter()
        .map(|v| v as f32)
        .collect()
}

/// Random weights on ndarray (zero-initialised output layers included, so every layer acts),
/// saved, and loaded into the same architecture built on libtorch. Both are built from the
/// same seed, which fixes what is not a weight (the flows' random permutations); the
/// weights reach libtorch only through the file.
fn twin_stores(
    build_nd: impl FnOnce(&ParamStore<Nd>),
    build_th: impl FnOnce(&ParamStore<Th>),
) -> (ParamStore<Nd>, ParamStore<Th>) {
    let nd = ParamStore::<Nd>::new(Cpu);
    build_nd(&nd);
    let mut r = rng(99);
    // random weights; the buffers (stored permutations) keep their values
    for p in nd.params().into_iter().filter(|p| !p.is_buffer()) {
        let v = Tensor::<Nd>::randn(&p.shape(), &mut r, &Cpu)
            .unwrap()
            .mul_scalar(0.3)
            .unwrap();
        p.set_value(v).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("weights.safetensors");
    nd.save(&file).unwrap();
    let th = ParamStore::<Th>::new(crate::cpu());
    build_th(&th);
    th.load(&file).unwrap();
    (nd, th)
}

fn inputs<B: Backend>(device: &B::Device) -> (Tensor<B>, Tensor<B>) {
    let mut r = rng(5);
    let v = Tensor::<B>::randn(&[48, 3], &mut r, device).unwrap();
    let c = Tensor::<B>::randn(&[48, 2], &mut r, device).unwrap();
    (v, c)
}

fn check_network<C: InferenceConfig>(name: &str, config: C) {
    let mut nets_nd = None;
    let mut nets_th = None;
    let (nd, th) = twin_stores(
        |s| {
            nets_nd = Some(
                config
                    .build_network(&s.root().sub("net"), 3, 2, &mut rng(1))
                    .unwrap(),
            )
        },
        |s| {
            nets_th = Some(
                config
                    .build_network(&s.root().sub("net"), 3, 2, &mut rng(1))
                    .unwrap(),
            )
        },
    );
    let (net_nd, net_th) = (nets_nd.unwrap(), nets_th.unwrap());
    let (v_nd, c_nd) = inputs::<Nd>(&Cpu);
    let (v_th, c_th) = inputs::<Th>(&crate::cpu());

    let lp_nd = net_nd.log_prob(&v_nd, Some(&c_nd));
    let lp_th = net_th.log_prob(&v_th, Some(&c_th));
    match (lp_nd, lp_th) {
        (Ok(a), Ok(b)) => assert_close(&format!("{name} log_prob"), &values(&b), &values(&a)),
        (Err(_), Err(_)) => {} // no density (none here, but a point estimator would)
        (a, b) => panic!(
            "{name}: log_prob differs in kind: {:?} vs {:?}",
            a.is_ok(),
            b.is_ok()
        ),
    }

    let draws_nd = net_nd.sample(4, Some(&c_nd), &mut rng(7)).unwrap();
    let draws_th = net_th.sample(4, Some(&c_th), &mut rng(7)).unwrap();
    assert_eq!(draws_nd.shape(), draws_th.shape());
    assert_close(
        &format!("{name} samples"),
        &values(&draws_th),
        &values(&draws_nd),
    );

    let loss_nd = net_nd
        .loss(&v_nd, Some(&c_nd), Mode::Eval, &mut rng(11))
        .unwrap();
    let loss_th = net_th
        .loss(&v_th, Some(&c_th), Mode::Eval, &mut rng(11))
        .unwrap();
    assert_close(
        &format!("{name} loss"),
        &values(&loss_th),
        &values(&loss_nd),
    );
    let g_nd = loss_nd.backward().unwrap();
    let g_th = loss_th.backward().unwrap();
    let mut compared = 0;
    for (p_nd, p_th) in nd.params().iter().zip(th.params()) {
        assert_eq!(p_nd.name(), p_th.name());
        let a = g_nd.get(&p_nd.value());
        let b = g_th.get(&p_th.value());
        assert_eq!(
            a.is_some(),
            b.is_some(),
            "{name}: gradient of {} on one side only",
            p_nd.name()
        );
        if let (Some(a), Some(b)) = (a, b) {
            assert_close(
                &format!("{name} ∂loss/∂{}", p_nd.name()),
                &values(&b),
                &values(&a),
            );
            compared += 1;
        }
    }
    assert!(compared > 0, "{name}: no gradients compared");
}

#[test]
fn coupling_flows_agree() {
    for transform in [
        CouplingTransform::Affine,
        CouplingTransform::Spline(SplineConfig::default()),
    ] {
        let config = CouplingFlowConfig {
            depth: 2,
            subnet_widths: vec![16, 16],
            dropout: 0.0,
            transform,
            ..CouplingFlowConfig::default()
        };
        check_network("coupling flow", config);
    }
}

#[test]
fn masked_autoregressive_flow_agrees() {
    let config = MafConfig {
        transforms: 2,
        hidden: 16,
        ..MafConfig::default()
    };
    check_network("maf", config);
}

#[test]
fn flow_matching_agrees() {
    let config = FlowMatchingConfig {
        widths: vec![32, 32],
        solver: OdeSolver::Rk4 { steps: 8 },
        ..FlowMatchingConfig::default()
    };
    check_network("flow matching", config);
}

/// A DeepSet-style set encoder (shared per-element MLP, mean pooling, MLP on the pooled
/// features) and a multi-head attention block over the same sets.
struct SetEncoder<B: Backend> {
    phi: Mlp<B>,
    rho: Mlp<B>,
    attention: MultiHeadAttention<B>,
}

impl<B: Backend> SetEncoder<B> {
    fn build(store: &ParamStore<B>) -> Self {
        let mut r = rng(3);
        let mlp = |widths: Vec<usize>| MlpConfig::new(widths).activation(Activation::Silu);
        Self {
            phi: mlp(vec![3, 16, 16])
                .build(&store.root().sub("phi"), &mut r)
                .unwrap(),
            rho: mlp(vec![16, 16, 4])
                .build(&store.root().sub("rho"), &mut r)
                .unwrap(),
            attention: MultiHeadAttention::new(&store.root().sub("attention"), 3, 2, 4, &mut r)
                .unwrap(),
        }
    }

    /// `(batch, set, 3)` → `(batch, 4 + 3)`: pooled DeepSet summary and pooled attention.
    fn forward(&self, x: &Tensor<B>) -> Tensor<B> {
        let s = x.shape();
        let flat = x.reshape(&[s[0] * s[1], s[2]]).unwrap();
        let h = self
            .phi
            .forward(&flat)
            .unwrap()
            .reshape(&[s[0], s[1], 16])
            .unwrap();
        let pooled = h.mean(&[1], false).unwrap();
        let deep_set = self.rho.forward(&pooled).unwrap();
        let attended = self
            .attention
            .forward(x, x, None)
            .unwrap()
            .mean(&[1], false)
            .unwrap();
        Tensor::cat(&[deep_set, attended], 1).unwrap()
    }
}

#[test]
fn set_encoders_agree() {
    let mut enc_nd = None;
    let mut enc_th = None;
    let (nd, th) = twin_stores(
        |s| enc_nd = Some(SetEncoder::build(s)),
        |s| enc_th = Some(SetEncoder::build(s)),
    );
    let (enc_nd, enc_th) = (enc_nd.unwrap(), enc_th.unwrap());
    let x_nd = Tensor::<Nd>::randn(&[8, 10, 3], &mut rng(4), &Cpu).unwrap();
    let x_th = Tensor::<Th>::randn(&[8, 10, 3], &mut rng(4), &crate::cpu()).unwrap();
    let (y_nd, y_th) = (enc_nd.forward(&x_nd), enc_th.forward(&x_th));
    assert_close("set encoder output", &values(&y_th), &values(&y_nd));
    let l_nd = y_nd.square().unwrap().mean_all().unwrap();
    let l_th = y_th.square().unwrap().mean_all().unwrap();
    let (g_nd, g_th) = (l_nd.backward().unwrap(), l_th.backward().unwrap());
    for (p_nd, p_th) in nd.params().iter().zip(th.params()) {
        let a = g_nd.get(&p_nd.value()).unwrap();
        let b = g_th.get(&p_th.value()).unwrap();
        assert_close(
            &format!("set encoder ∂/∂{}", p_nd.name()),
            &values(&b),
            &values(&a),
        );
    }
}

#[test]
fn nan_inputs_and_bad_shapes_are_errors_not_crashes() {
    let device = crate::cpu();
    let a = Tensor::<Th>::zeros(&[2, 3], &device).unwrap();
    let bad = Tensor::<Th>::from_f64(&[0.0, 7.0], &[1, 2], &device).unwrap();
    assert!(a.gather(1, &bad).is_err());
    assert!(a.matmul(&a).is_err());
    let nan = Tensor::<Th>::from_f64(&[f64::NAN], &[1], &device).unwrap();
    assert!(nan.exp().unwrap().to_f64_vec().unwrap()[0].is_nan());
}
