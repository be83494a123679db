//! Devices, the one-time runtime set-up (loading libtorch's CUDA library) and threading.

use std::sync::OnceLock;

/// Where a [`Tch`](crate::Tch) tensor lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TchDevice {
    /// The host CPU (the default).
    #[default]
    Cpu,
    /// The CUDA device with this ordinal.
    Cuda(usize),
}

impl TchDevice {
    /// `Cuda(0)` when a CUDA device can be used, else `Cpu`.
    ///
    /// ```no_run
    /// let device = abi_tch::TchDevice::cuda_if_available();
    /// println!("training on {device}");
    /// ```
    pub fn cuda_if_available() -> Self {
        if cuda_is_available() {
            TchDevice::Cuda(0)
        } else {
            TchDevice::Cpu
        }
    }

    /// Parses `cpu`, `cuda` (= `cuda:0`) or `cuda:N`.
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "cpu" => Some(TchDevice::Cpu),
            "cuda" | "gpu" => Some(TchDevice::Cuda(0)),
            other => other
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(TchDevice::Cuda),
        }
    }

    pub(crate) fn to_tch(self) -> tch::Device {
        match self {
            TchDevice::Cpu => tch::Device::Cpu,
            TchDevice::Cuda(i) => tch::Device::Cuda(i),
        }
    }

    pub(crate) fn from_tch(device: tch::Device) -> Self {
        match device {
            tch::Device::Cuda(i) => TchDevice::Cuda(i),
            _ => TchDevice::Cpu,
        }
    }
}

impl std::fmt::Display for TchDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TchDevice::Cpu => f.write_str("cpu"),
            TchDevice::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

/// Whether libtorch's CUDA library was found and loaded (see [`init`]).
static CUDA_LIBRARY: OnceLock<bool> = OnceLock::new();

/// Prepares libtorch once per process; every tensor creation calls it, so calling it
/// yourself is only needed to query CUDA before the first tensor exists.
///
/// Rust's default linker drops `libtorch_cuda.so` from the link (`--as-needed`: nothing
/// refers to it by symbol), so CUDA would never register. `init` loads the library with
/// `RTLD_NOW | RTLD_GLOBAL` before libtorch's first use, which registers the CUDA kernels. On
/// a CPU-only libtorch the library is absent and everything runs on the CPU: one binary
/// serves both.
pub fn init() -> bool {
    *CUDA_LIBRARY.get_or_init(load_cuda_library)
}

fn load_cuda_library() -> bool {
    #[cfg(unix)]
    {
        use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_NOW};
        // SAFETY: loading libtorch's own CUDA library runs its static initialisers, which only
        // register kernels with the libtorch already loaded into this process.
        match unsafe { Library::open(Some("libtorch_cuda.so"), RTLD_NOW | RTLD_GLOBAL) } {
            Ok(library) => {
                // kept for the life of the process: the registered kernels point into it
                std::mem::forget(library);
                true
            }
            Err(_) => false,
        }
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Whether a CUDA device can be used (loads libtorch's CUDA library first, see [`init`]).
pub fn cuda_is_available() -> bool {
    init() && tch::Cuda::is_available()
}

/// Sets the number of threads libtorch uses for one operation on the CPU.
///
/// libtorch's OpenMP threads spin while waiting; on a machine with two busy cores one thread
/// (or `OMP_WAIT_POLICY=PASSIVE`) is much faster than two.
pub fn set_num_threads(threads: usize) {
    init();
    tch::set_num_threads(threads.max(1) as i32);
}

/// Seeds libtorch's own generators (CPU and CUDA). abi draws its random numbers on the host,
/// so this only matters for code that calls libtorch's samplers directly.
pub fn manual_seed(seed: u64) {
    init();
    tch::manual_seed(seed as i64);
}
