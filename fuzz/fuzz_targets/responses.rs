//! Fuzz target: `ktrdr_tools_fuzz::responses` on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ktrdr_tools_fuzz::responses(data));
