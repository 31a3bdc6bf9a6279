//! Reads the leads (and events) of all 40 conformance cases and checks that the
//! data errors and notes found are exactly the ones the reference reported
//! (file, line, column, lead, field), and that as many leads are read.

mod common;

use std::path::{Path, PathBuf};

use common::{conformance_dir, schema_of};
use mql_data::{read_events, DataIssue, IssueKind, Issues, LeadReader, ReadOptions, Source};

/// (kind, file name, line, column, lead, field) of a reported issue; notes are
/// compared by kind and name only (the reference gives them no place).
type Fact = (
    &'static str,
    String,
    Option<u64>,
    Option<u64>,
    Option<String>,
    Option<String>,
);

fn fact_of(issue: &DataIssue) -> Fact {
    match issue.kind {
        IssueKind::Note => ("note", String::new(), None, None, None, issue.field.clone()),
        IssueKind::Warning => (
            "warning",
            String::new(),
            None,
            None,
            None,
            issue.field.clone(),
        ),
        IssueKind::Error => (
            "error",
            Path::new(issue.file.as_ref())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned(),
            Some(issue.line),
            issue.column,
            issue.lead.as_ref().map(|l| l.to_string()),
            issue.field.clone(),
        ),
    }
}

/// Parse a line of a reference `data-errors.txt`.
fn reference_fact(line: &str) -> Option<Fact> {
    if let Some(rest) = line.strip_prefix("note: ") {
        let name = rest.split('`').nth(1).expect("note names a key");
        return Some(("note", String::new(), None, None, None, Some(name.into())));
    }
    let rest = line.strip_prefix("data error: ")?;
    let (place, mut rest) = rest.split_once(": ").expect("a place");
    let mut parts = place.split(':');
    let file = Path::new(parts.next().unwrap())
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let line_no = parts.next().map(|l| l.parse().unwrap());
    let column = parts.next().map(|c| c.parse().unwrap());
    let mut lead = None;
    if let Some(r) = rest.strip_prefix("lead ") {
        let (id, r) = r.split_once(": ").unwrap();
        lead = Some(id.to_string());
        rest = r;
    }
    let mut field = None;
    if let Some(r) = rest.strip_prefix("field `") {
        field = Some(r.split('`').next().unwrap().to_string());
    }
    Some(("error", file, line_no, column, lead, field))
}

#[test]
fn all_conformance_cases_report_the_reference_data_errors() {
    let dir = conformance_dir();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("conformance folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("model.mql").exists())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 40);
    let mut failures = Vec::new();
    for case in &cases {
        let model = std::fs::read_to_string(case.join("model.mql")).unwrap();
        let schema = schema_of(&model);
        let reference = std::fs::read_to_string(case.join("data-errors.txt")).unwrap();
        let mut want: Vec<Fact> = reference.lines().filter_map(reference_fact).collect();
        want.sort();
        let summary = reference
            .lines()
            .find_map(|l| l.strip_prefix("leads read: "))
            .expect("a summary line");
        let want_leads: u64 = summary.split(',').next().unwrap().parse().unwrap();
        let want_errors: u64 = summary
            .split(", data errors: ")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .unwrap()
            .parse()
            .unwrap();

        let mut got_issues = Vec::new();
        let options = ReadOptions::default();
        let (leads, errors) = {
            let mut issues = Issues::collect(&mut got_issues);
            let leads_path = ["leads.ndjson", "leads.csv"]
                .iter()
                .map(|f| case.join(f))
                .find(|p| p.exists())
                .unwrap();
            let events_path = case.join("events.csv");
            let events = events_path.exists().then(|| {
                read_events(
                    &schema,
                    Source::open(events_path.to_str().unwrap()).unwrap(),
                    &options,
                    &mut issues,
                )
                .unwrap()
            });
            let mut reader = LeadReader::new(
                &schema,
                Source::open(leads_path.to_str().unwrap()).unwrap(),
                &options,
                issues,
            )
            .unwrap();
            if let Some(ev) = events {
                reader = reader.with_events(ev);
            }
            let (leads, issues) = reader.read_all().unwrap();
            (leads, issues.errors())
        };
        let mut got: Vec<Fact> = got_issues.iter().map(fact_of).collect();
        got.sort();
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        if got != want {
            let missing: Vec<_> = want.iter().filter(|f| !got.contains(f)).collect();
            let extra: Vec<_> = got.iter().filter(|f| !want.contains(f)).collect();
            let shown: Vec<String> = got_issues.iter().map(|i| i.to_string()).collect();
            failures.push(format!(
                "{name}: missing {missing:#?}\nextra {extra:#?}\nours:\n{}",
                shown.join("\n")
            ));
        }
        if leads.len() as u64 != want_leads {
            failures.push(format!(
                "{name}: read {} leads, the reference {want_leads}",
                leads.len()
            ));
        }
        if errors != want_errors {
            failures.push(format!(
                "{name}: {errors} data errors, the reference {want_errors}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The NDJSON cases written as JSON arrays (one record a line, after a `[`
/// line) give the same leads and the same issues, one line further down.
#[test]
fn json_arrays_read_like_ndjson() {
    let dir = conformance_dir();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let case = entry.unwrap().path();
        let path = case.join("leads.ndjson");
        if !path.exists() {
            continue;
        }
        let schema = schema_of(&std::fs::read_to_string(case.join("model.mql")).unwrap());
        let text = std::fs::read_to_string(&path).unwrap();
        let records: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(records.len(), text.lines().count(), "no blank lines");
        let array = format!("[\n{}\n]\n", records.join(",\n"));

        let read = |name: &str, text: &str| {
            let mut got = Vec::new();
            let leads = {
                let issues = Issues::collect(&mut got);
                LeadReader::new(
                    &schema,
                    Source::from_text(name.to_string(), text),
                    &ReadOptions::default(),
                    issues,
                )
                .unwrap()
                .read_all()
                .unwrap()
                .0
            };
            (leads, got)
        };
        let (nd_leads, nd_issues) = read("leads.ndjson", &text);
        let (js_leads, js_issues) = read("leads.json", &array);
        assert_eq!(nd_leads, js_leads, "{}", case.display());
        // A duplicate id names the line of the first record, which moves too.
        let facts = |issues: &[DataIssue], shift: u64| -> Vec<_> {
            issues
                .iter()
                .map(|i| {
                    let reason = match i.reason.split_once("(first at line ") {
                        Some((head, rest)) => {
                            let (n, tail) = rest.split_once(')').unwrap();
                            let n: u64 = n.parse().unwrap();
                            format!("{head}(first at line {}){tail}", n + shift)
                        }
                        None => i.reason.clone(),
                    };
                    (
                        i.kind,
                        i.line + shift,
                        i.lead.clone(),
                        i.field.clone(),
                        reason,
                    )
                })
                .collect()
        };
        let want = facts(&nd_issues, 1);
        let got = facts(&js_issues, 0);
        assert_eq!(got, want, "{}", case.display());
        checked += 1;
    }
    assert!(checked > 20);
}
