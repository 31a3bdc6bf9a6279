//! Shared machinery of the two conformance suites (`conformance.rs` over the
//! shared generated cases, `own_conformance.rs` over `tests/cases/`): run
//! `mql eval … --explain --format ndjson` on one case folder and list every
//! way its output differs from the folder's `expected.ndjson` and
//! `data-errors.txt`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The case folders under `dir` (those holding a `model.mql`), sorted by name.
pub fn case_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("model.mql").exists())
        .collect();
    dirs.sort();
    dirs
}

/// The folder's name, for messages.
pub fn case_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// How strictly a suite reads a case folder.
#[derive(Clone, Copy)]
pub struct Rules {
    /// `data-errors.txt` must exist (the shared cases always have one); when
    /// it may be absent, an absent file means "no data error, no note".
    pub data_errors_required: bool,
}

/// Compare two JSON values, numbers within a relative tolerance of 1e-9 and
/// written the same way (with or without a fraction); on a difference, say
/// where. An `error` member matches when the actual message names every
/// `backticked` name of the expected one: the wording is free, the place is not.
pub fn same(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (xf, yf) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            let tol = 1e-9 * xf.abs().max(yf.abs()).max(1e-300);
            if !((xf - yf).abs() <= tol || xf == yf) {
                out.push(format!("{path}: got {x}, expected {y}"));
            } else if x.is_f64() != y.is_f64() {
                out.push(format!("{path}: written as {x}, expected the form of {y}"));
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
                if k == "error" {
                    same_error(&format!("{path}.error"), &xs[k], y, out);
                } else {
                    same(&format!("{path}.{k}"), &xs[k], y, out);
                }
            }
        }
        _ => {
            if a != b {
                out.push(format!("{path}: got {a}, expected {b}"));
            }
        }
    }
}

/// An evaluation error's message: free wording, but it must name the
/// declarations the expected message names in backticks.
fn same_error(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    let (Some(got), Some(want)) = (a.as_str(), b.as_str()) else {
        out.push(format!("{path}: got {a}, expected a message like {b}"));
        return;
    };
    for name in want.split('`').skip(1).step_by(2) {
        if !got.contains(&format!("`{name}`")) {
            out.push(format!("{path}: {got:?} does not name `{name}`"));
        }
    }
}

/// The facts of a data-error, evaluation-error, warning or note line: kind,
/// file name, line (and column), lead and field — whatever the wording of
/// the reason.
pub fn facts(line: &str) -> Option<String> {
    if let Some(rest) = line.strip_prefix("data error: ") {
        // FILE:LINE[:COL]: lead ID: field `F`: reason, or, for a line that
        // is not a record at all, FILE:LINE[:COL]: reason
        let Some((loc, rest)) = rest.split_once(": lead ") else {
            let (loc, _) = rest.split_once(": ")?;
            let (file, pos) = loc.split_once(':')?;
            let file = Path::new(file).file_name()?.to_string_lossy().into_owned();
            return Some(format!("error {file}:{pos} (no lead)"));
        };
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
    if let Some(rest) = line.strip_prefix("evaluation error: lead ") {
        let (lead, _) = rest.split_once(": ")?;
        return Some(format!("evaluation error lead {lead}"));
    }
    if let Some(rest) = line.strip_prefix("note: ") {
        let name = rest.split('`').nth(1)?;
        return Some(format!("note {name}"));
    }
    if let Some(rest) = line.strip_prefix("warning: ") {
        // `field `F` is not filled …` or `field `F` of event `E` is not filled …`
        let mut names = rest.split('`').skip(1).step_by(2);
        let field = names.next()?;
        return Some(match rest.contains("` of event `") {
            true => format!("warning event {} field {field}", names.next()?),
            false => format!("warning field {field}"),
        });
    }
    None
}

/// How many times each fact occurs in a stream of messages (a note printed
/// twice, or the same error reported twice, is a difference).
fn count_facts(text: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for fact in text.lines().filter_map(facts) {
        *counts.entry(fact).or_insert(0) += 1;
    }
    counts
}

/// A case whose model must not check (`check-errors.txt`: one `CODE
/// FILE:LINE:COLUMN` a line, every diagnostic of `mql check`): `mql eval`
/// must refuse it with exit code 1 and no result, and `mql check` must report
/// exactly those diagnostics.
fn check_refused(dir: &Path, expected: &str) -> Vec<String> {
    let mut diffs = Vec::new();
    let eval = Command::new(env!("CARGO_BIN_EXE_mql"))
        .current_dir(dir)
        .args([
            "eval",
            "model.mql",
            "--leads",
            "leads.ndjson",
            "--format",
            "ndjson",
        ])
        .output();
    match eval {
        Ok(o) if o.status.code() == Some(1) && o.stdout.is_empty() => {}
        Ok(o) => diffs.push(format!(
            "mql eval: exit {:?} with {} bytes of results, expected exit 1 and none",
            o.status.code(),
            o.stdout.len()
        )),
        Err(e) => diffs.push(format!("mql does not run: {e}")),
    }
    let check = Command::new(env!("CARGO_BIN_EXE_mql"))
        .current_dir(dir)
        .args(["check", "--format", "json", "model.mql"])
        .output();
    let out = match check {
        Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
        Err(e) => return vec![format!("mql does not run: {e}")],
    };
    let mut got: Vec<String> = Vec::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Value>(line) {
            Ok(d) => got.push(format!(
                "{} {}:{}:{}",
                d["code"].as_str().unwrap_or("?"),
                d["file"].as_str().unwrap_or("?"),
                d["line"],
                d["column"]
            )),
            Err(e) => diffs.push(format!("mql check: not JSON ({e}): {line}")),
        }
    }
    let mut want: Vec<String> = expected
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    got.sort();
    want.sort();
    if got != want {
        diffs.push(format!("mql check reported {got:?}, expected {want:?}"));
    }
    diffs
}

/// Run one case and return every difference from its expectations (empty
/// when the case passes).
pub fn check_case(dir: &Path, rules: Rules) -> Vec<String> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name));
    if let Ok(expected) = read("check-errors.txt") {
        return check_refused(dir, &expected);
    }
    let as_of = match read("as_of.txt") {
        Ok(t) => t,
        Err(e) => return vec![format!("as_of.txt: {e}")],
    };
    // Run inside the case folder with bare file names, so paths in the output
    // (a `use`d file's `"file"`) do not depend on where the checkout is.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mql"));
    cmd.current_dir(dir).args(["eval", "model.mql", "--leads"]);
    if dir.join("leads.csv").exists() {
        cmd.arg("leads.csv");
    } else if dir.join("leads.json").exists() {
        cmd.arg("leads.json");
    } else {
        cmd.arg("leads.ndjson");
    }
    if dir.join("events.csv").exists() {
        cmd.args(["--events", "events.csv"]);
    } else if dir.join("events.ndjson").exists() {
        cmd.args(["--events", "events.ndjson"]);
    }
    cmd.args(["--as-of", as_of.trim(), "--explain", "--format", "ndjson"]);
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) => return vec![format!("mql does not run: {e}")],
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return vec![format!("exit {:?}\n{stderr}", out.status.code())];
    }
    let expected = match read("expected.ndjson") {
        Ok(t) => t,
        Err(e) => return vec![format!("expected.ndjson: {e}")],
    };
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
        let w: Value = match serde_json::from_str(w) {
            Ok(v) => v,
            Err(e) => {
                diffs.push(format!("expected result {} is not JSON: {e}", i + 1));
                continue;
            }
        };
        same(
            &format!("result {} ({})", i + 1, w["id"]),
            &g,
            &w,
            &mut diffs,
        );
    }
    // Data errors, evaluation errors and notes: the facts, not the wording.
    let reference = match read("data-errors.txt") {
        Ok(t) => Some(t),
        Err(_) if !rules.data_errors_required => None,
        Err(e) => return vec![format!("data-errors.txt: {e}")],
    };
    let want_facts = count_facts(reference.as_deref().unwrap_or(""));
    let got_facts = count_facts(&stderr);
    for (fact, &want) in &want_facts {
        let got = got_facts.get(fact).copied().unwrap_or(0);
        if got < want {
            diffs.push(format!(
                "not reported: {fact} (expected {want}x, got {got}x)"
            ));
        }
    }
    for (fact, &got) in &got_facts {
        let want = want_facts.get(fact).copied().unwrap_or(0);
        if got > want {
            diffs.push(format!(
                "reported but not expected: {fact} (expected {want}x, got {got}x)"
            ));
        }
    }
    if let Some(reference) = &reference {
        let want_summary = reference.lines().find(|l| l.starts_with("leads read:"));
        let got_summary = stderr.lines().find(|l| l.starts_with("leads read:"));
        if want_summary.is_some() && want_summary != got_summary {
            diffs.push(format!(
                "summary {got_summary:?}, expected {want_summary:?}"
            ));
        }
    }
    diffs
}
