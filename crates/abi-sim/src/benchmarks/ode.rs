//! A fixed-step fourth-order Runge–Kutta integrator for the population models.

/// Integrates `dy/dt = f(y)` from `y0` over `[0, t_end]` with `steps_per_unit` steps per time
/// unit and returns the states at `0, save_every, 2·save_every, …` (in time units).
/// Stops early, filling the rest with NaN, if the state stops being finite.
pub(crate) fn rk4_saved<const N: usize>(
    f: impl Fn(&[f64; N]) -> [f64; N],
    y0: [f64; N],
    t_end: f64,
    dt: f64,
    save_times: &[f64],
) -> Vec<[f64; N]> {
    let mut out = Vec::with_capacity(save_times.len());
    let mut y = y0;
    let mut t = 0.0;
    let add = |a: &[f64; N], b: &[f64; N], h: f64| -> [f64; N] {
        let mut r = *a;
        for i in 0..N {
            r[i] += h * b[i];
        }
        r
    };
    for &target in save_times {
        while t < target - 1e-12 && t < t_end {
            let h = dt.min(target - t);
            let k1 = f(&y);
            let k2 = f(&add(&y, &k1, h / 2.0));
            let k3 = f(&add(&y, &k2, h / 2.0));
            let k4 = f(&add(&y, &k3, h));
            for i in 0..N {
                y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
            }
            t += h;
            if !y.iter().all(|v| v.is_finite()) {
                out.resize(save_times.len(), [f64::NAN; N]);
                return out;
            }
        }
        out.push(y);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrates_exponential_decay() {
        let times: Vec<f64> = (0..=10).map(|i| i as f64 * 0.5).collect();
        let ys = rk4_saved(|y: &[f64; 1]| [-0.7 * y[0]], [2.0], 5.0, 0.01, &times);
        for (t, y) in times.iter().zip(&ys) {
            assert!((y[0] - 2.0 * (-0.7 * t).exp()).abs() < 1e-9);
        }
    }
}
