//! Data errors grouped by kind, for a report a person can read: which errors
//! to show one by one (the first few of each kind), how many more each kind
//! had with its most common offending values, and a count per kind; and the
//! NDJSON form of every data issue for `--errors FILE`.
//!
//! A kind is where the error is (the field, or the file for a line or an
//! event that could not be read at all) and its reason with the offending
//! value taken out, so that `"n/a"` and `"-"` in one column are one kind.
//! Memory stays bounded however many errors come: a kind keeps its counts
//! and at most [`MAX_VALUES`] different values, and there are at most
//! [`MAX_KINDS`] kinds (later ones are counted together per file).

use std::collections::HashMap;
use std::fmt::Write as _;

use mql_core::LeadId;
use mql_data::{DataIssue, IssueKind};

/// Errors of one kind shown one by one before the rest are summarised.
pub const SHOWN_PER_KIND: u64 = 3;
/// Different offending values counted per kind; values first met after that
/// are counted as "other values".
pub const MAX_VALUES: usize = 1024;
/// Kinds told apart; errors of further kinds are counted per file as "other
/// data errors".
pub const MAX_KINDS: usize = 1000;
/// The most common values named on a kind's "… and N more" line.
const TOP_VALUES: usize = 3;

/// One kind of data error and what was counted of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kind {
    /// Where: ``field `x` `` (with its event, for an event's field), or the
    /// file's name.
    pub place: String,
    /// The reason with the offending value shown as `…` (the first error's
    /// wording).
    pub reason: String,
    /// Errors of this kind.
    pub count: u64,
    values: HashMap<String, u64>,
    /// Errors whose value was not counted (a kind with too many different
    /// values).
    untracked: u64,
}

impl Kind {
    /// The most common offending values, most common first (ties in the
    /// order of their text), at most `n`.
    pub fn top_values(&self, n: usize) -> Vec<(&str, u64)> {
        let mut all: Vec<(&str, u64)> = self.values.iter().map(|(v, c)| (v.as_str(), *c)).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        all.truncate(n);
        all
    }

    /// Different values counted.
    pub fn distinct_values(&self) -> usize {
        self.values.len()
    }
}

/// The data errors of a run, grouped by kind in order of first appearance.
#[derive(Clone, Debug, Default)]
pub struct Grouped {
    kinds: Vec<Kind>,
    index: HashMap<(String, String, String), usize>,
    /// Per file, the index of its "other data errors" kind.
    overflow: HashMap<String, usize>,
    errors: u64,
}

impl Grouped {
    pub fn new() -> Grouped {
        Grouped::default()
    }

    /// Count a data error (warnings and notes are not grouped: `false`);
    /// `true` when it is among the first [`SHOWN_PER_KIND`] of its kind and
    /// so is shown on its own line.
    pub fn add(&mut self, issue: &DataIssue) -> bool {
        if issue.kind != IssueKind::Error {
            return false;
        }
        self.errors += 1;
        let place = place_of(issue);
        let reason = reason_of(issue);
        let key = (issue.file.to_string(), place, key_of(&reason));
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None if self.kinds.len() < MAX_KINDS => {
                let i = self.kinds.len();
                self.kinds.push(Kind {
                    place: key.1.clone(),
                    reason,
                    count: 0,
                    values: HashMap::new(),
                    untracked: 0,
                });
                self.index.insert(key, i);
                i
            }
            None => match self.overflow.get(&*issue.file) {
                Some(&i) => i,
                None => {
                    let i = self.kinds.len();
                    self.kinds.push(Kind {
                        place: issue.file.to_string(),
                        reason: "other data errors".into(),
                        count: 0,
                        values: HashMap::new(),
                        untracked: 0,
                    });
                    self.overflow.insert(issue.file.to_string(), i);
                    i
                }
            },
        };
        let kind = &mut self.kinds[i];
        kind.count += 1;
        // The values of the errors not shown one by one: the "… and N more"
        // line's counts add up to N.
        if let Some(v) = issue.value.as_ref().filter(|_| kind.count > SHOWN_PER_KIND) {
            if let Some(n) = kind.values.get_mut(v) {
                *n += 1;
            } else if kind.values.len() < MAX_VALUES {
                kind.values.insert(v.clone(), 1);
            } else {
                kind.untracked += 1;
            }
        }
        kind.count <= SHOWN_PER_KIND
    }

    /// Data errors counted.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// Every kind, in order of first appearance.
    pub fn kinds(&self) -> &[Kind] {
        &self.kinds
    }

    /// One line per kind that had more errors than were shown:
    /// `… and 335 more: field `x`, "…" is not one of a, b (most common: "c" 98, "d" 76, …)`.
    pub fn more_lines(&self) -> Vec<String> {
        self.kinds
            .iter()
            .filter(|k| k.count > SHOWN_PER_KIND)
            .map(|k| {
                let mut line = format!(
                    "… and {} more: {}, {}",
                    k.count - SHOWN_PER_KIND,
                    k.place,
                    k.reason
                );
                let top = k.top_values(TOP_VALUES);
                if !top.is_empty() {
                    let shown: Vec<String> = top.iter().map(|(v, n)| format!("{v} {n}")).collect();
                    let rest = k.distinct_values() > top.len() || k.untracked > 0;
                    let _ = write!(
                        line,
                        " (most common: {}{})",
                        shown.join(", "),
                        if rest { ", …" } else { "" }
                    );
                }
                line
            })
            .collect()
    }

    /// The table of every kind with its count, most errors first (then in
    /// order of first appearance), under a heading; empty without errors.
    pub fn table(&self) -> Vec<String> {
        if self.kinds.is_empty() {
            return Vec::new();
        }
        let mut order: Vec<&Kind> = self.kinds.iter().collect();
        order.sort_by_key(|k| std::cmp::Reverse(k.count));
        let width = order
            .iter()
            .map(|k| k.count.to_string().len())
            .max()
            .unwrap_or(1)
            .max("count".len());
        let mut lines = vec![format!("data errors by kind:\n  {:>width$}  kind", "count")];
        lines.extend(
            order
                .iter()
                .map(|k| format!("  {:>width$}  {}: {}", k.count, k.place, k.reason)),
        );
        lines
    }
}

/// Where an error is: its field (and the event, when the reason names one),
/// else its file.
fn place_of(issue: &DataIssue) -> String {
    match &issue.field {
        Some(f) => format!("field `{f}`"),
        None => issue.file.to_string(),
    }
}

/// The reason with the offending value shown as `…`, and without a hint
/// that depends on the value (`; numbers are read without digit separators:
/// write 2500`) — what every error of the kind shares.
pub fn reason_of(issue: &DataIssue) -> String {
    let mut reason = issue.reason.clone();
    if let Some(v) = issue.value.as_deref().filter(|v| !v.is_empty()) {
        reason = reason.replace(v, "…");
    }
    // A hint after `; ` runs to the closing `(…)` that says what was done.
    if let Some(start) = reason.find("; ") {
        let end = reason[start..]
            .rfind(" (")
            .map_or(reason.len(), |e| start + e);
        reason.replace_range(start..end, "");
    }
    reason
}

/// What tells kinds apart: the reason with numbers (a row's cell count, a
/// record's position) left out.
fn key_of(reason: &str) -> String {
    let mut key = String::with_capacity(reason.len());
    let mut in_number = false;
    for c in reason.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                key.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            key.push(c);
        }
    }
    key
}

/// A data issue as one NDJSON line for `--errors FILE`: `{"kind": "data
/// error"|"note"|"warning", "file", "line", "column", "lead", "field",
/// "value", "reason"}`, without the keys that do not apply.
pub fn ndjson_line(issue: &DataIssue) -> String {
    let mut line = String::with_capacity(128 + issue.reason.len());
    line.push_str("{\"kind\":");
    line.push_str(match issue.kind {
        IssueKind::Error => "\"data error\"",
        IssueKind::Warning => "\"warning\"",
        IssueKind::Note => "\"note\"",
    });
    line.push_str(",\"file\":");
    push_json_str(&mut line, &issue.file);
    if issue.line > 0 {
        let _ = write!(line, ",\"line\":{}", issue.line);
    }
    if let Some(c) = issue.column {
        let _ = write!(line, ",\"column\":{c}");
    }
    match &issue.lead {
        Some(LeadId::Int(i)) => {
            let _ = write!(line, ",\"lead\":{i}");
        }
        Some(LeadId::Str(s)) => {
            line.push_str(",\"lead\":");
            push_json_str(&mut line, s);
        }
        None => {}
    }
    if let Some(f) = &issue.field {
        line.push_str(",\"field\":");
        push_json_str(&mut line, f);
    }
    if let Some(v) = &issue.value {
        line.push_str(",\"value\":");
        push_value(&mut line, v);
    }
    line.push_str(",\"reason\":");
    push_json_str(&mut line, &issue.reason);
    line.push('}');
    line
}

/// The offending value as the data wrote it: a JSON value as that value, a
/// quoted cell as its text, anything else (a shortened value) as text.
fn push_value(line: &mut String, shown: &str) {
    match serde_json::from_str::<serde_json::Value>(shown) {
        Ok(v) => line.push_str(&v.to_string()),
        Err(_) => push_json_str(line, shown),
    }
}

fn push_json_str(line: &mut String, s: &str) {
    line.push_str(&serde_json::Value::String(s.to_string()).to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn err(line: u64, field: Option<&str>, value: Option<&str>, reason: &str) -> DataIssue {
        DataIssue {
            kind: IssueKind::Error,
            file: Arc::from("leads.csv"),
            line,
            column: Some(4),
            lead: Some(LeadId::Int(line as i64 - 1)),
            field: field.map(str::to_string),
            value: value.map(str::to_string),
            reason: reason.to_string(),
        }
    }

    #[test]
    fn a_value_and_its_hint_do_not_make_a_new_kind() {
        let a = err(
            2,
            Some("size"),
            Some("\"2,500\""),
            "expected a whole number, found \"2,500\"; numbers are read without digit separators: write 2500 (treated as unknown)",
        );
        let b = err(
            3,
            Some("size"),
            Some("\"n/a\""),
            "expected a whole number, found \"n/a\" (treated as unknown)",
        );
        assert_eq!(
            reason_of(&a),
            "expected a whole number, found … (treated as unknown)"
        );
        assert_eq!(reason_of(&a), reason_of(&b));
        let mut g = Grouped::new();
        assert!(g.add(&a));
        assert!(g.add(&b));
        assert_eq!(g.kinds().len(), 1);
    }

    #[test]
    fn numbers_in_a_reason_do_not_make_a_new_kind() {
        let mut g = Grouped::new();
        g.add(&err(
            4,
            None,
            None,
            "the row has 3 cells, the header 2 (row skipped)",
        ));
        g.add(&err(
            9,
            None,
            None,
            "the row has 5 cells, the header 2 (row skipped)",
        ));
        assert_eq!(g.kinds().len(), 1);
        assert_eq!(g.kinds()[0].place, "leads.csv");
    }

    #[test]
    fn memory_is_bounded_by_values_and_kinds() {
        let mut g = Grouped::new();
        for i in 0..(MAX_VALUES as u64 + 50) {
            let v = format!("\"v{i}\"");
            g.add(&err(
                i + 2,
                Some("x"),
                Some(&v),
                &format!("{v} is not one of a, b (treated as unknown)"),
            ));
        }
        assert_eq!(g.kinds().len(), 1);
        assert_eq!(g.kinds()[0].distinct_values(), MAX_VALUES);
        assert_eq!(g.kinds()[0].untracked, 50 - SHOWN_PER_KIND);
        assert_eq!(g.kinds()[0].count, MAX_VALUES as u64 + 50);
        for i in 0..(MAX_KINDS as u64 + 10) {
            g.add(&err(2, Some(&format!("f{i}")), None, "bad"));
        }
        assert_eq!(g.kinds().len(), MAX_KINDS + 1);
        assert_eq!(g.errors(), (MAX_VALUES + 50 + MAX_KINDS + 10) as u64);
        let total: u64 = g.kinds().iter().map(|k| k.count).sum();
        assert_eq!(total, g.errors());
    }

    #[test]
    fn ndjson_leaves_out_what_does_not_apply() {
        let mut e = err(
            5,
            Some("size"),
            Some("\"n/a\""),
            "expected a whole number, found \"n/a\" (treated as unknown)",
        );
        assert_eq!(
            ndjson_line(&e),
            r#"{"kind":"data error","file":"leads.csv","line":5,"column":4,"lead":4,"field":"size","value":"n/a","reason":"expected a whole number, found \"n/a\" (treated as unknown)"}"#
        );
        e.kind = IssueKind::Warning;
        e.line = 0;
        e.column = None;
        e.lead = None;
        e.value = None;
        e.reason = "field `size` is not filled".into();
        assert_eq!(
            ndjson_line(&e),
            r#"{"kind":"warning","file":"leads.csv","field":"size","reason":"field `size` is not filled"}"#
        );
    }
}
