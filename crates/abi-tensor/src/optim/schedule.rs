use serde::{Deserialize, Serialize};

/// A learning rate as a function of the step count (starting at 0).
///
/// ```
/// use abi_tensor::optim::LrSchedule;
/// let s = LrSchedule::cosine_with_warmup(5e-4, 100, 2000);
/// assert_eq!(s.lr(0), 0.0);
/// assert!((s.lr(100) - 5e-4).abs() < 1e-12);
/// assert!(s.lr(2000) < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum LrSchedule {
    /// The same rate throughout.
    Constant {
        /// learning rate
        lr: f64,
    },
    /// Linear warm-up from `warmup_start` to `peak` over `warmup_steps`, then cosine decay to
    /// `peak · alpha` at `total_steps` (held after).
    CosineWithWarmup {
        /// rate at the end of warm-up
        peak: f64,
        /// rate at step 0
        warmup_start: f64,
        /// length of the warm-up
        warmup_steps: u64,
        /// step at which the decay ends
        total_steps: u64,
        /// final rate as a fraction of `peak`
        alpha: f64,
    },
    /// The one-cycle policy (Smith & Topin, 2019, with cosine annealing as in PyTorch's
    /// `OneCycleLR`): from `max_lr / div_factor` up to `max_lr` over the first `pct_start` of
    /// `total_steps`, then down to `max_lr / (div_factor · final_div_factor)` (held after).
    OneCycle {
        /// the peak rate
        max_lr: f64,
        /// length of the cycle
        total_steps: u64,
        /// fraction of the cycle spent rising
        pct_start: f64,
        /// the first rate is `max_lr / div_factor`
        div_factor: f64,
        /// the last rate is the first one divided by this
        final_div_factor: f64,
    },
    /// `lr · decay_rate^(step / decay_steps)`, in whole periods when `staircase`.
    Exponential {
        /// initial learning rate
        lr: f64,
        /// factor per period
        decay_rate: f64,
        /// length of a period
        decay_steps: u64,
        /// decay in whole periods
        staircase: bool,
    },
}

impl LrSchedule {
    /// A constant rate.
    pub fn constant(lr: f64) -> Self {
        LrSchedule::Constant { lr }
    }

    /// Warm-up from 0 to `peak` over `warmup_steps`, cosine decay to 0 at `total_steps`.
    pub fn cosine_with_warmup(peak: f64, warmup_steps: u64, total_steps: u64) -> Self {
        LrSchedule::CosineWithWarmup {
            peak,
            warmup_start: 0.0,
            warmup_steps,
            total_steps,
            alpha: 0.0,
        }
    }

    /// One cycle peaking at `max_lr` over `total_steps`, with PyTorch's defaults (30 % rising,
    /// `div_factor` 25, `final_div_factor` 10⁴).
    ///
    /// ```
    /// use abi_tensor::optim::LrSchedule;
    /// let s = LrSchedule::one_cycle(1e-3, 1000);
    /// assert!((s.lr(0) - 4e-5).abs() < 1e-12);
    /// assert!((s.lr(300) - 1e-3).abs() < 1e-12);
    /// assert!((s.lr(1000) - 4e-9).abs() < 1e-15);
    /// ```
    pub fn one_cycle(max_lr: f64, total_steps: u64) -> Self {
        LrSchedule::OneCycle {
            max_lr,
            total_steps,
            pct_start: 0.3,
            div_factor: 25.0,
            final_div_factor: 1e4,
        }
    }

    /// The rate at `step`.
    pub fn lr(&self, step: u64) -> f64 {
        match *self {
            LrSchedule::Constant { lr } => lr,
            LrSchedule::CosineWithWarmup {
                peak,
                warmup_start,
                warmup_steps,
                total_steps,
                alpha,
            } => {
                if step < warmup_steps {
                    return warmup_start
                        + (peak - warmup_start) * step as f64 / warmup_steps as f64;
                }
                let span = total_steps.saturating_sub(warmup_steps).max(1) as f64;
                let progress = ((step - warmup_steps) as f64 / span).min(1.0);
                let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
                peak * (alpha + (1.0 - alpha) * cosine)
            }
            LrSchedule::OneCycle {
                max_lr,
                total_steps,
                pct_start,
                div_factor,
                final_div_factor,
            } => {
                let initial = max_lr / div_factor;
                let last = initial / final_div_factor;
                let rise = ((total_steps as f64 * pct_start).round() as u64).max(1);
                let cosine = |from: f64, to: f64, t: f64| {
                    to + (from - to) * 0.5 * (1.0 + (std::f64::consts::PI * t.min(1.0)).cos())
                };
                if step < rise {
                    cosine(initial, max_lr, step as f64 / rise as f64)
                } else {
                    let span = total_steps.saturating_sub(rise).max(1) as f64;
                    cosine(max_lr, last, (step - rise) as f64 / span)
                }
            }
            LrSchedule::Exponential {
                lr,
                decay_rate,
                decay_steps,
                staircase,
            } => {
                let mut periods = step as f64 / decay_steps.max(1) as f64;
                if staircase {
                    periods = periods.floor();
                }
                lr * decay_rate.powf(periods)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_is_monotone_after_warmup() {
        let s = LrSchedule::cosine_with_warmup(1.0, 10, 110);
        assert!((s.lr(5) - 0.5).abs() < 1e-12);
        assert!((s.lr(60) - 0.5).abs() < 1e-12);
        let mut last = f64::INFINITY;
        for step in 10..=110 {
            assert!(s.lr(step) <= last);
            last = s.lr(step);
        }
        assert_eq!(s.lr(500), 0.0);
    }

    #[test]
    fn one_cycle_rises_then_falls() {
        let s = LrSchedule::one_cycle(1.0, 100);
        for step in 0..30 {
            assert!(s.lr(step + 1) > s.lr(step));
        }
        for step in 30..100 {
            assert!(s.lr(step + 1) < s.lr(step));
        }
        assert!((s.lr(30) - 1.0).abs() < 1e-12);
        assert!((s.lr(100) - 1.0 / 25.0 / 1e4).abs() < 1e-15);
    }

    #[test]
    fn exponential_decays() {
        let s = LrSchedule::Exponential {
            lr: 1.0,
            decay_rate: 0.5,
            decay_steps: 10,
            staircase: true,
        };
        assert_eq!(s.lr(9), 1.0);
        assert_eq!(s.lr(10), 0.5);
        assert_eq!(s.lr(25), 0.25);
    }
}
