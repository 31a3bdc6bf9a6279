//! The shared v1.1 conformance suite, end to end: for every case in
//! `../shared/conformance-v1.1/` (source names, value labels and
//! placeholders in models and data), run `mql eval … --explain --format
//! ndjson` and compare each result with the independent implementation's
//! expected output, the data errors it reported and the summary line, exactly
//! like the v1 suite (`conformance.rs`).

mod common;

use std::path::Path;

use common::{case_dirs, case_name, check_case, Rules};

#[test]
fn conformance_v11_cases() {
    let cases =
        case_dirs(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance-v1.1"));
    assert!(
        cases.len() >= 24,
        "expected the 24 shared v1.1 cases, found {}",
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
        "{} of {} v1.1 conformance cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
