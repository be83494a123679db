//! The fusion network over several named sources: each source reaches only its backbone (and
//! honours its own mask), the outputs join in name order, gradients flow into every backbone,
//! the registry builds it with nested specs, and missing or unknown sources are errors.
#![allow(clippy::unwrap_used)]

use abi_ndarray::{Cpu, NdArray};
use abi_nets::summary::{FusionNetworkConfig, SummaryNetwork, SummarySource};
use abi_nets::{NetError, NetworkSpec, Registry, SummaryConfig};
use abi_tensor::{ParamStore, Tensor};
use rand::SeedableRng;

type B = NdArray<f64>;

fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
    rand_chacha::ChaCha8Rng::seed_from_u64(seed)
}

fn randn(shape: &[usize], seed: u64) -> Tensor<B> {
    Tensor::randn(shape, &mut rng(seed), &Cpu).unwrap()
}

/// A set source `trials` (DeepSet, 4 outputs) and a series source `series` (GRU, 3 outputs).
fn two_sources() -> FusionNetworkConfig {
    FusionNetworkConfig {
        backbones: [
            (
                "trials".to_string(),
                NetworkSpec::new("deep_set")
                    .set("summary_dim=4")
                    .unwrap()
                    .set("mlp_widths_equivariant=[8, 8]")
                    .unwrap(),
            ),
            (
                "series".to_string(),
                NetworkSpec::new("recurrent_network")
                    .set("summary_dim=3")
                    .unwrap()
                    .set("hidden_dim=[8]")
                    .unwrap(),
            ),
        ]
        .into(),
        ..FusionNetworkConfig::default()
    }
}

fn shapes() -> Vec<(String, Vec<usize>)> {
    vec![
        ("trials".to_string(), vec![7, 2]),
        ("series".to_string(), vec![5, 3]),
    ]
}

fn build(store: &ParamStore<B>) -> Box<dyn SummaryNetwork<B>> {
    two_sources()
        .build_sources(
            &store.root().sub("summary"),
            &shapes(),
            &Registry::new(),
            &mut rng(1),
        )
        .unwrap()
}

fn fuse(
    net: &dyn SummaryNetwork<B>,
    trials: &Tensor<B>,
    mask: Option<&Tensor<B>>,
    series: &Tensor<B>,
) -> Tensor<B> {
    let sources = [
        SummarySource {
            name: "series",
            x: series,
            mask: None,
        },
        SummarySource {
            name: "trials",
            x: trials,
            mask,
        },
    ];
    net.summarize_sources(&sources, None).unwrap()
}

fn max_abs_diff(a: &Tensor<B>, b: &Tensor<B>) -> f64 {
    let (a, b) = (a.to_f64_vec().unwrap(), b.to_f64_vec().unwrap());
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn each_source_reaches_only_its_backbone_in_name_order() {
    let store = ParamStore::<B>::new(Cpu);
    let net = build(&store);
    assert_eq!(net.output_dim(), 7);
    let (trials, series) = (randn(&[2, 7, 2], 2), randn(&[2, 5, 3], 3));
    let y = fuse(net.as_ref(), &trials, None, &series);
    assert_eq!(y.shape(), [2, 7]);
    // backbones join in name order: `series` (3) before `trials` (4)
    let other_series = fuse(net.as_ref(), &trials, None, &randn(&[2, 5, 3], 4));
    let (first, second) = (y.narrow(1, 0, 3).unwrap(), y.narrow(1, 3, 4).unwrap());
    assert!(max_abs_diff(&first, &other_series.narrow(1, 0, 3).unwrap()) > 1e-6);
    assert_eq!(
        max_abs_diff(&second, &other_series.narrow(1, 3, 4).unwrap()),
        0.0
    );
    // permuting the trials leaves the summary alone; the order of the sources does not matter
    let permuted = trials.index_select(1, &[3, 0, 6, 1, 5, 2, 4]).unwrap();
    assert!(max_abs_diff(&y, &fuse(net.as_ref(), &permuted, None, &series)) < 1e-10);
}

#[test]
fn a_source_mask_reaches_its_backbone() {
    let store = ParamStore::<B>::new(Cpu);
    let net = build(&store);
    let (trials, series) = (randn(&[1, 4, 2], 5), randn(&[1, 5, 3], 6));
    let want = fuse(net.as_ref(), &trials, None, &series);
    // three padded trials of noise, masked out
    let padded = Tensor::cat(
        &[
            trials.clone(),
            randn(&[1, 3, 2], 7).mul_scalar(5.0).unwrap(),
        ],
        1,
    )
    .unwrap();
    let mask = Tensor::<B>::from_f64(&[1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0], &[1, 7], &Cpu).unwrap();
    let got = fuse(net.as_ref(), &padded, Some(&mask), &series);
    assert!(max_abs_diff(&want, &got) < 1e-10);
}

#[test]
fn gradients_reach_every_backbone() {
    let store = ParamStore::<B>::new(Cpu);
    let net = build(&store);
    let (trials, series) = (randn(&[2, 7, 2], 8), randn(&[2, 5, 3], 9));
    let loss = fuse(net.as_ref(), &trials, None, &series)
        .square()
        .unwrap()
        .sum_all()
        .unwrap();
    let grads = loss.backward().unwrap();
    for prefix in ["summary.backbones.trials.", "summary.backbones.series."] {
        let reached = store
            .trainable_params()
            .iter()
            .filter(|p| p.name().starts_with(prefix))
            .any(|p| grads.get(&p.value()).is_some());
        assert!(reached, "no gradient reaches {prefix}");
    }
}

#[test]
fn the_registry_builds_a_fusion_from_nested_specs() {
    let spec = NetworkSpec::new("fusion_network")
        .set(r#"backbones.trials={"name": "deep_set", "settings": {"summary_dim": 4}}"#)
        .unwrap()
        .set(r#"backbones.series={"name": "time_series_network", "settings": {"summary_dim": 3}}"#)
        .unwrap()
        .set("head_widths=[16]")
        .unwrap()
        .set("summary_dim=5")
        .unwrap();
    let store = ParamStore::<B>::new(Cpu);
    let (net, resolved) = Registry::<B>::new()
        .build_summary_sources(&spec, &store.root().sub("summary"), &shapes(), &mut rng(1))
        .unwrap();
    assert_eq!(net.output_dim(), 5);
    assert_eq!(
        resolved.settings["backbones"]["series"]["name"],
        "time_series_network"
    );
    let y = fuse(
        net.as_ref(),
        &randn(&[3, 7, 2], 1),
        None,
        &randn(&[3, 5, 3], 2),
    );
    assert_eq!(y.shape(), [3, 5]);
}

#[test]
fn missing_and_unknown_sources_are_errors() {
    let registry = Registry::<B>::new();
    let store = ParamStore::<B>::new(Cpu);
    let path = store.root().sub("summary");
    let only_trials = vec![("trials".to_string(), vec![7, 2])];
    let err = two_sources()
        .build_sources(&path, &only_trials, &registry, &mut rng(1))
        .err()
        .unwrap();
    assert!(
        matches!(&err, NetError::Config { .. }) && err.to_string().contains("`series`"),
        "{err}"
    );
    let mut extra = shapes();
    extra.push(("weather".to_string(), vec![3]));
    let err = two_sources()
        .build_sources(&path.sub("b"), &extra, &registry, &mut rng(1))
        .err()
        .unwrap();
    assert!(err.to_string().contains("`weather`"), "{err}");
    let err = FusionNetworkConfig::default()
        .build_sources(&path.sub("c"), &shapes(), &registry, &mut rng(1))
        .err()
        .unwrap();
    assert!(err.to_string().contains("at least one backbone"), "{err}");
    // a single-input network refuses two sources, naming the way out
    let err = registry
        .build_summary_sources(
            &NetworkSpec::new("deep_set"),
            &path.sub("d"),
            &shapes(),
            &mut rng(1),
        )
        .err()
        .unwrap();
    assert!(err.to_string().contains("fusion_network"), "{err}");
    // and at run time an unnamed second source is refused
    let net = build(&ParamStore::<B>::new(Cpu));
    let (t, s) = (randn(&[1, 7, 2], 1), randn(&[1, 5, 3], 2));
    let sources = [
        SummarySource {
            name: "trials",
            x: &t,
            mask: None,
        },
        SummarySource {
            name: "rain",
            x: &s,
            mask: None,
        },
    ];
    let err = net.summarize_sources(&sources, None).unwrap_err();
    assert!(err.to_string().contains("`rain`"), "{err}");
}
