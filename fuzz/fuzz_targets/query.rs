#![no_main]
// See verbatim::fuzz::query.
libfuzzer_sys::fuzz_target!(|data: &[u8]| verbatim::fuzz::query(data));
