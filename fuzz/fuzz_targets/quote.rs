#![no_main]
// See verbatim::fuzz::quote.
libfuzzer_sys::fuzz_target!(|data: &[u8]| verbatim::fuzz::quote(data));
