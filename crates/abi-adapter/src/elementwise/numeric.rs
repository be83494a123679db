//! Numerically stable scalar helpers shared by the elementwise maps.

/// `ln(1 − e^(−z))` for `z > 0`, computed stably.
pub(crate) fn log1m_exp_neg(z: f64) -> f64 {
    if z < std::f64::consts::LN_2 {
        (-(-z).exp_m1()).ln()
    } else {
        (-(-z).exp()).ln_1p()
    }
}

/// `softplus(y) = ln(1 + e^y)`, stably.
pub(crate) fn softplus(y: f64) -> f64 {
    if y > 30.0 { y } else { y.exp().ln_1p() }
}

/// `ln(e^z − 1)` for `z > 0` (inverse softplus), stably.
pub(crate) fn inv_softplus(z: f64) -> f64 {
    if z > 30.0 { z } else { z.exp_m1().ln() }
}

/// `1 / (1 + e^(−y))`, stably.
pub(crate) fn sigmoid(y: f64) -> f64 {
    if y >= 0.0 {
        1.0 / (1.0 + (-y).exp())
    } else {
        let e = y.exp();
        e / (1.0 + e)
    }
}

/// `ln(p / (1 − p))`.
pub(crate) fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// A bound for messages: the number, or `-inf` / `inf` when absent.
pub(crate) fn bound(b: Option<f64>, absent: &str) -> String {
    b.map_or(absent.to_string(), |v| v.to_string())
}
