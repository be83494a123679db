use super::{LrSchedule, Optimizer, OptimizerState};
use crate::backend::Backend;
use crate::error::{Result, TensorError};
use crate::grad::Gradients;
use crate::param::Param;
use crate::tensor::Tensor;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Settings of [`Sgd`]: stochastic gradient descent with (optionally Nesterov) momentum.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SgdConfig {
    /// Learning-rate schedule.
    pub schedule: LrSchedule,
    /// Momentum factor (0 for plain SGD).
    pub momentum: f64,
    /// Use Nesterov momentum.
    pub nesterov: bool,
    /// L2 penalty added to the gradient.
    pub weight_decay: f64,
}

impl SgdConfig {
    /// SGD with the given rate and momentum.
    pub fn new(lr: f64, momentum: f64) -> Self {
        Self {
            schedule: LrSchedule::constant(lr),
            momentum,
            nesterov: false,
            weight_decay: 0.0,
        }
    }

    /// Checks the settings and builds the optimiser.
    pub fn build<B: Backend>(self) -> Result<Sgd<B>> {
        if !(0.0..1.0).contains(&self.momentum) || !(self.weight_decay >= 0.0) {
            return Err(TensorError::InvalidArgument {
                op: "Sgd",
                reason: format!(
                    "need momentum in [0, 1) and weight_decay >= 0, got {} and {}",
                    self.momentum, self.weight_decay
                ),
            });
        }
        Ok(Sgd {
            config: self,
            step: 0,
            velocity: BTreeMap::new(),
        })
    }
}

/// SGD with momentum (PyTorch's formulation: `v = μ v + g`, `p -= lr · v`).
#[derive(Debug, Clone)]
pub struct Sgd<B: Backend> {
    config: SgdConfig,
    step: u64,
    velocity: BTreeMap<String, Tensor<B>>,
}

impl<B: Backend> Optimizer<B> for Sgd<B> {
    fn step(&mut self, params: &[Param<B>], grads: &Gradients<B>) -> Result<()> {
        let c = self.config;
        let lr = c.schedule.lr(self.step);
        self.step += 1;
        crate::no_grad::<B, _>(|| {
            for p in params.iter().filter(|p| p.is_trainable()) {
                let value = p.value();
                let Some(mut g) = grads.get(&value) else {
                    continue;
                };
                let w = value.detach();
                if c.weight_decay > 0.0 {
                    g = g.add(&w.mul_scalar(c.weight_decay)?)?;
                }
                let direction = if c.momentum > 0.0 {
                    let v = match self.velocity.remove(p.name()) {
                        Some(v) => v.mul_scalar(c.momentum)?.add(&g)?,
                        None => g.clone(),
                    };
                    let d = if c.nesterov {
                        g.add(&v.mul_scalar(c.momentum)?)?
                    } else {
                        v.clone()
                    };
                    self.velocity.insert(p.name().to_string(), v);
                    d
                } else {
                    g
                };
                p.set_value(w.sub(&direction.mul_scalar(lr)?)?)?;
            }
            Ok(())
        })
    }

    fn learning_rate(&self) -> f64 {
        self.config.schedule.lr(self.step)
    }

    fn steps_taken(&self) -> u64 {
        self.step
    }

    fn state(&self) -> OptimizerState<B> {
        OptimizerState {
            kind: "sgd".into(),
            step: self.step,
            buffers: self
                .velocity
                .iter()
                .map(|(n, v)| (format!("{n}/velocity"), v.clone()))
                .collect(),
        }
    }

    fn load_state(&mut self, state: OptimizerState<B>) -> Result<()> {
        if state.kind != "sgd" {
            return Err(TensorError::InvalidArgument {
                op: "Sgd::load_state",
                reason: format!("state was written by `{}`, not `sgd`", state.kind),
            });
        }
        let mut velocity = BTreeMap::new();
        for (key, t) in state.buffers {
            let name =
                key.strip_suffix("/velocity")
                    .ok_or_else(|| TensorError::InvalidArgument {
                        op: "Sgd::load_state",
                        reason: format!("unexpected buffer `{key}`"),
                    })?;
            velocity.insert(name.to_string(), t);
        }
        self.velocity = velocity;
        self.step = state.step;
        Ok(())
    }
}
