//! Fuzz target `events`: an events file joined to fixed leads (see `mql_fuzz`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mql_fuzz::events(data));
