#![no_main]
// See verbatim::fuzz::segment_text.
libfuzzer_sys::fuzz_target!(|data: &[u8]| verbatim::fuzz::segment_text(data));
