#![no_main]
// See verbatim::fuzz::pdf_file.
libfuzzer_sys::fuzz_target!(|data: &[u8]| verbatim::fuzz::pdf_file(data));
