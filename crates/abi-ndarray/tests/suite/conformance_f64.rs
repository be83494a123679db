//! The full conformance kit in double precision (tight finite-difference tolerances).
abi_tensor::conformance_tests!(abi_ndarray::NdArray<f64>, abi_ndarray::Cpu);
