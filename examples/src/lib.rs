//! Runnable examples of abi; see `examples/*.rs` and the workspace README.
