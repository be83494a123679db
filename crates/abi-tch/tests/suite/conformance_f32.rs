//! The full conformance kit on libtorch in single precision.
abi_tensor::conformance_tests!(abi_tch::Tch<f32>, crate::cpu());
