//! Side-by-side guides for users of BayesFlow and sbi: each of their calls and the abi call
//! that does the same.

#[doc = include_str!("for_bayesflow_users.md")]
pub mod for_bayesflow_users {}

#[doc = include_str!("for_sbi_users.md")]
pub mod for_sbi_users {}
