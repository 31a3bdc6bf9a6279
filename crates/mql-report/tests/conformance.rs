//! Runs the shared conformance cases (`../shared/conformance/gen-*`, and the
//! v1.1 cases of `../shared/conformance-v1.1/` with source names, labels and
//! placeholders): checks each model, reads its leads, evaluates them at the
//! case's instant with explanations, and compares every result object with
//! `expected.ndjson` (numbers within a relative 1e-9).

use std::path::{Path, PathBuf};

use mql_core::time::{parse_time, TimeSyntax};
use mql_data::{read_events, Issues, LeadReader, ReadOptions, Source};
use serde_json::Value as Json;

fn conformance_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// Where two JSON values differ, as a path, or `None` if they agree.
fn diff(path: &str, want: &Json, got: &Json) -> Option<String> {
    match (want, got) {
        (Json::Number(a), Json::Number(b)) => {
            if a.is_f64() != b.is_f64() {
                return Some(format!("{path}: expected {a}, got {b}"));
            }
            let (x, y) = (
                a.as_f64().unwrap_or(f64::NAN),
                b.as_f64().unwrap_or(f64::NAN),
            );
            (!close(x, y)).then(|| format!("{path}: expected {a}, got {b}"))
        }
        (Json::Object(a), Json::Object(b)) => {
            let ka: Vec<&String> = a.keys().collect();
            let kb: Vec<&String> = b.keys().collect();
            if ka != kb {
                return Some(format!("{path}: expected keys {ka:?}, got {kb:?}"));
            }
            a.iter()
                .find_map(|(k, v)| diff(&format!("{path}.{k}"), v, &b[k]))
        }
        (Json::Array(a), Json::Array(b)) => {
            if a.len() != b.len() {
                return Some(format!("{path}: expected {want}, got {got}"));
            }
            a.iter()
                .zip(b)
                .enumerate()
                .find_map(|(i, (x, y))| diff(&format!("{path}[{i}]"), x, y))
        }
        _ => (want != got).then(|| format!("{path}: expected {want}, got {got}")),
    }
}

/// Run one case; `Ok` gives (leads, results identical to the byte); `Err`
/// says what differs.
fn run_case(dir: &Path) -> Result<(usize, usize), String> {
    let model_path = dir.join("model.mql");
    let text = std::fs::read_to_string(&model_path).map_err(|e| e.to_string())?;
    let checked = mql_sema::check_source("model.mql", &text);
    let model = checked.model.ok_or_else(|| {
        let msgs: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect();
        format!("model does not check: {msgs:?}")
    })?;
    let program = mql_vm::compile(&model);
    let as_of = std::fs::read_to_string(dir.join("as_of.txt")).map_err(|e| e.to_string())?;
    let now = parse_time(as_of.trim(), TimeSyntax::Literal).ok_or("bad as_of")?;
    let options = ReadOptions::default();
    let leads_path = ["leads.ndjson", "leads.json", "leads.csv"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.exists())
        .ok_or("no leads file")?;
    let mut leads = Vec::new();
    {
        let mut reader = LeadReader::new(
            &model.schema,
            Source::open(&leads_path.to_string_lossy()).map_err(|e| e.to_string())?,
            &options,
            Issues::ignore(),
        )
        .map_err(|e| e.to_string())?;
        let events_path = dir.join("events.csv");
        if events_path.exists() {
            let mut issues = Issues::ignore();
            let events = read_events(
                &model.schema,
                Source::open(&events_path.to_string_lossy()).map_err(|e| e.to_string())?,
                &options,
                &mut issues,
            )
            .map_err(|e| e.to_string())?;
            reader = reader.with_events(events);
        }
        loop {
            let chunk = reader.next_chunk(64).map_err(|e| e.to_string())?;
            if chunk.is_empty() {
                break;
            }
            leads.extend(chunk);
        }
    }
    let results = program.eval_batch(&leads, now, true);
    let expected =
        std::fs::read_to_string(dir.join("expected.ndjson")).map_err(|e| e.to_string())?;
    let want: Vec<&str> = expected.lines().filter(|l| !l.trim().is_empty()).collect();
    if want.len() != results.len() {
        return Err(format!(
            "expected {} results, got {}",
            want.len(),
            results.len()
        ));
    }
    let mut identical = 0;
    for (i, (w, r)) in want.iter().zip(&results).enumerate() {
        let line = mql_report::results::json_line(r, &model);
        if line == *w {
            identical += 1;
        } else if std::env::var_os("MQL_SHOW_DIFF").is_some() {
            eprintln!("want: {w}\ngot:  {line}");
        }
        let got: Json =
            serde_json::from_str(&line).map_err(|e| format!("result {i} is not JSON: {e}"))?;
        let wanted: Json = serde_json::from_str(w).map_err(|e| e.to_string())?;
        if let Some(d) = diff("", &wanted, &got) {
            return Err(format!("lead #{} ({}): {d}", i + 1, r.id));
        }
    }
    Ok((results.len(), identical))
}

#[test]
fn conformance_cases_match_the_reference_output() {
    run_suite(&conformance_dir(), 40);
}

#[test]
fn v11_conformance_cases_match_the_reference_output() {
    run_suite(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance-v1.1"),
        24,
    );
}

fn run_suite(dir: &Path, at_least: usize) {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("no conformance cases at {}: {e}", dir.display()));
    let mut cases: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("model.mql").exists())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= at_least,
        "only {} cases in {}",
        cases.len(),
        dir.display()
    );
    let mut failures = Vec::new();
    let mut leads = 0;
    let mut identical = 0;
    for case in &cases {
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        match run_case(case) {
            Ok((n, same)) => {
                leads += n;
                identical += same;
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    eprintln!(
        "conformance: {} of {} cases pass ({leads} leads, {identical} byte-identical)",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "failing cases:\n{}",
        failures.join("\n")
    );
}

/// A rough throughput figure (run with `--release -- --ignored --nocapture`).
#[test]
#[ignore]
fn throughput() {
    let dir = conformance_dir();
    let mut all = Vec::new();
    for case in ["gen-1000", "gen-1005", "gen-1010", "gen-1020"] {
        let d = dir.join(case);
        let text = std::fs::read_to_string(d.join("model.mql")).expect("model");
        let model = mql_sema::check_source("model.mql", &text)
            .model
            .expect("checks");
        let program = mql_vm::compile(&model);
        let as_of = std::fs::read_to_string(d.join("as_of.txt")).expect("as_of");
        let now = parse_time(as_of.trim(), TimeSyntax::Literal).expect("time");
        let source = Source::open(&d.join("leads.ndjson").to_string_lossy()).expect("leads");
        let mut reader = LeadReader::new(
            &model.schema,
            source,
            &ReadOptions::default(),
            Issues::ignore(),
        )
        .expect("reader");
        let leads = reader.next_chunk(1000).expect("leads");
        let many: Vec<_> = leads.iter().cycle().take(100_000).cloned().collect();
        let t = std::time::Instant::now();
        let r = program.eval_batch(&many, now, false);
        let batch = t.elapsed();
        let t = std::time::Instant::now();
        let mut n = 0;
        for l in &many {
            n += program.eval(l, now, false).scores.len();
        }
        let single = t.elapsed();
        all.push(format!(
            "{case}: {} leads, batch {:?} ({:.0} leads/s), one thread {:?} ({:.0} leads/s) [{n}]",
            r.len(),
            batch,
            r.len() as f64 / batch.as_secs_f64(),
            single,
            many.len() as f64 / single.as_secs_f64()
        ));
    }
    eprintln!("{}", all.join("\n"));
}
