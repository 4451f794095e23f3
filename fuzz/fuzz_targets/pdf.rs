#![no_main]
// See verbatim::fuzz::pdf_file.
//
// pdf-extract panics on some malformed files; verbatim catches those
// panics (src/ingest/pdf.rs) and reports the file as unreadable. libfuzzer
// installs a hook that aborts on any panic, even a caught one, so this
// target puts back a hook that lets the panic unwind to that catch. A panic
// that escapes verbatim still reaches libfuzzer's catch_unwind, which aborts:
// a real crash is still reported.
libfuzzer_sys::fuzz_target!(
    init: std::panic::set_hook(Box::new(|_| {})),
    |data: &[u8]| verbatim::fuzz::pdf_file(data)
);
