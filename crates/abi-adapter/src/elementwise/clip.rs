//! `clip`: clamping into an interval (not invertible).

use super::Bijection;
use serde::{Deserialize, Serialize};

/// `y = clamp(x, lower, upper)`. Not invertible: the inverse passes values through and the
/// log-derivative is taken as 0. Either bound may be infinite.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clip {
    /// Lower bound (may be `-inf`).
    #[serde(with = "crate::float::exact")]
    pub lower: f64,
    /// Upper bound (may be `inf`).
    #[serde(with = "crate::float::exact")]
    pub upper: f64,
}

impl Bijection for Clip {
    fn name(&self) -> &'static str {
        "clip"
    }

    fn validate(&self) -> Result<(), String> {
        if self.lower <= self.upper {
            Ok(())
        } else {
            Err(format!(
                "lower bound {} must not exceed upper bound {}",
                self.lower, self.upper
            ))
        }
    }

    fn in_domain(&self, x: f64) -> bool {
        !x.is_nan()
    }

    fn domain(&self) -> String {
        "the non-NaN numbers".into()
    }

    fn forward(&self, x: f64) -> f64 {
        x.clamp(self.lower, self.upper)
    }

    fn inverse(&self, y: f64) -> f64 {
        y
    }

    fn log_abs_derivative(&self, _x: f64) -> f64 {
        0.0
    }
}
