//! The builder methods of [`Adapter`], in BayesFlow's vocabulary: each appends one transform.
//! Parameters are checked when the adapter is used (or by [`Adapter::validate`]), so a bad
//! one is a typed error, never a panic.

use crate::adapter::Adapter;
use crate::elementwise::{Clip, Constrain, ConstrainMethod, Elementwise, Log, Scale, Shift, Sqrt};
use crate::transforms::{
    AsCovarianceMatrix, AsSet, AsSimplex, AsTimeSeries, Broadcast, Concatenate, ConvertDType,
    Custom, CustomTransform, DType, Drop, ExpandDims, Group, Keep, Map, Moments, NanToNum, OneHot,
    RandomSubsample, Rename, SimplexMethod, Split, Squeeze, Standardize, Take, Transform, Ungroup,
};
use std::collections::BTreeMap;
use std::sync::Arc;

fn keys<S: AsRef<str>>(ks: &[S]) -> Vec<String> {
    ks.iter().map(|k| k.as_ref().to_string()).collect()
}

impl Adapter {
    fn map<S: AsRef<str>>(self, ks: &[S], map: Elementwise) -> Self {
        self.push(Transform::Map(Map {
            keys: keys(ks),
            map,
        }))
    }

    /// Converts entries to another element type.
    pub fn convert_dtype<S: AsRef<str>>(self, ks: &[S], dtype: DType) -> Self {
        self.push(Transform::ConvertDType(ConvertDType {
            keys: keys(ks),
            dtype,
        }))
    }

    /// Maps bounded entries to the real line: `lower` and/or `upper` bound, with the default
    /// map (logit for two bounds, inverse softplus for one).
    pub fn constrain<S: AsRef<str>>(
        self,
        ks: &[S],
        lower: Option<f64>,
        upper: Option<f64>,
    ) -> Self {
        self.map(
            ks,
            Elementwise::Constrain(Constrain {
                lower,
                upper,
                method: None,
            }),
        )
    }

    /// [`Adapter::constrain`] with a chosen map: `Sigmoid` or `Tanh` for two bounds,
    /// `Softplus` or `Exp` for one.
    pub fn constrain_with<S: AsRef<str>>(
        self,
        ks: &[S],
        lower: Option<f64>,
        upper: Option<f64>,
        method: ConstrainMethod,
    ) -> Self {
        let method = Some(method);
        self.map(
            ks,
            Elementwise::Constrain(Constrain {
                lower,
                upper,
                method,
            }),
        )
    }

    /// `(x − mean) / std` per feature, statistics from [`Adapter::fit`] /
    /// [`Adapter::partial_fit`].
    pub fn standardize<S: AsRef<str>>(self, ks: &[S]) -> Self {
        self.push(Transform::Standardize(Standardize {
            keys: keys(ks),
            stats: BTreeMap::new(),
            fixed: None,
            mask: None,
        }))
    }

    /// [`standardize`](Self::standardize) of padded data: the entry `mask` (1 for a real
    /// element, 0 for padding, shaped like the data without its last axis) keeps padded
    /// elements out of the statistics, and they stay 0.
    pub fn standardize_masked<S: AsRef<str>>(self, ks: &[S], mask: &str) -> Self {
        self.push(Transform::Standardize(Standardize {
            keys: keys(ks),
            stats: BTreeMap::new(),
            fixed: None,
            mask: Some(mask.to_string()),
        }))
    }

    /// `(x − mean) / std` per feature with fixed, user-given moments (one value for all
    /// features, or one per feature; `std` positive); fitting leaves them unchanged.
    pub fn standardize_fixed<S: AsRef<str>>(self, ks: &[S], mean: &[f64], std: &[f64]) -> Self {
        self.push(Transform::Standardize(Standardize {
            keys: keys(ks),
            stats: BTreeMap::new(),
            fixed: Some(Moments {
                mean: mean.to_vec(),
                std: std.to_vec(),
            }),
            mask: None,
        }))
    }

    /// `y = x · by` for a finite, non-zero factor.
    pub fn scale<S: AsRef<str>>(self, ks: &[S], by: f64) -> Self {
        self.map(ks, Elementwise::Scale(Scale { by }))
    }

    /// `y = x + by` for a finite offset.
    pub fn shift<S: AsRef<str>>(self, ks: &[S], by: f64) -> Self {
        self.map(ks, Elementwise::Shift(Shift { by }))
    }

    /// Concatenates entries along the last axis into `into`.
    pub fn concatenate<S: AsRef<str>>(self, ks: &[S], into: &str) -> Self {
        self.push(Transform::Concatenate(Concatenate {
            keys: keys(ks),
            into: into.into(),
            sizes: None,
        }))
    }

    /// Splits `key` along the last axis into entries of the given sizes.
    pub fn split<S: AsRef<str>>(self, key: &str, into: &[S], sizes: &[usize]) -> Self {
        self.push(Transform::Split(Split {
            key: key.into(),
            into: keys(into),
            sizes: sizes.to_vec(),
        }))
    }

    /// Renames an entry.
    pub fn rename(self, from: &str, to: &str) -> Self {
        self.push(Transform::Rename(Rename {
            from: from.into(),
            to: to.into(),
        }))
    }

    /// Keeps only these entries.
    pub fn keep<S: AsRef<str>>(self, ks: &[S]) -> Self {
        self.push(Transform::Keep(Keep { keys: keys(ks) }))
    }

    /// Removes these entries.
    pub fn drop<S: AsRef<str>>(self, ks: &[S]) -> Self {
        self.push(Transform::Drop(Drop { keys: keys(ks) }))
    }

    /// `ln x` (or `ln(1 + x)` with `p1`).
    pub fn log<S: AsRef<str>>(self, ks: &[S], p1: bool) -> Self {
        self.map(ks, Elementwise::Log(Log { p1 }))
    }

    /// `√x`.
    pub fn sqrt<S: AsRef<str>>(self, ks: &[S]) -> Self {
        self.map(ks, Elementwise::Sqrt(Sqrt {}))
    }

    /// Clamps into `[lower, upper]` (not invertible; either bound may be infinite).
    pub fn clip<S: AsRef<str>>(self, ks: &[S], lower: f64, upper: f64) -> Self {
        self.map(ks, Elementwise::Clip(Clip { lower, upper }))
    }

    /// Marks entries as sets `(batch, set size, features)`.
    pub fn as_set<S: AsRef<str>>(self, ks: &[S]) -> Self {
        self.push(Transform::AsSet(AsSet { keys: keys(ks) }))
    }

    /// Marks entries as time series `(batch, time, features)`.
    pub fn as_time_series<S: AsRef<str>>(self, ks: &[S]) -> Self {
        self.push(Transform::AsTimeSeries(AsTimeSeries { keys: keys(ks) }))
    }

    /// Repeats one-row entries (context scalars) to the batch size of `to`.
    pub fn broadcast<S: AsRef<str>>(self, ks: &[S], to: &str) -> Self {
        self.push(Transform::Broadcast(Broadcast {
            keys: keys(ks),
            to: to.into(),
        }))
    }

    /// Integer labels → one-hot vectors.
    pub fn one_hot<S: AsRef<str>>(self, ks: &[S], num_classes: usize) -> Self {
        self.push(Transform::OneHot(OneHot {
            keys: keys(ks),
            num_classes,
        }))
    }

    /// Inserts a unit axis at `axis`.
    pub fn expand_dims<S: AsRef<str>>(self, ks: &[S], axis: usize) -> Self {
        self.push(Transform::ExpandDims(ExpandDims {
            keys: keys(ks),
            axis,
        }))
    }

    /// Removes the unit axis `axis`.
    pub fn squeeze<S: AsRef<str>>(self, ks: &[S], axis: usize) -> Self {
        self.push(Transform::Squeeze(Squeeze {
            keys: keys(ks),
            axis,
        }))
    }

    /// Replaces NaN (missing values) with `value`; with `mask`, also writes the entry
    /// `mask_<key>` holding 1 where a value was observed and 0 where it was missing, which
    /// the inverse uses to put the NaNs back.
    pub fn nan_to_num<S: AsRef<str>>(self, ks: &[S], value: f64, mask: bool) -> Self {
        self.push(Transform::NanToNum(NanToNum {
            keys: keys(ks),
            value,
            mask,
        }))
    }

    /// Collects entries under the group `into` (entries `into/<key>`, `prefix` removed from
    /// the keys; `""` for none), e.g. the inputs of a fusion network; see
    /// [`Data::group`](crate::Data::group).
    pub fn group<S: AsRef<str>>(self, ks: &[S], into: &str, prefix: &str) -> Self {
        self.push(Transform::Group(Group {
            keys: keys(ks),
            into: into.into(),
            prefix: prefix.into(),
        }))
    }

    /// Takes the members out of group `key`: `key/<m>` becomes `prefix` + `m` (`""` for
    /// none).
    pub fn ungroup(self, key: &str, prefix: &str) -> Self {
        self.push(Transform::Ungroup(Ungroup {
            key: key.into(),
            prefix: prefix.into(),
            members: None,
        }))
    }

    /// Keeps the positions `indices` along `axis` (negative counts from the end, `-1` the
    /// last); not invertible.
    pub fn take<S: AsRef<str>>(self, ks: &[S], indices: &[usize], axis: isize) -> Self {
        self.push(Transform::Take(Take {
            keys: keys(ks),
            indices: indices.to_vec(),
            axis,
        }))
    }

    /// Keeps `sample_size` random positions along `axis` (negative counts from the end), the
    /// same for every key, drawn from `seed` and the data; not invertible.
    pub fn random_subsample<S: AsRef<str>>(
        self,
        ks: &[S],
        sample_size: usize,
        axis: isize,
        seed: u64,
    ) -> Self {
        self.push(Transform::RandomSubsample(RandomSubsample {
            keys: keys(ks),
            sample_size,
            axis,
            seed,
        }))
    }

    /// Maps simplex points (positive, summing to 1 on the last axis) to unconstrained vectors
    /// one shorter, by softmax with a fixed last logit.
    pub fn as_simplex<S: AsRef<str>>(self, ks: &[S]) -> Self {
        self.as_simplex_with(ks, SimplexMethod::Softmax)
    }

    /// [`Adapter::as_simplex`] with a chosen map (softmax or stick breaking).
    pub fn as_simplex_with<S: AsRef<str>>(self, ks: &[S], method: SimplexMethod) -> Self {
        self.push(Transform::AsSimplex(AsSimplex {
            keys: keys(ks),
            method,
        }))
    }

    /// Maps covariance matrices `(..., K, K)` to unconstrained vectors `(..., K (K + 1) / 2)`
    /// through their Cholesky factor (diagonal by inverse softplus).
    pub fn as_covariance_matrix<S: AsRef<str>>(self, ks: &[S]) -> Self {
        self.push(Transform::AsCovarianceMatrix(AsCovarianceMatrix {
            keys: keys(ks),
            method: None,
        }))
    }

    /// [`Adapter::as_covariance_matrix`] with a chosen map of the diagonal (`Softplus` or
    /// `Exp`).
    pub fn as_covariance_matrix_with<S: AsRef<str>>(
        self,
        ks: &[S],
        diagonal: ConstrainMethod,
    ) -> Self {
        self.push(Transform::AsCovarianceMatrix(AsCovarianceMatrix {
            keys: keys(ks),
            method: Some(diagonal),
        }))
    }

    /// A user function under `name` (the function itself is not serialised: after loading,
    /// register it again with [`Adapter::register`]).
    pub fn custom<S: AsRef<str>>(
        mut self,
        name: &str,
        ks: &[S],
        f: impl CustomTransform + 'static,
    ) -> Self {
        self.custom.insert(name.to_string(), Arc::new(f));
        self.push(Transform::Custom(Custom {
            name: name.into(),
            keys: keys(ks),
        }))
    }
}
