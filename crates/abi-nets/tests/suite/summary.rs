//! Every summary network through the summary kit, and a broken one that the kit rejects.
#![allow(clippy::unwrap_used)]

use crate::summary_kit::{self, Kind};
use abi_nets::NetworkSpec;
use abi_nets::summary::{
    DeepSetConfig, FusionNetworkConfig, Pooling, RecurrentNetworkConfig, RecurrentType,
    SetTransformerConfig, SummaryNetwork, TimeSeriesNetworkConfig, TimeSeriesTransformerConfig,
};
use abi_nets::{NetResult, SummaryConfig};
use abi_tensor::{Backend, ParamPath, Result, Tensor};
use rand::RngCore;
use serde::{Deserialize, Serialize};

fn passes<C: SummaryConfig>(config: C, kind: Kind) {
    if let Err(e) = summary_kit::check_all(&config, kind) {
        panic!("{} fails the summary kit: {e}", C::NAME);
    }
}

#[test]
fn deep_set_passes_the_summary_kit() {
    passes(DeepSetConfig::default(), Kind::Set);
}

#[test]
fn deep_set_with_attention_and_max_pooling_passes_the_summary_kit() {
    let config = DeepSetConfig {
        inner_pooling: Pooling::Max,
        output_pooling: Pooling::Pma,
        depth: 1,
        ..DeepSetConfig::default()
    };
    passes(config, Kind::Set);
}

#[test]
fn set_transformer_passes_the_summary_kit() {
    passes(SetTransformerConfig::default(), Kind::Set);
}

#[test]
fn set_transformer_with_inducing_points_and_two_seeds_passes_the_summary_kit() {
    let config = SetTransformerConfig {
        num_inducing_points: Some(3),
        num_seeds: 2,
        seed_dim: Some(8),
        ..SetTransformerConfig::default()
    };
    passes(config, Kind::Set);
}

#[test]
fn recurrent_network_passes_the_summary_kit() {
    passes(RecurrentNetworkConfig::default(), Kind::Sequence);
}

#[test]
fn recurrent_network_with_lstm_and_explicit_times_passes_the_summary_kit() {
    let config = RecurrentNetworkConfig {
        recurrent_type: RecurrentType::Lstm,
        hidden_dim: vec![16],
        bidirectional: false,
        time_axis: Some(0),
        ..RecurrentNetworkConfig::default()
    };
    passes(config, Kind::Sequence);
}

#[test]
fn time_series_network_passes_the_summary_kit() {
    passes(TimeSeriesNetworkConfig::default(), Kind::Sequence);
}

#[test]
fn time_series_network_with_strided_convolutions_and_lstm_passes_the_summary_kit() {
    let config = TimeSeriesNetworkConfig {
        filters: vec![8, 8],
        kernel_sizes: vec![3, 2],
        strides: vec![1, 2],
        recurrent_type: RecurrentType::Lstm,
        recurrent_dim: 16,
        skip_steps: 2,
        ..TimeSeriesNetworkConfig::default()
    };
    passes(config, Kind::Sequence);
}

#[test]
fn a_one_backbone_fusion_network_with_a_head_passes_the_summary_kit() {
    let config = FusionNetworkConfig {
        backbones: [(
            "trials".to_string(),
            NetworkSpec::new("deep_set")
                .set("summary_dim=6")
                .unwrap()
                .set("mlp_widths_equivariant=[16, 16]")
                .unwrap(),
        )]
        .into(),
        head_widths: vec![12],
        summary_dim: Some(5),
        ..FusionNetworkConfig::default()
    };
    passes(config, Kind::Set);
}

#[test]
fn time_series_transformer_passes_the_summary_kit() {
    passes(TimeSeriesTransformerConfig::default(), Kind::Sequence);
}

/// Mean pooling that forgets the mask: permutation invariant, but padding leaks in.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct UnmaskedMeanConfig {}

struct UnmaskedMean;

impl<B: Backend> SummaryNetwork<B> for UnmaskedMean {
    fn output_dim(&self) -> usize {
        3
    }

    fn summarize(&self, x: &Tensor<B>, _mask: Option<&Tensor<B>>) -> Result<Tensor<B>> {
        x.mean(&[1], false)?.tanh()
    }
}

impl SummaryConfig for UnmaskedMeanConfig {
    const NAME: &'static str = "unmasked_mean";

    fn build_network<B: Backend>(
        &self,
        _path: &ParamPath<B>,
        _input_shape: &[usize],
        _rng: &mut dyn RngCore,
    ) -> NetResult<Box<dyn SummaryNetwork<B>>> {
        Ok(Box::new(UnmaskedMean))
    }
}

#[test]
fn a_summary_network_that_ignores_the_mask_fails_the_summary_kit() {
    let config = UnmaskedMeanConfig {};
    // it passes the checks that do not involve padding ...
    summary_kit::output_shape(&config).unwrap();
    summary_kit::symmetry(&config, Kind::Set).unwrap();
    summary_kit::input_gradient(&config).unwrap();
    // ... and fails mask invariance, so the whole kit fails
    let err = summary_kit::mask_invariance(&config, Kind::Set).unwrap_err();
    assert!(err.contains("differs from its unpadded summary"), "{err}");
    assert!(summary_kit::check_all(&config, Kind::Set).is_err());
}
