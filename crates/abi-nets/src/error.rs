//! [`NetError`]: what can go wrong configuring and building networks.

use abi_tensor::TensorError;

/// Errors of network configuration, the registries and building.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// A tensor operation failed while building.
    #[error(transparent)]
    Tensor(#[from] TensorError),
    /// Settings that no network of this kind can be built with.
    #[error("{network}: {reason}")]
    Config {
        /// the network, e.g. `CouplingFlow`
        network: &'static str,
        /// what is wrong, with the values
        reason: String,
    },
    /// A name the registry does not know.
    #[error("unknown {kind} network `{name}`; registered: {known:?}")]
    UnknownNetwork {
        /// `inference` or `summary`
        kind: &'static str,
        /// the name asked for
        name: String,
        /// the names the registry knows
        known: Vec<String>,
    },
    /// A name registered twice.
    #[error("a {kind} network named `{name}` is registered already")]
    DuplicateName {
        /// `inference` or `summary`
        kind: &'static str,
        /// the name
        name: String,
    },
    /// Settings that do not deserialise into the network's configuration (unknown keys,
    /// wrong types), or an override that is not `key=value`.
    #[error("settings of `{network}`: {reason}")]
    Settings {
        /// the registry name
        network: String,
        /// what serde or the parser said
        reason: String,
    },
}

/// Results of building networks.
pub type NetResult<T> = std::result::Result<T, NetError>;

impl NetError {
    /// A configuration error of `network`.
    pub fn config(network: &'static str, reason: impl Into<String>) -> Self {
        NetError::Config {
            network,
            reason: reason.into(),
        }
    }
}
