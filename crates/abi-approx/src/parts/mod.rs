//! The parts every approximator is built from, each a leaf that knows nothing of the
//! approximator using it:
//!
//! - [`conditions`]: the inference network's conditions, the summary network's output on
//!   `summary_variables` next to `inference_conditions`;
//! - [`sampler`]: posterior sampling in chunks of data sets with bounded memory, and
//!   rejection of parameter-space draws outside a support;
//! - [`contrast`]: other rows of a batch, the negatives of ratio estimation and the atoms of
//!   sequential NPE;
//! - [`parameters`]: named parameters as flat points and back;
//! - [`mcmc`] and [`nuts`]: posteriors by slice sampling or NUTS from a learned likelihood or
//!   ratio and the prior; [`rejection`] the same posterior by rejection sampling from the
//!   prior;
//! - [`persist`]: the model folder, a versioned `model.json` (adapter, network specs,
//!   training settings, history) beside the weights;
//! - the training loop ([`crate::train`](mod@crate::train)) behind the [`Trainable`](crate::Trainable) trait.

pub mod conditions;
pub mod contrast;
pub mod folder;
pub mod mcmc;
pub mod mmd;
pub mod nuts;
pub mod parameters;
pub mod persist;
pub mod rejection;
pub mod sampler;
