use super::spline::SplineConfig;
use super::{
    ConsistencyModelConfig, CouplingFlowConfig, CouplingTransform, FlowMatchingConfig,
    InferenceNetwork, MafConfig,
};
use abi_tensor::{Backend, ParamPath, Result, TensorError};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Any built-in inference network's settings, serialisable under its name, so that an
/// approximator saved as JSON rebuilds its network.
///
/// ```
/// use abi_nets::inference::InferenceNetworkConfig;
/// let cfg = InferenceNetworkConfig::from_name("flow_matching").unwrap();
/// let json = serde_json::to_string(&cfg).unwrap();
/// assert!(json.starts_with(r#"{"network":"flow_matching""#));
/// assert_eq!(serde_json::from_str::<InferenceNetworkConfig>(&json).unwrap(), cfg);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "network", rename_all = "snake_case")]
pub enum InferenceNetworkConfig {
    /// [`CouplingFlow`](super::CouplingFlow).
    CouplingFlow(CouplingFlowConfig),
    /// [`FlowMatching`](super::FlowMatching).
    FlowMatching(FlowMatchingConfig),
    /// [`Maf`](super::Maf).
    Maf(MafConfig),
    /// [`ConsistencyModel`](super::ConsistencyModel).
    ConsistencyModel(ConsistencyModelConfig),
}

impl InferenceNetworkConfig {
    /// The names [`InferenceNetworkConfig::from_name`] knows.
    pub const NAMES: [&'static str; 5] = [
        "coupling_flow",
        "spline_coupling_flow",
        "flow_matching",
        "maf",
        "consistency_model",
    ];

    /// Default settings by name.
    pub fn from_name(name: &str) -> Result<Self> {
        Ok(match name {
            "coupling_flow" => Self::CouplingFlow(CouplingFlowConfig::default()),
            "spline_coupling_flow" => Self::CouplingFlow(CouplingFlowConfig {
                transform: CouplingTransform::Spline(SplineConfig::default()),
                ..CouplingFlowConfig::default()
            }),
            "flow_matching" => Self::FlowMatching(FlowMatchingConfig::default()),
            "maf" => Self::Maf(MafConfig::default()),
            "consistency_model" => Self::ConsistencyModel(ConsistencyModelConfig::default()),
            other => {
                return Err(TensorError::InvalidArgument {
                    op: "InferenceNetworkConfig::from_name",
                    reason: format!(
                        "unknown inference network `{other}`; known: {:?}",
                        Self::NAMES
                    ),
                });
            }
        })
    }

    /// Builds the network for `dim` inference variables and `cond_dim` condition features.
    pub fn build<B: Backend>(
        &self,
        path: &ParamPath<B>,
        dim: usize,
        cond_dim: usize,
        rng: &mut impl Rng,
    ) -> Result<Box<dyn InferenceNetwork<B>>> {
        Ok(match self {
            Self::CouplingFlow(c) => Box::new(c.build(path, dim, cond_dim, rng)?),
            Self::FlowMatching(c) => Box::new(c.build(path, dim, cond_dim, rng)?),
            Self::Maf(c) => Box::new(c.build(path, dim, cond_dim, rng)?),
            Self::ConsistencyModel(c) => Box::new(c.build(path, dim, cond_dim, rng)?),
        })
    }
}
