#![no_main]
// See verbatim::fuzz::corpus_file.
libfuzzer_sys::fuzz_target!(|data: &[u8]| verbatim::fuzz::corpus_file(data));
