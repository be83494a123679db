//! libFuzzer entry point of [`abi_fuzz::npz`]: `cargo fuzz run npz --features libfuzzer`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // a rejection is a typed error, which is fine; a panic or an abort is a finding
    let _ = abi_fuzz::npz(data);
});
