//! The shared conformance suite, end to end: for every case in
//! `../shared/conformance/`, run `mql eval … --explain --format ndjson` and
//! compare each result with the independent implementation's expected output
//! (numbers within a relative 1e-9), the data errors it reported (file, line,
//! column, lead and field), and the summary line.

mod common;

use std::path::Path;

use common::{case_dirs, case_name, check_case, Rules};

#[test]
fn conformance_cases() {
    let cases = case_dirs(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    assert!(
        cases.len() >= 40,
        "expected the 40 shared cases, found {}",
        cases.len()
    );
    let rules = Rules {
        data_errors_required: true,
    };
    let mut failures = Vec::new();
    for dir in &cases {
        let mut diffs = check_case(dir, rules);
        if !diffs.is_empty() {
            diffs.truncate(12);
            failures.push(format!("{}:\n  {}", case_name(dir), diffs.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} conformance cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
