//! `scale` and `shift`: multiplication by a fixed factor and addition of a fixed offset.

use super::Bijection;
use serde::{Deserialize, Serialize};

/// `y = x · by` for a finite, non-zero factor (negative factors flip the sign).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    /// The factor.
    #[serde(with = "crate::float::exact")]
    pub by: f64,
}

impl Bijection for Scale {
    fn name(&self) -> &'static str {
        "scale"
    }

    fn validate(&self) -> Result<(), String> {
        if self.by.is_finite() && self.by != 0.0 {
            Ok(())
        } else {
            Err(format!("factor {} must be finite and non-zero", self.by))
        }
    }

    fn in_domain(&self, _x: f64) -> bool {
        true
    }

    fn domain(&self) -> String {
        "the numbers".into()
    }

    fn forward(&self, x: f64) -> f64 {
        x * self.by
    }

    fn inverse(&self, y: f64) -> f64 {
        y / self.by
    }

    fn log_abs_derivative(&self, _x: f64) -> f64 {
        self.by.abs().ln()
    }
}

/// `y = x + by` for a finite offset.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    /// The offset.
    #[serde(with = "crate::float::exact")]
    pub by: f64,
}

impl Bijection for Shift {
    fn name(&self) -> &'static str {
        "shift"
    }

    fn validate(&self) -> Result<(), String> {
        if self.by.is_finite() {
            Ok(())
        } else {
            Err(format!("offset {} must be finite", self.by))
        }
    }

    fn in_domain(&self, _x: f64) -> bool {
        true
    }

    fn domain(&self) -> String {
        "the numbers".into()
    }

    fn forward(&self, x: f64) -> f64 {
        x + self.by
    }

    fn inverse(&self, y: f64) -> f64 {
        y - self.by
    }

    fn log_abs_derivative(&self, _x: f64) -> f64 {
        0.0
    }
}
