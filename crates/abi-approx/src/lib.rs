#![doc = include_str!("../README.md")]

mod continuous;
pub mod dataset;
mod error;
mod history;
mod joint;
mod paired;
pub mod parts;
pub mod roles;
mod sampling;
pub mod train;

pub use continuous::{
    ApproximatorSpec, ContinuousApproximator, ContinuousApproximatorBuilder, ImportanceDraws,
};
pub use error::{ApproxError, Result};
pub use history::{EpochRecord, History};
pub use joint::{JointApproximator, JointApproximatorBuilder, MarginalLikelihood};
pub use paired::{
    Likelihood, LikelihoodApproximator, LikelihoodApproximatorBuilder, ModelClassifierConfig,
    ModelComparison, ModelComparisonApproximator, ModelComparisonApproximatorBuilder, PairKind,
    PairedApproximator, PairedApproximatorBuilder, PairedSpec, Point, PointApproximator,
    PointApproximatorBuilder, PointEstimate, PointNetwork, PointNetworkConfig, PosteriorByMcmc,
    Ratio, RatioApproximator, RatioApproximatorBuilder, RatioClassifierConfig, RatioLoss,
    RoundsConfig, RoundsOutcome, SimulateGiven,
};
pub use parts::mcmc::{McmcOptions, McmcPosterior};
pub use parts::persist::{LoadOptions, MODEL_FORMAT, MODEL_FORMAT_VERSION};
pub use parts::rejection::{RejectionOptions, RejectionPosterior};
pub use sampling::{Draws, SampleOptions, Support};
pub use train::{
    Callback, FaultPolicy, OptimizerChoice, ScheduleChoice, TrainConfig, Trainable, train,
    train_into,
};
