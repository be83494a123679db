//! Saving and loading a [`ContinuousApproximator`], and the model kinds that wrap one.

use super::{ApproximatorSpec, ContinuousApproximator, KIND};
use crate::error::{ApproxError, Result};
use crate::parts::persist::{self, LoadOptions, ModelParts};
use abi_nets::Registry;
use abi_tensor::Backend;
use serde::Serialize;
use std::path::Path;

impl<B: Backend> ContinuousApproximator<B> {
    /// Writes the model to the folder `dir` (see [`crate::parts::persist`]); an error when a
    /// network has no spec to rebuild it from.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        self.save_as(dir.as_ref(), KIND, &self.spec)
    }

    /// Writes the model under `kind` with `spec`, the spec of an approximator that wraps
    /// this one and holds its [`ApproximatorSpec`].
    pub(crate) fn save_as<S: Serialize>(&self, dir: &Path, kind: &str, spec: &S) -> Result<()> {
        if self.spec.inference_network.is_none()
            || self.spec.layout.has_summary_input() && self.spec.summary_network.is_none()
        {
            return Err(ApproxError::Config(
                "a network given ready-made has no spec to rebuild it from; name it with \
                 with_network_specs before saving"
                    .into(),
            ));
        }
        persist::save_model(
            dir,
            &ModelParts {
                kind,
                adapter: &self.adapter,
                spec,
                store: &self.store,
                optimizer: self.optimizer.as_deref().map(|o| o as _),
                train_config: self.train_config.as_ref(),
                history: &self.history,
            },
        )
    }

    /// Loads a model saved by [`save`](Self::save) onto `device`, rebuilding its networks
    /// from the built-in registry.
    pub fn load(dir: impl AsRef<Path>, device: &B::Device) -> Result<Self> {
        Self::load_with(dir, device, &LoadOptions::new())
    }

    /// Loads a model with the networks of `options`' registry and its custom adapter
    /// functions. The weights and buffers must match the rebuilt networks exactly; another
    /// format, a newer version, a missing file, an unknown network or mismatched weights are
    /// errors naming the file.
    pub fn load_with(
        dir: impl AsRef<Path>,
        device: &B::Device,
        options: &LoadOptions<B>,
    ) -> Result<Self> {
        let (approx, _) = Self::load_as::<ApproximatorSpec>(
            dir.as_ref(),
            device,
            options,
            options.registry(),
            KIND,
            Clone::clone,
        )?;
        Ok(approx)
    }

    /// Loads a model saved by [`save_as`](Self::save_as) under `kind`, rebuilding this
    /// approximator through `registry` from the part of the spec that `inner` picks; returns
    /// the whole spec.
    pub(crate) fn load_as<S: serde::de::DeserializeOwned>(
        dir: &Path,
        device: &B::Device,
        options: &LoadOptions<B>,
        registry: &Registry<B>,
        kind: &str,
        inner: impl Fn(&S) -> ApproximatorSpec,
    ) -> Result<(Self, S)> {
        let (adapter, file) = persist::read_model::<B, S>(dir, kind, options)?;
        let mut approx = Self::from_spec(adapter, inner(&file.spec), device, registry)?;
        persist::load_weights(dir, &approx.store)?;
        approx.history = file.history;
        approx.train_config = file.train_config;
        Ok((approx, file.spec))
    }
}
