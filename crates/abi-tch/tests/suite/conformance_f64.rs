//! The full conformance kit on libtorch in double precision.
abi_tensor::conformance_tests!(abi_tch::Tch<f64>, crate::cpu());
