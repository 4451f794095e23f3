#![no_main]
// See verbatim::fuzz::draft.
libfuzzer_sys::fuzz_target!(|data: &[u8]| verbatim::fuzz::draft(data));
