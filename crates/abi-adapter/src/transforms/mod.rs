//! The transforms of an adapter, one file per transform (or per small family).
//!
//! [`Transform`] is the persisted spec, tagged by `transform` in files. Each variant holds a
//! struct that implements the crate-internal `Step` trait — its parameter check, fitting,
//! forward map with the log-det-Jacobian from the same pass, and inverse — and the enum only
//! delegates.

mod as_set;
mod broadcast;
mod concatenate;
mod convert_dtype;
mod covariance;
pub(crate) mod custom;
mod expand_squeeze;
mod group;
mod keep_drop;
mod map;
mod nan_to_num;
mod one_hot;
mod random_subsample;
mod rename;
mod running_stats;
mod simplex;
mod split;
mod standardize;
pub(crate) mod step;
mod take;

pub use as_set::{AsSet, AsTimeSeries};
pub use broadcast::Broadcast;
pub use concatenate::Concatenate;
pub use convert_dtype::{ConvertDType, DType};
pub use covariance::AsCovarianceMatrix;
pub use custom::{Custom, CustomTransform};
pub use expand_squeeze::{ExpandDims, Squeeze};
pub use group::{Group, Ungroup};
pub use keep_drop::{Drop, Keep};
pub use map::Map;
pub use nan_to_num::{NanToNum, nan_mask_key};
pub use one_hot::OneHot;
pub use random_subsample::RandomSubsample;
pub use rename::Rename;
pub use running_stats::RunningStats;
pub use simplex::{AsSimplex, SimplexMethod};
pub use split::Split;
pub use standardize::{Moments, Standardize};
pub use take::Take;

use crate::data::Data;
use crate::error::Result;
use crate::log_det::LogDet;
use custom::CustomRegistry;
use serde::{Deserialize, Serialize};
use step::Step;

/// One step of an [`Adapter`](crate::Adapter), serialised by its `transform` tag with the
/// fields of its struct alongside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "transform", rename_all = "snake_case")]
pub enum Transform {
    /// An elementwise map of each key: constrain, log, sqrt, clip, scale, shift.
    Map(Map),
    /// `(x − mean) / std` per feature, fitted or fixed.
    Standardize(Standardize),
    /// Entries concatenated along the last axis into a new one.
    Concatenate(Concatenate),
    /// An entry split along the last axis into new ones.
    Split(Split),
    /// An entry renamed.
    Rename(Rename),
    /// Only these entries kept.
    Keep(Keep),
    /// These entries removed.
    Drop(Drop),
    /// Entries marked as sets `(batch, set size, features)`.
    AsSet(AsSet),
    /// Entries marked as time series `(batch, time, features)`.
    AsTimeSeries(AsTimeSeries),
    /// One-row entries repeated to a batch size.
    Broadcast(Broadcast),
    /// Class labels → one-hot vectors.
    OneHot(OneHot),
    /// A unit axis inserted.
    ExpandDims(ExpandDims),
    /// A unit axis removed.
    Squeeze(Squeeze),
    /// The element type converted.
    ConvertDType(ConvertDType),
    /// A registered user function.
    Custom(Custom),
    /// NaN replaced by a number, optionally with a mask entry.
    NanToNum(NanToNum),
    /// Entries collected under a group name.
    Group(Group),
    /// A group's members back as entries.
    Ungroup(Ungroup),
    /// Chosen indices along an axis.
    Take(Take),
    /// A seeded random subset of fixed size along an axis.
    RandomSubsample(RandomSubsample),
    /// Simplex points ↔ unconstrained vectors.
    AsSimplex(AsSimplex),
    /// Covariance matrices ↔ unconstrained vectors.
    AsCovarianceMatrix(AsCovarianceMatrix),
}

impl Transform {
    fn step(&self) -> &dyn Step {
        match self {
            Transform::Map(t) => t,
            Transform::Standardize(t) => t,
            Transform::Concatenate(t) => t,
            Transform::Split(t) => t,
            Transform::Rename(t) => t,
            Transform::Keep(t) => t,
            Transform::Drop(t) => t,
            Transform::AsSet(t) => t,
            Transform::AsTimeSeries(t) => t,
            Transform::Broadcast(t) => t,
            Transform::OneHot(t) => t,
            Transform::ExpandDims(t) => t,
            Transform::Squeeze(t) => t,
            Transform::ConvertDType(t) => t,
            Transform::Custom(t) => t,
            Transform::NanToNum(t) => t,
            Transform::Group(t) => t,
            Transform::Ungroup(t) => t,
            Transform::Take(t) => t,
            Transform::RandomSubsample(t) => t,
            Transform::AsSimplex(t) => t,
            Transform::AsCovarianceMatrix(t) => t,
        }
    }

    fn step_mut(&mut self) -> &mut dyn Step {
        match self {
            Transform::Map(t) => t,
            Transform::Standardize(t) => t,
            Transform::Concatenate(t) => t,
            Transform::Split(t) => t,
            Transform::Rename(t) => t,
            Transform::Keep(t) => t,
            Transform::Drop(t) => t,
            Transform::AsSet(t) => t,
            Transform::AsTimeSeries(t) => t,
            Transform::Broadcast(t) => t,
            Transform::OneHot(t) => t,
            Transform::ExpandDims(t) => t,
            Transform::Squeeze(t) => t,
            Transform::ConvertDType(t) => t,
            Transform::Custom(t) => t,
            Transform::NanToNum(t) => t,
            Transform::Group(t) => t,
            Transform::Ungroup(t) => t,
            Transform::Take(t) => t,
            Transform::RandomSubsample(t) => t,
            Transform::AsSimplex(t) => t,
            Transform::AsCovarianceMatrix(t) => t,
        }
    }

    /// The transform's name as in errors (`constrain`, `standardize`, ...; a map is named by
    /// its elementwise map).
    pub fn name(&self) -> &'static str {
        self.step().name()
    }

    /// Checks the transform's parameters (e.g. a non-zero scale, ordered bounds).
    pub fn validate(&self) -> Result<()> {
        self.step().validate()
    }

    pub(crate) fn fit(&mut self, data: &Data, merge: bool) -> Result<()> {
        self.step_mut().fit(data, merge)
    }

    pub(crate) fn forward(
        &self,
        data: &mut Data,
        custom: &CustomRegistry,
        ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        self.step().forward(data, custom, ldj)
    }

    pub(crate) fn inverse(&self, data: &mut Data, custom: &CustomRegistry) -> Result<()> {
        self.step().inverse(data, custom)
    }

    /// The transform restricted to the entries present in `data`, for inference-time data that
    /// lack some entries (e.g. conditions without parameters): keyed transforms keep only the
    /// keys present, a transform whose inputs are all absent is skipped (`None`), and a
    /// concatenation with only some of its parts present is an error naming the missing one.
    pub(crate) fn restricted_to(&self, data: &Data) -> Result<Option<Transform>> {
        let mut t = self.clone();
        Ok(t.step_mut().restrict(data)?.then_some(t))
    }
}
