//! The fault policy of training: a step whose loss or gradient is non-finite or explodes is
//! skipped (the weights stay as they were) and counted; a run of such steps stops training.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Which training steps are bad and how many in a row end training.
///
/// A step is bad when its loss or its global gradient norm is NaN or infinite, or, once
/// [`WARM_UP`] good steps were seen, when it *explodes*: its gradient norm exceeds
/// `explosion_factor` times the median norm of the last [`WINDOW`] good steps, or its loss
/// exceeds their median loss by `explosion_factor` times their median absolute deviation
/// (at least 0.01). A bad step is skipped and counted in the epoch's
/// [`skipped_steps`](crate::EpochRecord::skipped_steps); `max_bad_steps` bad steps in a row
/// stop training with [`ApproxError::TrainingFault`](crate::ApproxError::TrainingFault).
///
/// ```
/// use abi_approx::train::FaultPolicy;
/// let policy = FaultPolicy::default();
/// assert_eq!((policy.max_bad_steps, policy.explosion_factor), (10, 1000.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultPolicy {
    /// Bad steps in a row that stop training (at least 1).
    pub max_bad_steps: usize,
    /// How far above the recent good steps a loss or gradient norm counts as exploding
    /// (greater than 1).
    pub explosion_factor: f64,
}

impl Default for FaultPolicy {
    fn default() -> Self {
        Self {
            max_bad_steps: 10,
            explosion_factor: 1000.0,
        }
    }
}

/// Good steps whose losses and gradient norms the explosion test compares against.
pub const WINDOW: usize = 64;
/// Good steps seen before the explosion test applies.
pub const WARM_UP: usize = 16;

/// The running state of the policy during one training run.
#[derive(Debug)]
pub(crate) struct FaultGuard {
    policy: FaultPolicy,
    losses: VecDeque<f64>,
    norms: VecDeque<f64>,
    in_row: usize,
}

fn median(values: &VecDeque<f64>) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().collect();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

impl FaultGuard {
    pub(crate) fn new(policy: FaultPolicy) -> Self {
        Self {
            policy,
            losses: VecDeque::with_capacity(WINDOW),
            norms: VecDeque::with_capacity(WINDOW),
            in_row: 0,
        }
    }

    /// Why the step with `loss` and gradient norm `norm` is bad, or `None` when it is good.
    pub(crate) fn judge(&self, loss: f64, norm: f64) -> Option<String> {
        if !loss.is_finite() {
            return Some(format!("the loss is {loss}"));
        }
        if !norm.is_finite() {
            return Some(format!("the gradient norm is {norm}"));
        }
        if self.losses.len() < WARM_UP {
            return None;
        }
        let factor = self.policy.explosion_factor;
        let median_norm = median(&self.norms);
        if median_norm > 0.0 && norm > factor * median_norm {
            return Some(format!(
                "the gradient norm {norm:.3e} exceeds {factor} × the recent median {median_norm:.3e}"
            ));
        }
        let median_loss = median(&self.losses);
        let spread = median(
            &self
                .losses
                .iter()
                .map(|l| (l - median_loss).abs())
                .collect(),
        )
        .max(0.01);
        if loss - median_loss > factor * spread {
            return Some(format!(
                "the loss {loss:.4e} exceeds the recent median {median_loss:.4e} by more than \
                 {factor} × its spread {spread:.3e}"
            ));
        }
        None
    }

    /// Records a good step.
    pub(crate) fn good(&mut self, loss: f64, norm: f64) {
        self.in_row = 0;
        if self.losses.len() == WINDOW {
            self.losses.pop_front();
            self.norms.pop_front();
        }
        self.losses.push_back(loss);
        self.norms.push_back(norm);
    }

    /// Records a bad step; true when the run of bad steps reached the limit.
    pub(crate) fn bad(&mut self) -> bool {
        self.in_row += 1;
        self.in_row >= self.policy.max_bad_steps
    }

    /// Bad steps in the current run.
    pub(crate) fn in_row(&self) -> usize {
        self.in_row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_and_exploding_steps_are_bad_and_a_run_of_them_stops() {
        let mut guard = FaultGuard::new(FaultPolicy {
            max_bad_steps: 3,
            explosion_factor: 100.0,
        });
        assert!(guard.judge(f64::NAN, 1.0).is_some());
        assert!(guard.judge(1.0, f64::INFINITY).is_some());
        // before the warm-up only non-finite values count
        assert!(guard.judge(1e29, 1e29).is_none());
        for i in 0..WARM_UP {
            guard.good(-2.0 + 0.01 * i as f64, 1.0 + 0.1 * (i % 3) as f64);
        }
        assert!(guard.judge(-1.9, 2.0).is_none());
        assert!(guard.judge(1e29, 1.0).is_some_and(|r| r.contains("loss")));
        assert!(
            guard
                .judge(-1.9, 1e4)
                .is_some_and(|r| r.contains("gradient"))
        );
        assert!(!guard.bad() && !guard.bad());
        assert!(guard.bad());
        guard.good(-1.9, 1.0);
        assert_eq!(guard.in_row(), 0);
    }
}
