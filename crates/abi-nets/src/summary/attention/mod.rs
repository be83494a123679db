//! Attention parts of the set and time-series transformers: masked multi-head attention, the
//! attention block (MAB) and pooling by multi-head attention (PMA).

mod block;
mod mha;
mod pma;

pub(crate) use block::{AttentionBlock, BlockSettings};
pub(crate) use pma::PoolingByAttention;
