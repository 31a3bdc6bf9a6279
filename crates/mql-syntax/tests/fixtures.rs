//! Fixture folders: every `valid/*.mql` parses without a diagnostic and its
//! tree is snapshotted; every `invalid/*.mql` gives at least one error and its
//! rendered diagnostics (no colour) are snapshotted.

use std::path::{Path, PathBuf};

use mql_syntax::{parse, render_all};

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixture folder")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "mql"))
        .collect();
    files.sort();
    files
}

fn name_of(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn valid_fixtures_parse_without_diagnostics() {
    let files = fixtures("valid");
    assert!(!files.is_empty());
    for path in files {
        let text = std::fs::read_to_string(&path).expect("fixture text");
        let file = parse(&text);
        let shown = format!("valid/{}.mql", name_of(&path));
        assert!(
            file.diagnostics.is_empty(),
            "{}",
            render_all(&file.diagnostics, &shown, &text, false)
        );
        let tree = mql_syntax::tree::to_sexpr(&file);
        insta::with_settings!({ snapshot_suffix => name_of(&path), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("valid", tree);
        });
    }
}

#[test]
fn invalid_fixtures_report_errors() {
    let files = fixtures("invalid");
    assert!(files.len() >= 40, "only {} invalid fixtures", files.len());
    for path in files {
        let text = std::fs::read_to_string(&path).expect("fixture text");
        let file = parse(&text);
        let shown = format!("invalid/{}.mql", name_of(&path));
        assert!(
            file.diagnostics.iter().any(|d| d.is_error()),
            "{shown} gave no error"
        );
        for d in &file.diagnostics {
            assert!(!d.message.contains("Rule"), "{shown}: {}", d.message);
            assert!(
                !d.message.contains('_') || d.message.contains('`'),
                "{shown}: {}",
                d.message
            );
        }
        let rendered = render_all(&file.diagnostics, &shown, &text, false);
        insta::with_settings!({ snapshot_suffix => name_of(&path), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("invalid", rendered);
        });
    }
}
