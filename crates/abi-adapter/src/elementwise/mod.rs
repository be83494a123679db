//! Elementwise maps with their inverses and log-derivatives, one file per map.
//!
//! [`Elementwise`] is the serialised choice of map (tagged by `map` in files); each map is a
//! small struct implementing the crate-internal `Bijection` trait, and the enum delegates.

mod affine;
mod clip;
mod constrain;
mod log_sqrt;
pub(crate) mod numeric;

pub use affine::{Scale, Shift};
pub use clip::Clip;
pub use constrain::{Constrain, ConstrainMethod};
pub use log_sqrt::{Log, Sqrt};

use crate::error::{AdapterError, Result};
use serde::{Deserialize, Serialize};

/// One scalar map `x ↦ y`, applied to every value of an entry.
pub(crate) trait Bijection {
    /// The map's name as in files and errors.
    fn name(&self) -> &'static str;
    /// Checks the map's parameters.
    fn validate(&self) -> std::result::Result<(), String> {
        Ok(())
    }
    /// Whether `x` lies in the domain.
    fn in_domain(&self, x: f64) -> bool;
    /// The domain, for error messages.
    fn domain(&self) -> String;
    /// `y = f(x)`.
    fn forward(&self, x: f64) -> f64;
    /// `x = f⁻¹(y)`.
    fn inverse(&self, y: f64) -> f64;
    /// `ln |f'(x)|`.
    fn log_abs_derivative(&self, x: f64) -> f64;
}

/// An elementwise map applied to every value of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "map", rename_all = "snake_case")]
pub enum Elementwise {
    /// Bounded → unbounded (see [`Constrain`]).
    Constrain(Constrain),
    /// `y = ln x` or `y = ln(1 + x)` (see [`Log`]).
    Log(Log),
    /// `y = √x`.
    Sqrt(Sqrt),
    /// `y = clamp(x, lower, upper)`, not invertible (see [`Clip`]).
    Clip(Clip),
    /// `y = x · by` (see [`Scale`]).
    Scale(Scale),
    /// `y = x + by` (see [`Shift`]).
    Shift(Shift),
}

impl Elementwise {
    fn map(&self) -> &dyn Bijection {
        match self {
            Elementwise::Constrain(m) => m,
            Elementwise::Log(m) => m,
            Elementwise::Sqrt(m) => m,
            Elementwise::Clip(m) => m,
            Elementwise::Scale(m) => m,
            Elementwise::Shift(m) => m,
        }
    }

    /// The map's name as written in files (`constrain`, `log`, ...).
    pub fn name(&self) -> &'static str {
        self.map().name()
    }

    /// Checks the parameters (bounds in order, a finite non-zero factor, ...).
    pub fn validate(&self) -> Result<()> {
        self.map()
            .validate()
            .map_err(|reason| AdapterError::Invalid {
                transform: self.name().into(),
                reason,
            })
    }

    /// Whether `x` lies in the map's domain.
    pub fn in_domain(&self, x: f64) -> bool {
        self.map().in_domain(x)
    }

    /// The domain, for error messages.
    pub fn domain(&self) -> String {
        self.map().domain()
    }

    /// `y = f(x)`.
    pub fn forward(&self, x: f64) -> f64 {
        self.map().forward(x)
    }

    /// `x = f⁻¹(y)`.
    pub fn inverse(&self, y: f64) -> f64 {
        self.map().inverse(y)
    }

    /// `ln |f'(x)|`.
    pub fn log_abs_derivative(&self, x: f64) -> f64 {
        self.map().log_abs_derivative(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maps() -> Vec<(Elementwise, Vec<f64>)> {
        let c = |lower, upper, method| {
            Elementwise::Constrain(Constrain {
                lower,
                upper,
                method,
            })
        };
        use ConstrainMethod::*;
        vec![
            (c(Some(0.0), None, None), vec![1e-3, 0.5, 3.0, 40.0]),
            (c(Some(-1.0), None, Some(Exp)), vec![-0.999, 0.5, 3.0]),
            (c(None, Some(2.0), None), vec![-40.0, 0.0, 1.99]),
            (c(None, Some(2.0), Some(Exp)), vec![-4.0, 0.0, 1.99]),
            (c(Some(-1.0), Some(3.0), None), vec![-0.99, 0.0, 2.9]),
            (c(Some(-1.0), Some(3.0), Some(Tanh)), vec![-0.99, 0.0, 2.9]),
            (c(Some(f64::NEG_INFINITY), Some(1.0), None), vec![-5.0, 0.9]),
            (Elementwise::Log(Log { p1: true }), vec![-0.5, 0.0, 7.0]),
            (Elementwise::Sqrt(Sqrt {}), vec![0.01, 2.0]),
            (Elementwise::Scale(Scale { by: -2.5 }), vec![-1.0, 3.0]),
            (Elementwise::Shift(Shift { by: 4.0 }), vec![-1.0, 3.0]),
        ]
    }

    #[test]
    fn inverses_and_log_derivatives_agree_with_the_forward_map() {
        for (m, xs) in maps() {
            assert!(m.validate().is_ok(), "{m:?}");
            for x in xs {
                assert!(m.in_domain(x), "{m:?} at {x}");
                let y = m.forward(x);
                let back = m.inverse(y);
                assert!(
                    (back - x).abs() < 1e-9 * (1.0 + x.abs()),
                    "{m:?}: {x} → {back}"
                );
                let h = 1e-6 * (1.0 + x.abs());
                let numeric = ((m.forward(x + h) - m.forward(x - h)) / (2.0 * h))
                    .abs()
                    .ln();
                let exact = m.log_abs_derivative(x);
                assert!(
                    (numeric - exact).abs() < 1e-5,
                    "{m:?} at {x}: {exact} vs {numeric}"
                );
            }
        }
    }

    #[test]
    fn bad_parameters_are_rejected() {
        let bad = [
            Elementwise::Scale(Scale { by: 0.0 }),
            Elementwise::Scale(Scale { by: f64::NAN }),
            Elementwise::Shift(Shift { by: f64::INFINITY }),
            Elementwise::Clip(Clip {
                lower: 1.0,
                upper: 0.0,
            }),
            Elementwise::Constrain(Constrain {
                lower: Some(1.0),
                upper: Some(1.0),
                method: None,
            }),
            Elementwise::Constrain(Constrain {
                lower: Some(0.0),
                upper: None,
                method: Some(ConstrainMethod::Sigmoid),
            }),
            Elementwise::Constrain(Constrain {
                lower: Some(0.0),
                upper: Some(1.0),
                method: Some(ConstrainMethod::Softplus),
            }),
            Elementwise::Constrain(Constrain {
                lower: Some(f64::INFINITY),
                upper: None,
                method: None,
            }),
        ];
        for m in bad {
            let e = m.validate();
            assert!(
                matches!(e, Err(AdapterError::Invalid { .. })),
                "{m:?}: {e:?}"
            );
        }
    }
}
