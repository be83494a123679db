//! libFuzzer entry point of [`abi_fuzz::train_file`]: `cargo fuzz run train_file --features libfuzzer`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // a rejection is a typed error, which is fine; a panic or an abort is a finding
    let _ = abi_fuzz::train_file(data);
});
