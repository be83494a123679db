//! The full conformance kit in single precision, the precision networks train in.
abi_tensor::conformance_tests!(abi_ndarray::NdArray<f32>, abi_ndarray::Cpu);
