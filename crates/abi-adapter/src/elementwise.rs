//! Elementwise bijections with their inverses and log-derivatives.

use serde::{Deserialize, Serialize};

/// An elementwise map applied to every value of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "map", rename_all = "snake_case")]
pub enum Elementwise {
    /// Bounded → unbounded: `lower` only: `y = log(expm1(x − l))` (inverse softplus);
    /// `upper` only: `y = log(expm1(u − x))`; both: `y = logit((x − l) / (u − l))`.
    Constrain {
        /// lower bound
        lower: Option<f64>,
        /// upper bound
        upper: Option<f64>,
    },
    /// `y = ln x`, or `y = ln(1 + x)` with `p1`.
    Log {
        /// use `ln(1 + x)`
        p1: bool,
    },
    /// `y = √x`.
    Sqrt,
    /// `y = clamp(x, lower, upper)` (not invertible; the inverse passes values through and
    /// the log-derivative is taken as 0).
    Clip {
        /// lower bound
        lower: f64,
        /// upper bound
        upper: f64,
    },
}

/// `ln(1 − e^(−z))` for `z > 0`, computed stably.
fn log1m_exp_neg(z: f64) -> f64 {
    if z < std::f64::consts::LN_2 {
        (-(-z).exp_m1()).ln()
    } else {
        (-(-z).exp()).ln_1p()
    }
}

/// `ln(e^y − 1)`-inverse: `softplus(y) = ln(1 + e^y)`, stably.
fn softplus(y: f64) -> f64 {
    if y > 30.0 { y } else { y.exp().ln_1p() }
}

/// `ln(e^z − 1)` for `z > 0` (inverse softplus), stably.
fn inv_softplus(z: f64) -> f64 {
    if z > 30.0 { z } else { z.exp_m1().ln() }
}

fn sigmoid(y: f64) -> f64 {
    if y >= 0.0 {
        1.0 / (1.0 + (-y).exp())
    } else {
        let e = y.exp();
        e / (1.0 + e)
    }
}

impl Elementwise {
    /// Whether `x` lies in the map's domain.
    pub fn in_domain(&self, x: f64) -> bool {
        match *self {
            Elementwise::Constrain { lower, upper } => {
                lower.is_none_or(|l| x > l) && upper.is_none_or(|u| x < u)
            }
            Elementwise::Log { p1 } => {
                if p1 {
                    x > -1.0
                } else {
                    x > 0.0
                }
            }
            Elementwise::Sqrt => x >= 0.0,
            Elementwise::Clip { .. } => !x.is_nan(),
        }
    }

    /// The domain, for error messages.
    pub fn domain(&self) -> String {
        match *self {
            Elementwise::Constrain { lower, upper } => format!(
                "({}, {})",
                lower.map_or("-inf".into(), |l| l.to_string()),
                upper.map_or("inf".into(), |u| u.to_string())
            ),
            Elementwise::Log { p1: true } => "(-1, inf)".into(),
            Elementwise::Log { p1: false } => "(0, inf)".into(),
            Elementwise::Sqrt => "[0, inf)".into(),
            Elementwise::Clip { .. } => "the non-NaN numbers".into(),
        }
    }

    /// `y = f(x)`.
    pub fn forward(&self, x: f64) -> f64 {
        match *self {
            Elementwise::Constrain {
                lower: Some(l),
                upper: Some(u),
            } => {
                let p = (x - l) / (u - l);
                (p / (1.0 - p)).ln()
            }
            Elementwise::Constrain {
                lower: Some(l),
                upper: None,
            } => inv_softplus(x - l),
            Elementwise::Constrain {
                lower: None,
                upper: Some(u),
            } => inv_softplus(u - x),
            Elementwise::Constrain {
                lower: None,
                upper: None,
            } => x,
            Elementwise::Log { p1 } => {
                if p1 {
                    x.ln_1p()
                } else {
                    x.ln()
                }
            }
            Elementwise::Sqrt => x.sqrt(),
            Elementwise::Clip { lower, upper } => x.clamp(lower, upper),
        }
    }

    /// `x = f⁻¹(y)`.
    pub fn inverse(&self, y: f64) -> f64 {
        match *self {
            Elementwise::Constrain {
                lower: Some(l),
                upper: Some(u),
            } => l + (u - l) * sigmoid(y),
            Elementwise::Constrain {
                lower: Some(l),
                upper: None,
            } => l + softplus(y),
            Elementwise::Constrain {
                lower: None,
                upper: Some(u),
            } => u - softplus(y),
            Elementwise::Constrain {
                lower: None,
                upper: None,
            } => y,
            Elementwise::Log { p1 } => {
                if p1 {
                    y.exp_m1()
                } else {
                    y.exp()
                }
            }
            Elementwise::Sqrt => y * y,
            Elementwise::Clip { .. } => y,
        }
    }

    /// `ln |f'(x)|`.
    pub fn log_abs_derivative(&self, x: f64) -> f64 {
        match *self {
            Elementwise::Constrain {
                lower: Some(l),
                upper: Some(u),
            } => (u - l).ln() - (x - l).ln() - (u - x).ln(),
            Elementwise::Constrain {
                lower: Some(l),
                upper: None,
            } => -log1m_exp_neg(x - l),
            Elementwise::Constrain {
                lower: None,
                upper: Some(u),
            } => -log1m_exp_neg(u - x),
            Elementwise::Constrain {
                lower: None,
                upper: None,
            } => 0.0,
            Elementwise::Log { p1 } => {
                if p1 {
                    -x.ln_1p()
                } else {
                    -x.ln()
                }
            }
            Elementwise::Sqrt => -(2.0 * x.sqrt()).ln(),
            Elementwise::Clip { .. } => 0.0,
        }
    }
}
