#![no_main]
// See verbatim::fuzz::html_file.
libfuzzer_sys::fuzz_target!(|data: &[u8]| verbatim::fuzz::html_file(data));
