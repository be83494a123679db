//! The open registries of inference and summary networks.
//!
//! A network's configuration type implements [`InferenceConfig`] or [`SummaryConfig`]
//! (serde-deserialisable, with defaults), and a [`Registry`] maps names to those types. An
//! approximator names its networks by a [`NetworkSpec`] (registry name + settings) and stores
//! the fully resolved spec in its model file, so that loading rebuilds each network through
//! the registry: a network defined in a downstream crate loads as soon as that crate
//! registers it. Unknown setting keys are rejected (every built-in configuration denies
//! unknown fields).
//!
//! ```
//! use abi_ndarray::NdArray;
//! use abi_nets::{NetworkSpec, Registry};
//! let registry = Registry::<NdArray>::new();
//! assert!(registry.inference_names().contains(&"spline_coupling_flow"));
//! let spec = registry.resolve_inference(&NetworkSpec::new("maf").set("hidden=32")?)?;
//! assert_eq!(spec.settings["hidden"], 32);
//! assert!(registry.resolve_inference(&NetworkSpec::new("maf").set("hiden=32")?).is_err());
//! # Ok::<(), abi_nets::NetError>(())
//! ```

mod spec;

pub use spec::NetworkSpec;

use crate::error::{NetError, NetResult};
use crate::inference::InferenceNetwork;
use crate::summary::SummaryNetwork;
use abi_tensor::{Backend, ParamPath};
use rand::RngCore;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The configuration of an inference network that a [`Registry`] can build by name.
pub trait InferenceConfig:
    Serialize + DeserializeOwned + Default + Clone + std::fmt::Debug + Send + Sync + 'static
{
    /// The canonical registry name.
    const NAME: &'static str;

    /// Builds the network for `dim` inference variables and `cond_dim` condition features,
    /// creating its parameters (and buffers) under `path`.
    fn build_network<B: Backend>(
        &self,
        path: &ParamPath<B>,
        dim: usize,
        cond_dim: usize,
        rng: &mut dyn RngCore,
    ) -> NetResult<Box<dyn InferenceNetwork<B>>>;
}

/// The configuration of a summary network that a [`Registry`] can build by name.
pub trait SummaryConfig:
    Serialize + DeserializeOwned + Default + Clone + std::fmt::Debug + Send + Sync + 'static
{
    /// The canonical registry name.
    const NAME: &'static str;

    /// Builds the network for data sets shaped `input_shape` (without the batch axis, e.g.
    /// `(set, dim)`), creating its parameters under `path`.
    fn build_network<B: Backend>(
        &self,
        path: &ParamPath<B>,
        input_shape: &[usize],
        rng: &mut dyn RngCore,
    ) -> NetResult<Box<dyn SummaryNetwork<B>>>;

    /// Builds the network for multi-source data: `sources` names each source and gives the
    /// shape of one of its data sets; `registry` builds nested networks by name. The default
    /// takes exactly one source and calls [`build_network`](Self::build_network).
    fn build_sources<B: Backend>(
        &self,
        path: &ParamPath<B>,
        sources: &[(String, Vec<usize>)],
        registry: &Registry<B>,
        rng: &mut dyn RngCore,
    ) -> NetResult<Box<dyn SummaryNetwork<B>>> {
        let _ = registry;
        match sources {
            [(_, shape)] => self.build_network(path, shape, rng),
            _ => Err(NetError::config(
                Self::NAME,
                format!(
                    "takes one input, got {} sources; `fusion_network` combines several",
                    sources.len()
                ),
            )),
        }
    }
}

/// Resolved settings: registered defaults merged with a spec, checked by deserialising.
type Resolve = Arc<dyn Fn(&Map<String, Value>) -> NetResult<Map<String, Value>> + Send + Sync>;
type BuildInference<B> = Arc<
    dyn Fn(
            &Map<String, Value>,
            &ParamPath<B>,
            usize,
            usize,
            &mut dyn RngCore,
        ) -> NetResult<Box<dyn InferenceNetwork<B>>>
        + Send
        + Sync,
>;
type BuildSummary<B> = Arc<
    dyn Fn(
            &Map<String, Value>,
            &ParamPath<B>,
            &[(String, Vec<usize>)],
            &Registry<B>,
            &mut dyn RngCore,
        ) -> NetResult<Box<dyn SummaryNetwork<B>>>
        + Send
        + Sync,
>;

struct Entry<F> {
    resolve: Resolve,
    build: F,
}

impl<F: Clone> Clone for Entry<F> {
    fn clone(&self) -> Self {
        Self {
            resolve: self.resolve.clone(),
            build: self.build.clone(),
        }
    }
}

/// Inference and summary networks by name, for one backend. [`Registry::new`] holds the
/// built-in networks; [`Registry::empty`] none.
pub struct Registry<B: Backend> {
    inference: BTreeMap<String, Entry<BuildInference<B>>>,
    summary: BTreeMap<String, Entry<BuildSummary<B>>>,
}

impl<B: Backend> Clone for Registry<B> {
    fn clone(&self) -> Self {
        Self {
            inference: self.inference.clone(),
            summary: self.summary.clone(),
        }
    }
}

impl<B: Backend> std::fmt::Debug for Registry<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("inference", &self.inference_names())
            .field("summary", &self.summary_names())
            .finish()
    }
}

impl<B: Backend> Default for Registry<B> {
    fn default() -> Self {
        Self::new()
    }
}

fn resolver<C: Serialize + DeserializeOwned + 'static>(
    name: &str,
    defaults: C,
) -> NetResult<Resolve> {
    let defaults = NetworkSpec::of(name, &defaults)?.settings;
    let name = name.to_string();
    Ok(Arc::new(move |settings: &Map<String, Value>| {
        let mut merged = defaults.clone();
        spec::merge_into(&mut merged, settings);
        let config: C = serde_json::from_value(Value::Object(merged.clone())).map_err(|e| {
            NetError::Settings {
                network: name.clone(),
                reason: e.to_string(),
            }
        })?;
        let resolved = NetworkSpec::of(name.clone(), &config)?.settings;
        // serde ignores some keys even where unknown fields are denied (e.g. beside the tag of
        // a unit variant): every key given must survive the round trip
        if let Some(key) = dropped_key(&merged, &resolved, "") {
            return Err(NetError::Settings {
                network: name.clone(),
                reason: format!("unknown setting `{key}` (it has no effect here)"),
            });
        }
        Ok(resolved)
    }))
}

/// The dotted path of a key of `given` that `resolved` lacks, if any.
fn dropped_key(
    given: &Map<String, Value>,
    resolved: &Map<String, Value>,
    prefix: &str,
) -> Option<String> {
    given.iter().find_map(|(k, v)| {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match (v, resolved.get(k)) {
            (_, None) => Some(path),
            (Value::Object(g), Some(Value::Object(r))) => dropped_key(g, r, &path),
            _ => None,
        }
    })
}

fn parse<C: DeserializeOwned>(name: &str, settings: &Map<String, Value>) -> NetResult<C> {
    serde_json::from_value(Value::Object(settings.clone())).map_err(|e| NetError::Settings {
        network: name.to_string(),
        reason: e.to_string(),
    })
}

impl<B: Backend> Registry<B> {
    /// A registry of the built-in networks: inference networks `coupling_flow` (affine,
    /// BayesFlow's default), `spline_coupling_flow`, `maf`, `flow_matching`,
    /// `consistency_model`; summary networks `deep_set`, `set_transformer`,
    /// `recurrent_network`, `time_series_network`, `time_series_transformer`,
    /// `fusion_network` and `flatten`.
    pub fn new() -> Self {
        let mut r = Self::empty();
        crate::builtin::register(&mut r);
        r
    }

    /// A registry without any network.
    pub fn empty() -> Self {
        Self {
            inference: BTreeMap::new(),
            summary: BTreeMap::new(),
        }
    }

    /// Registers the inference network `C` under its canonical name with its default settings.
    pub fn register_inference<C: InferenceConfig>(&mut self) -> NetResult<&mut Self> {
        self.register_inference_as(C::NAME, C::default())
    }

    /// Registers the inference network `C` under `name` with `defaults` (a preset, e.g.
    /// `spline_coupling_flow` is a coupling flow whose default transform is a spline).
    pub fn register_inference_as<C: InferenceConfig>(
        &mut self,
        name: &str,
        defaults: C,
    ) -> NetResult<&mut Self> {
        if self.inference.contains_key(name) {
            return Err(NetError::DuplicateName {
                kind: "inference",
                name: name.to_string(),
            });
        }
        let owned = name.to_string();
        let build: BuildInference<B> = Arc::new(move |settings, path, dim, cond, rng| {
            parse::<C>(&owned, settings)?.build_network(path, dim, cond, rng)
        });
        let resolve = resolver(name, defaults)?;
        self.inference
            .insert(name.to_string(), Entry { resolve, build });
        Ok(self)
    }

    /// Registers the summary network `C` under its canonical name with its default settings.
    pub fn register_summary<C: SummaryConfig>(&mut self) -> NetResult<&mut Self> {
        self.register_summary_as(C::NAME, C::default())
    }

    /// Registers the summary network `C` under `name` with `defaults`.
    pub fn register_summary_as<C: SummaryConfig>(
        &mut self,
        name: &str,
        defaults: C,
    ) -> NetResult<&mut Self> {
        if self.summary.contains_key(name) {
            return Err(NetError::DuplicateName {
                kind: "summary",
                name: name.to_string(),
            });
        }
        let owned = name.to_string();
        let build: BuildSummary<B> = Arc::new(move |settings, path, sources, registry, rng| {
            parse::<C>(&owned, settings)?.build_sources(path, sources, registry, rng)
        });
        let resolve = resolver(name, defaults)?;
        self.summary
            .insert(name.to_string(), Entry { resolve, build });
        Ok(self)
    }

    /// The registered inference networks' names, sorted.
    pub fn inference_names(&self) -> Vec<&str> {
        self.inference.keys().map(String::as_str).collect()
    }

    /// The registered summary networks' names, sorted.
    pub fn summary_names(&self) -> Vec<&str> {
        self.summary.keys().map(String::as_str).collect()
    }

    fn inference_entry(&self, name: &str) -> NetResult<&Entry<BuildInference<B>>> {
        self.inference
            .get(name)
            .ok_or_else(|| NetError::UnknownNetwork {
                kind: "inference",
                name: name.to_string(),
                known: self.inference.keys().cloned().collect(),
            })
    }

    fn summary_entry(&self, name: &str) -> NetResult<&Entry<BuildSummary<B>>> {
        self.summary
            .get(name)
            .ok_or_else(|| NetError::UnknownNetwork {
                kind: "summary",
                name: name.to_string(),
                known: self.summary.keys().cloned().collect(),
            })
    }

    /// The spec with every setting filled in from the defaults, checked against the
    /// network's configuration type (unknown keys and wrong types are errors).
    pub fn resolve_inference(&self, spec: &NetworkSpec) -> NetResult<NetworkSpec> {
        let settings = (self.inference_entry(&spec.name)?.resolve)(&spec.settings)?;
        Ok(NetworkSpec {
            name: spec.name.clone(),
            settings,
        })
    }

    /// [`resolve_inference`](Self::resolve_inference) for summary networks.
    pub fn resolve_summary(&self, spec: &NetworkSpec) -> NetResult<NetworkSpec> {
        let settings = (self.summary_entry(&spec.name)?.resolve)(&spec.settings)?;
        Ok(NetworkSpec {
            name: spec.name.clone(),
            settings,
        })
    }

    /// Builds the inference network of `spec` under `path`; returns it with the resolved
    /// spec (the one to store in a model file).
    pub fn build_inference(
        &self,
        spec: &NetworkSpec,
        path: &ParamPath<B>,
        dim: usize,
        cond_dim: usize,
        rng: &mut dyn RngCore,
    ) -> NetResult<(Box<dyn InferenceNetwork<B>>, NetworkSpec)> {
        let resolved = self.resolve_inference(spec)?;
        let entry = self.inference_entry(&spec.name)?;
        let net = (entry.build)(&resolved.settings, path, dim, cond_dim, rng)?;
        Ok((net, resolved))
    }

    /// Builds the summary network of `spec` for inputs shaped `input_shape` (without the
    /// batch axis) under `path`; returns it with the resolved spec.
    pub fn build_summary(
        &self,
        spec: &NetworkSpec,
        path: &ParamPath<B>,
        input_shape: &[usize],
        rng: &mut dyn RngCore,
    ) -> NetResult<(Box<dyn SummaryNetwork<B>>, NetworkSpec)> {
        self.build_summary_sources(spec, path, &[(String::new(), input_shape.to_vec())], rng)
    }

    /// Builds the summary network of `spec` for multi-source data (each source's name and
    /// data-set shape, see [`SummaryConfig::build_sources`]) under `path`; returns it with the
    /// resolved spec.
    pub fn build_summary_sources(
        &self,
        spec: &NetworkSpec,
        path: &ParamPath<B>,
        sources: &[(String, Vec<usize>)],
        rng: &mut dyn RngCore,
    ) -> NetResult<(Box<dyn SummaryNetwork<B>>, NetworkSpec)> {
        let resolved = self.resolve_summary(spec)?;
        let entry = self.summary_entry(&spec.name)?;
        let net = (entry.build)(&resolved.settings, path, sources, self, rng)?;
        Ok((net, resolved))
    }
}

/// Implements [`InferenceConfig`] for a settings type whose inherent
/// `build(&self, path, dim, cond_dim, rng) -> NetResult<Network<B>>` builds the network.
macro_rules! inference_config {
    ($config:ty, $name:literal) => {
        impl $crate::registry::InferenceConfig for $config {
            const NAME: &'static str = $name;

            fn build_network<B: abi_tensor::Backend>(
                &self,
                path: &abi_tensor::ParamPath<B>,
                dim: usize,
                cond_dim: usize,
                mut rng: &mut dyn rand::RngCore,
            ) -> $crate::error::NetResult<Box<dyn $crate::inference::InferenceNetwork<B>>> {
                Ok(Box::new(self.build(path, dim, cond_dim, &mut rng)?))
            }
        }
    };
}
pub(crate) use inference_config;
