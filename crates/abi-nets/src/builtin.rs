//! The built-in networks' registrations.

use crate::inference::spline::SplineConfig;
use crate::inference::{
    ConsistencyModelConfig, CouplingFlowConfig, CouplingTransform, FlowMatchingConfig, MafConfig,
};
use crate::registry::Registry;
use crate::summary::{
    DeepSetConfig, FlattenConfig, FusionNetworkConfig, RecurrentNetworkConfig,
    SetTransformerConfig, TimeSeriesNetworkConfig, TimeSeriesTransformerConfig,
};
use abi_tensor::Backend;

/// Registers every built-in network in an empty registry.
pub(crate) fn register<B: Backend>(r: &mut Registry<B>) {
    // the names are distinct constants, so none of these can collide
    let spline = CouplingFlowConfig {
        transform: CouplingTransform::Spline(SplineConfig::default()),
        ..CouplingFlowConfig::default()
    };
    let results = [
        r.register_inference::<CouplingFlowConfig>().map(|_| ()),
        r.register_inference_as("spline_coupling_flow", spline)
            .map(|_| ()),
        r.register_inference::<MafConfig>().map(|_| ()),
        r.register_inference::<FlowMatchingConfig>().map(|_| ()),
        r.register_inference::<ConsistencyModelConfig>().map(|_| ()),
        r.register_summary::<FlattenConfig>().map(|_| ()),
        r.register_summary::<DeepSetConfig>().map(|_| ()),
        r.register_summary::<SetTransformerConfig>().map(|_| ()),
        r.register_summary::<RecurrentNetworkConfig>().map(|_| ()),
        r.register_summary::<TimeSeriesNetworkConfig>().map(|_| ()),
        r.register_summary::<TimeSeriesTransformerConfig>()
            .map(|_| ()),
        r.register_summary::<FusionNetworkConfig>().map(|_| ()),
    ];
    debug_assert!(results.iter().all(Result::is_ok));
}

#[cfg(test)]
mod tests {
    use abi_ndarray::NdArray;

    #[test]
    fn every_builtin_is_registered() {
        let r = crate::Registry::<NdArray>::new();
        assert_eq!(
            r.inference_names(),
            [
                "consistency_model",
                "coupling_flow",
                "flow_matching",
                "maf",
                "spline_coupling_flow"
            ]
        );
        assert_eq!(
            r.summary_names(),
            [
                "deep_set",
                "flatten",
                "fusion_network",
                "recurrent_network",
                "set_transformer",
                "time_series_network",
                "time_series_transformer"
            ]
        );
    }
}
