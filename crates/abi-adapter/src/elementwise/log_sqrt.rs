//! `log` and `sqrt`: the positive half-line (or `(-1, inf)`) ↔ a wider range.

use super::Bijection;
use serde::{Deserialize, Serialize};

/// `y = ln x`, or `y = ln(1 + x)` with `p1`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    /// Use `ln(1 + x)` (domain `(-1, inf)`).
    #[serde(default)]
    pub p1: bool,
}

impl Bijection for Log {
    fn name(&self) -> &'static str {
        "log"
    }

    fn in_domain(&self, x: f64) -> bool {
        if self.p1 { x > -1.0 } else { x > 0.0 }
    }

    fn domain(&self) -> String {
        if self.p1 { "(-1, inf)" } else { "(0, inf)" }.into()
    }

    fn forward(&self, x: f64) -> f64 {
        if self.p1 { x.ln_1p() } else { x.ln() }
    }

    fn inverse(&self, y: f64) -> f64 {
        if self.p1 { y.exp_m1() } else { y.exp() }
    }

    fn log_abs_derivative(&self, x: f64) -> f64 {
        if self.p1 { -x.ln_1p() } else { -x.ln() }
    }
}

/// `y = √x` on `[0, inf)`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sqrt {}

impl Bijection for Sqrt {
    fn name(&self) -> &'static str {
        "sqrt"
    }

    fn in_domain(&self, x: f64) -> bool {
        x >= 0.0
    }

    fn domain(&self) -> String {
        "[0, inf)".into()
    }

    fn forward(&self, x: f64) -> f64 {
        x.sqrt()
    }

    fn inverse(&self, y: f64) -> f64 {
        y * y
    }

    fn log_abs_derivative(&self, x: f64) -> f64 {
        -(2.0 * x.sqrt()).ln()
    }
}
