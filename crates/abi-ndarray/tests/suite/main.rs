//! The abi-ndarray integration tests, one binary: each module is one former test file.

mod conformance_f32;
mod conformance_f64;
mod grad_mode_in_parallel;
mod params_and_optim;
mod wrong_rule_is_caught;
