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

    /// [`save`](Self::save) with further files (name and bytes) written into the same unit:
    /// a save killed at any point leaves all of the old folder or all of the new one.
    pub fn save_with(&self, dir: impl AsRef<Path>, extra: &[(&str, &[u8])]) -> Result<()> {
        self.check_savable()?;
        persist::save_model_with(dir, &self.parts(KIND, &self.spec), extra)
    }

    /// Writes the model's files under `kind` with `spec` (see [`save_as`](Self::save_as))
    /// into the existing folder `dir`, not as a unit: for a model saved inside a larger
    /// staged folder.
    pub(crate) fn write_as<S: Serialize>(&self, dir: &Path, kind: &str, spec: &S) -> Result<()> {
        self.check_savable()?;
        persist::write_model(dir, &self.parts(kind, spec))
    }

    /// [`write_as`](Self::write_as) with this approximator's own kind and spec.
    pub(crate) fn write_into(&self, dir: &Path) -> Result<()> {
        self.write_as(dir, KIND, &self.spec)
    }

    fn parts<'a, S>(&'a self, kind: &'a str, spec: &'a S) -> ModelParts<'a, B, S> {
        ModelParts {
            kind,
            adapter: &self.adapter,
            spec,
            store: &self.store,
            optimizer: self.optimizer.as_deref().map(|o| o as _),
            train_config: self.train_config.as_ref(),
            history: &self.history,
        }
    }

    fn check_savable(&self) -> Result<()> {
        if self.spec.inference_network.is_none()
            || self.spec.layout.has_summary_input() && self.spec.summary_network.is_none()
        {
            return Err(ApproxError::Config(
                "a network given ready-made has no spec to rebuild it from; name it with \
                 with_network_specs before saving"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Writes the model under `kind` with `spec`, the spec of an approximator that wraps
    /// this one and holds its [`ApproximatorSpec`].
    pub(crate) fn save_as<S: Serialize>(&self, dir: &Path, kind: &str, spec: &S) -> Result<()> {
        self.check_savable()?;
        persist::save_model(dir, &self.parts(kind, spec))
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
        let max_elements = persist::weight_elements_at_most(dir)?;
        let mut approx =
            Self::from_spec_within(adapter, inner(&file.spec), device, registry, max_elements)?;
        persist::load_weights(dir, &file, &approx.store)?;
        approx.history = file.history;
        approx.train_config = file.train_config;
        Ok((approx, file.spec))
    }
}
