//! Fuzz target: a leads workbook (or text written into one) through reading and evaluation.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mql_fuzz::workbook(data));
