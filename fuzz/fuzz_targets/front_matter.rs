#![no_main]
// See verbatim::fuzz::front_matter.
libfuzzer_sys::fuzz_target!(|data: &[u8]| verbatim::fuzz::front_matter(data));
