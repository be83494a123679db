use super::{LrSchedule, Optimizer, OptimizerState};
use crate::backend::Backend;
use crate::error::{Result, TensorError};
use crate::grad::Gradients;
use crate::ops::AdamStep;
use crate::param::Param;
use crate::tensor::Tensor;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Settings of [`Adam`] (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// Learning-rate schedule.
    pub schedule: LrSchedule,
    /// Decay of the first-moment estimate.
    pub beta1: f64,
    /// Decay of the second-moment estimate.
    pub beta2: f64,
    /// Added to the root of the second moment.
    pub eps: f64,
    /// Weight decay: decoupled (AdamW, `p -= lr · wd · p`) when `decoupled`, else added to the
    /// gradient (L2 penalty, classic Adam).
    pub weight_decay: f64,
    /// Whether the weight decay is decoupled (AdamW).
    pub decoupled: bool,
}

impl AdamConfig {
    /// Adam with a constant rate and the usual `β = (0.9, 0.999)`, `ε = 1e-7` (Keras').
    pub fn new(lr: f64) -> Self {
        Self {
            schedule: LrSchedule::constant(lr),
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-7,
            weight_decay: 0.0,
            decoupled: false,
        }
    }

    /// AdamW with decoupled weight decay `wd`.
    pub fn adamw(lr: f64, wd: f64) -> Self {
        Self {
            weight_decay: wd,
            decoupled: true,
            ..Self::new(lr)
        }
    }

    /// The same settings with another schedule.
    pub fn with_schedule(mut self, schedule: LrSchedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// Checks the settings and builds the optimiser.
    pub fn build<B: Backend>(self) -> Result<Adam<B>> {
        let bad = |reason: String| TensorError::InvalidArgument { op: "Adam", reason };
        if !(0.0..1.0).contains(&self.beta1) || !(0.0..1.0).contains(&self.beta2) {
            return Err(bad(format!(
                "betas must lie in [0, 1), got ({}, {})",
                self.beta1, self.beta2
            )));
        }
        if !(self.eps > 0.0) || !(self.weight_decay >= 0.0) {
            return Err(bad(format!(
                "need eps > 0 and weight_decay >= 0, got {} and {}",
                self.eps, self.weight_decay
            )));
        }
        Ok(Adam {
            config: self,
            step: 0,
            moments: BTreeMap::new(),
        })
    }
}

/// The Adam / AdamW optimiser.
#[derive(Debug, Clone)]
pub struct Adam<B: Backend> {
    config: AdamConfig,
    step: u64,
    moments: BTreeMap<String, (Tensor<B>, Tensor<B>)>,
}

impl<B: Backend> Adam<B> {
    /// The settings.
    pub fn config(&self) -> &AdamConfig {
        &self.config
    }
}

impl<B: Backend> Optimizer<B> for Adam<B> {
    fn step(&mut self, params: &[Param<B>], grads: &Gradients<B>) -> Result<()> {
        let c = self.config;
        let lr = c.schedule.lr(self.step);
        self.step += 1;
        let t = self.step as i32;
        let bias1 = 1.0 - c.beta1.powi(t);
        let bias2 = 1.0 - c.beta2.powi(t);
        let hyper = AdamStep {
            lr,
            beta1: c.beta1,
            beta2: c.beta2,
            eps: c.eps,
            bias1,
            bias2,
            l2: if c.decoupled { 0.0 } else { c.weight_decay },
            decoupled: if c.decoupled { c.weight_decay } else { 0.0 },
        };
        for p in params.iter().filter(|p| p.is_trainable()) {
            let value = p.value();
            let Some(g) = grads.get(&value) else { continue };
            let (m, v) = match self.moments.remove(p.name()) {
                Some(mv) => mv,
                None => {
                    let z = Tensor::zeros(&value.shape(), &value.device())?;
                    (z.clone(), z)
                }
            };
            let (next, m, v) = value.adam_update(&g, m, v, &hyper)?;
            p.set_value(next)?;
            self.moments.insert(p.name().to_string(), (m, v));
        }
        Ok(())
    }

    fn learning_rate(&self) -> f64 {
        self.config.schedule.lr(self.step)
    }

    fn steps_taken(&self) -> u64 {
        self.step
    }

    fn state(&self) -> OptimizerState<B> {
        let mut buffers = BTreeMap::new();
        for (name, (m, v)) in &self.moments {
            buffers.insert(format!("{name}/m"), m.clone());
            buffers.insert(format!("{name}/v"), v.clone());
        }
        OptimizerState {
            kind: "adam".into(),
            step: self.step,
            buffers,
        }
    }

    fn load_state(&mut self, state: OptimizerState<B>) -> Result<()> {
        if state.kind != "adam" {
            return Err(TensorError::InvalidArgument {
                op: "Adam::load_state",
                reason: format!("state was written by `{}`, not `adam`", state.kind),
            });
        }
        let mut firsts = BTreeMap::new();
        let mut seconds = BTreeMap::new();
        for (key, t) in state.buffers {
            match key.rsplit_once('/') {
                Some((name, "m")) => firsts.insert(name.to_string(), t),
                Some((name, "v")) => seconds.insert(name.to_string(), t),
                _ => {
                    return Err(TensorError::InvalidArgument {
                        op: "Adam::load_state",
                        reason: format!("unexpected buffer `{key}`"),
                    });
                }
            };
        }
        let mut moments = BTreeMap::new();
        for (name, m) in firsts {
            let v = seconds
                .remove(&name)
                .ok_or_else(|| TensorError::InvalidArgument {
                    op: "Adam::load_state",
                    reason: format!("buffer `{name}/v` is missing"),
                })?;
            moments.insert(name, (m, v));
        }
        if let Some(name) = seconds.keys().next() {
            return Err(TensorError::InvalidArgument {
                op: "Adam::load_state",
                reason: format!("buffer `{name}/m` is missing"),
            });
        }
        self.moments = moments;
        self.step = state.step;
        Ok(())
    }
}
