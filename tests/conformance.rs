//! The shared conformance suite, end to end: for every case in
//! `../shared/conformance/`, run `mql eval … --explain --format ndjson` and
//! compare each result with the independent implementation's expected output
//! (numbers within a relative 1e-9), the data errors it reported (file, line,
//! column, lead and field), and the summary line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance")
}

fn cases() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("the shared conformance cases are beside the checkout")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("model.mql").exists())
        .collect();
    dirs.sort();
    dirs
}

/// Compare two JSON values, numbers within a relative tolerance; on a
/// difference, say where.
fn same(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            let tol = 1e-9 * x.abs().max(y.abs()).max(1e-300);
            if !((x - y).abs() <= tol || x == y) {
                out.push(format!("{path}: got {x}, expected {y}"));
            }
        }
        (Value::Array(xs), Value::Array(ys)) => {
            if xs.len() != ys.len() {
                out.push(format!("{path}: got {a}, expected {b}"));
                return;
            }
            for (i, (x, y)) in xs.iter().zip(ys).enumerate() {
                same(&format!("{path}[{i}]"), x, y, out);
            }
        }
        (Value::Object(xs), Value::Object(ys)) => {
            let kx: BTreeSet<&String> = xs.keys().collect();
            let ky: BTreeSet<&String> = ys.keys().collect();
            if kx != ky {
                out.push(format!("{path}: keys {kx:?}, expected {ky:?}"));
                return;
            }
            for (k, y) in ys {
                same(&format!("{path}.{k}"), &xs[k], y, out);
            }
        }
        _ => {
            if a != b {
                out.push(format!("{path}: got {a}, expected {b}"));
            }
        }
    }
}

/// The facts of a data-error or note line: `(kind, file name, line, column,
/// lead, field)`, whatever the wording of the reason.
fn facts(line: &str) -> Option<String> {
    if let Some(rest) = line.strip_prefix("data error: ") {
        // FILE:LINE[:COL]: lead ID: field `F`: reason
        let (loc, rest) = rest.split_once(": lead ")?;
        let (lead, rest) = rest.split_once(": field `")?;
        let field = rest.split('`').next()?;
        let mut parts = loc.rsplitn(3, ':').collect::<Vec<_>>();
        parts.reverse();
        let (file, pos) = if parts.len() == 3
            && parts[2].parse::<u32>().is_ok()
            && parts[1].parse::<u32>().is_ok()
        {
            (parts[0], format!("{}:{}", parts[1], parts[2]))
        } else {
            let (f, l) = loc.rsplit_once(':')?;
            (f, l.to_string())
        };
        let file = Path::new(file).file_name()?.to_string_lossy().into_owned();
        return Some(format!("error {file}:{pos} lead {lead} field {field}"));
    }
    if let Some(rest) = line.strip_prefix("note: ") {
        let name = rest.split('`').nth(1)?;
        return Some(format!("note {name}"));
    }
    None
}

#[test]
fn conformance_cases() {
    let cases = cases();
    assert!(
        cases.len() >= 40,
        "expected the 40 shared cases, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for dir in &cases {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let as_of = std::fs::read_to_string(dir.join("as_of.txt")).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mql"));
        cmd.arg("eval").arg(dir.join("model.mql"));
        if dir.join("leads.csv").exists() {
            cmd.arg("--leads").arg(dir.join("leads.csv"));
        } else {
            cmd.arg("--leads").arg(dir.join("leads.ndjson"));
        }
        if dir.join("events.csv").exists() {
            cmd.arg("--events").arg(dir.join("events.csv"));
        }
        cmd.args(["--as-of", as_of.trim(), "--explain", "--format", "ndjson"]);
        let out = cmd.output().expect("mql runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            failures.push(format!("{name}: exit {:?}\n{stderr}", out.status.code()));
            continue;
        }
        let expected = std::fs::read_to_string(dir.join("expected.ndjson")).unwrap();
        let got: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
        let want: Vec<&str> = expected.lines().filter(|l| !l.trim().is_empty()).collect();
        let mut diffs = Vec::new();
        if got.len() != want.len() {
            diffs.push(format!("{} results, expected {}", got.len(), want.len()));
        }
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            let g: Value = match serde_json::from_str(g) {
                Ok(v) => v,
                Err(e) => {
                    diffs.push(format!("result {}: not JSON ({e}): {g}", i + 1));
                    continue;
                }
            };
            let w: Value = serde_json::from_str(w).unwrap();
            same(
                &format!("result {} ({})", i + 1, w["id"]),
                &g,
                &w,
                &mut diffs,
            );
        }
        // Data errors and notes: the facts, not the wording.
        let reference = std::fs::read_to_string(dir.join("data-errors.txt")).unwrap();
        let want_facts: BTreeSet<String> = reference.lines().filter_map(facts).collect();
        let got_facts: BTreeSet<String> = stderr.lines().filter_map(facts).collect();
        for missing in want_facts.difference(&got_facts) {
            diffs.push(format!("data error not reported: {missing}"));
        }
        for extra in got_facts.difference(&want_facts) {
            diffs.push(format!("data error the reference did not report: {extra}"));
        }
        let want_summary = reference.lines().find(|l| l.starts_with("leads read:"));
        let got_summary = stderr.lines().find(|l| l.starts_with("leads read:"));
        if want_summary != got_summary {
            diffs.push(format!(
                "summary {got_summary:?}, expected {want_summary:?}"
            ));
        }
        if !diffs.is_empty() {
            diffs.truncate(12);
            failures.push(format!("{name}:\n  {}", diffs.join("\n  ")));
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
