//! One fixture per diagnostic code: `tests/fixtures/<code>_<what>.mql` must
//! produce a diagnostic with that code; every diagnostic it produces is
//! rendered without colour and snapshotted.

use std::path::PathBuf;

use mql_sema::check_source;
use mql_syntax::render_all;

#[test]
fn every_fixture_reports_its_code() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "mql")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('E') || n.starts_with('W'))
        })
        .collect();
    paths.sort();
    assert!(paths.len() >= 45, "only {} fixtures", paths.len());
    let mut missing = Vec::new();
    for path in paths {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        let stem = file.trim_end_matches(".mql").to_string();
        let code = &stem[..5];
        let text = std::fs::read_to_string(&path).expect("read fixture");
        let checked = check_source(&file, &text);
        if !checked.diagnostics.iter().any(|d| d.code == code) {
            missing.push(format!(
                "{file}: no {code}, got {:?}",
                checked
                    .diagnostics
                    .iter()
                    .map(|d| d.code)
                    .collect::<Vec<_>>()
            ));
        }
        if code.starts_with('E') {
            assert!(
                checked.model.is_none(),
                "{file}: an error must withhold the model"
            );
        }
        let rendered = render_all(&checked.diagnostics, &file, &text, false);
        insta::assert_snapshot!(stem, rendered);
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
