//! abi-diag behaviour tests.
