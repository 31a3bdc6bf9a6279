//! Valid models check without errors: the spec's §1 example, the example
//! models of the repository and the 40 conformance models. Their warnings are
//! snapshotted so that a new or lost warning is noticed.

use std::path::PathBuf;

use mql_sema::check_source;
use mql_syntax::{plain_line, render_all};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check_file(path: &std::path::Path) -> (mql_sema::Checked, String) {
    let text = std::fs::read_to_string(path).expect("read model");
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("model.mql");
    (check_source(name, &text), text)
}

#[test]
fn spec_example_has_no_errors() {
    let path = manifest().join("tests/fixtures/spec_example.mql");
    let (c, text) = check_file(&path);
    let rendered = render_all(&c.diagnostics, "spec_example.mql", &text, false);
    assert!(c.model.is_some(), "{rendered}");
    insta::assert_snapshot!(rendered);
}

#[test]
fn olist_example_has_no_errors() {
    let path = manifest().join("../../examples/olist/olist.mql");
    let (c, text) = check_file(&path);
    let rendered = render_all(&c.diagnostics, "olist.mql", &text, false);
    assert!(c.model.is_some(), "{rendered}");
    insta::assert_snapshot!(rendered);
}

#[test]
fn conformance_models_have_no_errors() {
    let dir = manifest().join("../../../shared/conformance");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("conformance folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("model.mql").exists())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 40);
    let mut report = String::new();
    let mut failures = String::new();
    for case in cases {
        let name = case
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        let path = case.join("model.mql");
        let (c, text) = check_file(&path);
        let label = format!("{name}/model.mql");
        if c.model.is_none() {
            failures.push_str(&render_all(&c.diagnostics, &label, &text, false));
        }
        for d in &c.diagnostics {
            report.push_str(&plain_line(d, &label, &text));
            report.push('\n');
        }
    }
    assert!(failures.is_empty(), "{failures}");
    insta::assert_snapshot!(report);
}

/// The v1.1 shared models (source names, labels, placeholders) check without
/// an error, and the checker carries their reading declarations into the
/// schema.
#[test]
fn v11_conformance_models_have_no_errors() {
    let dir = manifest().join("../../../shared/conformance-v1.1");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("conformance folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("model.mql").exists())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 24);
    let mut failures = String::new();
    let (mut sources, mut labels, mut placeholders) = (0, 0, 0);
    for case in cases {
        let path = case.join("model.mql");
        let (c, text) = check_file(&path);
        let Some(model) = c.model else {
            failures.push_str(&render_all(
                &c.diagnostics,
                &path.to_string_lossy(),
                &text,
                false,
            ));
            continue;
        };
        let fields = model
            .schema
            .lead
            .iter()
            .chain(model.schema.events.iter().flat_map(|e| &e.fields));
        for f in fields {
            sources += usize::from(f.source.is_some());
            placeholders += usize::from(!f.missing.is_empty());
            labels += f
                .enum_ty()
                .map_or(0, |e| e.labels.iter().filter(|l| !l.is_empty()).count());
        }
        if let Some(stages) = &model.schema.stages {
            labels += stages.labels.iter().filter(|l| !l.is_empty()).count();
        }
    }
    assert!(failures.is_empty(), "{failures}");
    assert!(
        sources > 24 && labels > 24 && placeholders > 24,
        "{sources} source names, {labels} labelled values, {placeholders} fields with placeholders"
    );
}
