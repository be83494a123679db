//! The abi-tch integration tests, one binary.

mod conformance_f32;
mod conformance_f64;
mod cross_backend;
mod independent_models;
mod parity;
mod two_approximators;

/// The CPU device with libtorch on one thread: its spinning OpenMP threads are slow on a
/// busy two-core machine.
pub fn cpu() -> abi_tch::TchDevice {
    abi_tch::set_num_threads(1);
    abi_tch::TchDevice::Cpu
}
