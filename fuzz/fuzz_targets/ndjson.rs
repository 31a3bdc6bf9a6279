//! Fuzz target `ndjson`: a ndjson leads file read and evaluated, every lead accounted for (see `mql_fuzz`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mql_fuzz::leads(mql_data::InputFormat::Ndjson, data));
