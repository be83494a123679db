//! `random_subsample`: a seeded random subset of fixed size along an axis (not invertible).

use super::step::{Step, invalid, resolve_axis, restrict_keys, shape_error};
use super::take::{take_along, take_log_det};
use crate::data::Data;
use crate::error::Result;
use crate::log_det::LogDet;
use crate::transforms::custom::CustomRegistry;
use serde::{Deserialize, Serialize};

fn last_axis() -> isize {
    -1
}

/// SplitMix64: a tiny, portable generator (the same draws on every platform and version).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by rejection so that no index is favoured.
    fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let v = self.next();
            if v < zone {
                return v % n;
            }
        }
    }
}

/// FNV-1a over the shape and value bits of an entry.
fn fingerprint(shape: &[usize], values: impl Iterator<Item = f64>) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    let mut eat = |v: u64| {
        for b in v.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
        }
    };
    shape.iter().for_each(|s| eat(*s as u64));
    values.for_each(|v| eat(v.to_bits()));
    h
}

/// Keeps `sample_size` positions along `axis` (negative counts from the end), drawn without
/// replacement and kept in their original order, e.g. a random subset of a set's items for
/// augmentation. The same positions are taken from every key, so entries that belong together
/// (values and their mask) stay aligned. The draw is a function of `seed` and the data: a
/// batch always gives the same subsample, different batches different ones, and the adapter
/// stays immutable. Not invertible: the inverse passes values through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomSubsample {
    /// Entries.
    pub keys: Vec<String>,
    /// Number of positions kept.
    pub sample_size: usize,
    /// The axis (negative counts from the end).
    #[serde(default = "last_axis")]
    pub axis: isize,
    /// Seed of the draws.
    #[serde(default)]
    pub seed: u64,
}

impl RandomSubsample {
    /// Sorted positions: `sample_size` of `0..n`.
    fn draw(&self, n: usize, fingerprint: u64) -> Vec<usize> {
        let mut rng = SplitMix64(self.seed ^ fingerprint);
        let mut pool: Vec<usize> = (0..n).collect();
        for i in 0..self.sample_size {
            let j = i + rng.below((n - i) as u64) as usize;
            pool.swap(i, j);
        }
        pool.truncate(self.sample_size);
        pool.sort_unstable();
        pool
    }
}

impl Step for RandomSubsample {
    fn name(&self) -> &'static str {
        "random_subsample"
    }

    fn validate(&self) -> Result<()> {
        if self.sample_size == 0 {
            return Err(invalid(self.name(), "sample_size must be at least 1"));
        }
        Ok(())
    }

    fn forward(
        &self,
        data: &mut Data,
        _custom: &CustomRegistry,
        mut ldj: Option<&mut LogDet>,
    ) -> Result<()> {
        let name = self.name();
        let Some(first) = self.keys.first() else {
            return Ok(());
        };
        let x = data.f64(name, first)?;
        let axis = resolve_axis(name, first, self.axis, x.ndim())?;
        let n = x.shape()[axis];
        if self.sample_size > n {
            return Err(invalid(
                name,
                format!(
                    "sample_size {} exceeds the length {n} of axis {axis} of `{first}`",
                    self.sample_size
                ),
            ));
        }
        let indices = self.draw(n, fingerprint(x.shape(), x.iter().copied()));
        for k in &self.keys {
            let x = data.f64(name, k)?;
            let axis = resolve_axis(name, k, self.axis, x.ndim())?;
            if x.shape()[axis] != n {
                let mut expected = x.shape().to_vec();
                expected[axis] = n;
                return Err(shape_error(name, k, expected, x.shape()));
            }
            let y = take_along(name, k, &x, axis, &indices)?;
            take_log_det(name, ldj.as_deref_mut(), k, axis, x.ndim(), &indices)?;
            data.set(k.clone(), y);
        }
        Ok(())
    }

    fn inverse(&self, _data: &mut Data, _custom: &CustomRegistry) -> Result<()> {
        Ok(())
    }

    fn restrict(&mut self, data: &Data) -> Result<bool> {
        Ok(restrict_keys(&mut self.keys, data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_distinct_sorted_and_reproducible() {
        let t = RandomSubsample {
            keys: vec![],
            sample_size: 5,
            axis: 1,
            seed: 42,
        };
        let a = t.draw(20, 7);
        assert_eq!(a, t.draw(20, 7));
        assert_eq!(a.len(), 5);
        assert!(a.windows(2).all(|w| w[0] < w[1]) && a[4] < 20, "{a:?}");
        assert_ne!(a, t.draw(20, 8));
        assert_eq!(t.draw(5, 1), vec![0, 1, 2, 3, 4]);
    }
}
