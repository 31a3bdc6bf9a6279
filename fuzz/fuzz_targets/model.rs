//! Fuzz target `model`: a model file: parse, diagnostics, fmt twice, check, compile, the model's tests (see `mql_fuzz`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mql_fuzz::model(data));
