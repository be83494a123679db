//! `constrain`: bounded values ↔ the real line, with a choice of map.

use super::Bijection;
use super::numeric::{bound, inv_softplus, log1m_exp_neg, logit, sigmoid, softplus};
use serde::{Deserialize, Serialize};
use std::f64::consts::LN_2;

/// How [`Constrain`] maps a bounded interval to the real line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstrainMethod {
    /// Both bounds: `y = logit((x − l) / (u − l))` (the default for two bounds).
    #[serde(alias = "logit", alias = "expit")]
    Sigmoid,
    /// Both bounds: `y = atanh(2 (x − l) / (u − l) − 1)`, half the logit.
    Tanh,
    /// One bound: `y = ln(e^(x − l) − 1)` or `y = ln(e^(u − x) − 1)` (inverse softplus; the
    /// default for one bound).
    Softplus,
    /// One bound: `y = ln(x − l)` or `y = ln(u − x)`.
    #[serde(alias = "log")]
    Exp,
}

/// Bounded → unbounded. With both bounds the default map is the logit of the position in the
/// interval; with one bound it is the inverse softplus of the distance to the bound (an upper
/// bound maps `u − x`, so `y` decreases in `x`). An infinite bound counts as absent; no bound
/// at all is the identity. The inverse maps any real number into the open interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constrain {
    /// Lower bound (`None` or `-inf`: unbounded below).
    #[serde(default, with = "crate::float::exact_opt")]
    pub lower: Option<f64>,
    /// Upper bound (`None` or `inf`: unbounded above).
    #[serde(default, with = "crate::float::exact_opt")]
    pub upper: Option<f64>,
    /// The map; `None` is the default for the bounds given (sigmoid for two, softplus for one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<ConstrainMethod>,
}

/// The map a [`Constrain`] resolves to.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Identity,
    Interval { l: f64, u: f64, half: bool },
    Lower { l: f64, exp: bool },
    Upper { u: f64, exp: bool },
}

impl Constrain {
    /// The bounds that constrain, infinite ones dropped.
    fn bounds(&self) -> (Option<f64>, Option<f64>) {
        (
            self.lower.filter(|l| *l != f64::NEG_INFINITY),
            self.upper.filter(|u| *u != f64::INFINITY),
        )
    }

    fn kind(&self) -> Kind {
        let exp = self.method == Some(ConstrainMethod::Exp);
        match self.bounds() {
            (Some(l), Some(u)) => Kind::Interval {
                l,
                u,
                half: self.method == Some(ConstrainMethod::Tanh),
            },
            (Some(l), None) => Kind::Lower { l, exp },
            (None, Some(u)) => Kind::Upper { u, exp },
            (None, None) => Kind::Identity,
        }
    }
}

impl Bijection for Constrain {
    fn name(&self) -> &'static str {
        "constrain"
    }

    fn validate(&self) -> Result<(), String> {
        if self.lower.is_some_and(f64::is_nan) || self.upper.is_some_and(f64::is_nan) {
            return Err("a bound is NaN".into());
        }
        if self.lower == Some(f64::INFINITY) || self.upper == Some(f64::NEG_INFINITY) {
            return Err(format!(
                "bounds ({}, {}) leave no values",
                bound(self.lower, "-inf"),
                bound(self.upper, "inf")
            ));
        }
        let (lower, upper) = self.bounds();
        if let (Some(l), Some(u)) = (lower, upper) {
            if !(l < u) || !(u - l).is_finite() {
                return Err(format!(
                    "lower bound {l} must lie below upper bound {u}, a finite distance apart"
                ));
            }
        }
        use ConstrainMethod::*;
        match (self.method, lower.is_some(), upper.is_some()) {
            (None, _, _) | (Some(Sigmoid | Tanh), true, true) => Ok(()),
            (Some(Softplus | Exp), l, u) if l != u => Ok(()),
            (Some(m), l, u) => Err(format!(
                "method {m:?} does not apply to {} (sigmoid and tanh need both bounds, softplus and exp one)",
                match (l, u) {
                    (true, true) => "two bounds",
                    (false, false) => "no bounds",
                    _ => "one bound",
                }
            )),
        }
    }

    fn in_domain(&self, x: f64) -> bool {
        let (lower, upper) = self.bounds();
        lower.is_none_or(|l| x > l) && upper.is_none_or(|u| x < u)
    }

    fn domain(&self) -> String {
        let (lower, upper) = self.bounds();
        format!("({}, {})", bound(lower, "-inf"), bound(upper, "inf"))
    }

    fn forward(&self, x: f64) -> f64 {
        match self.kind() {
            Kind::Interval { l, u, half } => {
                let y = logit((x - l) / (u - l));
                if half { 0.5 * y } else { y }
            }
            Kind::Lower { l, exp: false } => inv_softplus(x - l),
            Kind::Lower { l, exp: true } => (x - l).ln(),
            Kind::Upper { u, exp: false } => inv_softplus(u - x),
            Kind::Upper { u, exp: true } => (u - x).ln(),
            Kind::Identity => x,
        }
    }

    fn inverse(&self, y: f64) -> f64 {
        match self.kind() {
            Kind::Interval { l, u, half } => l + (u - l) * sigmoid(if half { 2.0 * y } else { y }),
            Kind::Lower { l, exp: false } => l + softplus(y),
            Kind::Lower { l, exp: true } => l + y.exp(),
            Kind::Upper { u, exp: false } => u - softplus(y),
            Kind::Upper { u, exp: true } => u - y.exp(),
            Kind::Identity => y,
        }
    }

    fn log_abs_derivative(&self, x: f64) -> f64 {
        match self.kind() {
            Kind::Interval { l, u, half } => {
                (u - l).ln() - (x - l).ln() - (u - x).ln() - if half { LN_2 } else { 0.0 }
            }
            Kind::Lower { l, exp: false } => -log1m_exp_neg(x - l),
            Kind::Lower { l, exp: true } => -(x - l).ln(),
            Kind::Upper { u, exp: false } => -log1m_exp_neg(u - x),
            Kind::Upper { u, exp: true } => -(u - x).ln(),
            Kind::Identity => 0.0,
        }
    }
}
