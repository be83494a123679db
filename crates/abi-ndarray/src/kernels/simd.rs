//! Run-time selection of vector instructions for elementwise loops.
//!
//! The crate is compiled for the baseline x86-64 target (SSE2), which keeps binaries portable;
//! elementwise loops are far faster with AVX2 and FMA. [`run`] executes a loop body inside a
//! function compiled with those features when the CPU reports them, so the inlined body is
//! vectorised with 256-bit registers; elsewhere it runs as compiled for the baseline.

/// Runs `body`, compiled for AVX2 + FMA when the CPU has them.
#[inline(always)]
pub(crate) fn run<R>(body: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if has_avx2_fma() {
            // SAFETY: the CPU supports AVX2 and FMA (checked at run time just above).
            return unsafe { with_avx2_fma(body) };
        }
    }
    body()
}

#[cfg(target_arch = "x86_64")]
fn has_avx2_fma() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    })
}

/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn with_avx2_fma<R>(body: impl FnOnce() -> R) -> R {
    body()
}
