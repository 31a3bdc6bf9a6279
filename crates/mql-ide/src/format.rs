//! Formatting in the editor with `mql fmt`'s own formatter: the formatted
//! text is compared with the file line by line and only the lines that
//! change are edited (so the cursor and the undo history stay put).
//! Applying every edit gives exactly what `mql fmt` writes.
//!
//! Formatting a range formats the declarations it touches: the file and
//! the formatted text are cut into declarations at the same places (as the
//! database cuts files for parsing), and each touched declaration is
//! replaced by its formatted text. Should the cuts not pair up, the whole
//! file is formatted.

use std::time::Duration;

use mql_core::{LineIndex, Span};
use mql_db::Database;
use similar::{DiffTag, TextDiff};

use crate::model;
use crate::TextEdit;

pub fn format(db: &Database, path: &str, range: Option<Span>) -> Result<Vec<TextEdit>, String> {
    let text = model::text(db, path);
    let formatted = match mql_syntax::format(&text) {
        Ok(f) => f,
        Err(diags) => {
            let first = diags.iter().find(|d| d.is_error()).or(diags.first());
            return Err(match first {
                Some(d) => {
                    let line = LineIndex::new(&text).line(d.span.start);
                    format!(
                        "not formatted: line {line}: {}; fix the syntax errors first",
                        d.message
                    )
                }
                None => "not formatted: fix the syntax errors first".into(),
            });
        }
    };
    Ok(match range {
        None => edits(&text, &formatted),
        Some(r) => range_edits(&text, &formatted, r),
    })
}

/// The edits that format the declarations `range` touches.
fn range_edits(old: &str, new: &str, range: Span) -> Vec<TextEdit> {
    let cuts = |t: &str| {
        let mut c = mql_db::pieces(t);
        c.push(t.len());
        c
    };
    let (oc, nc) = (cuts(old), cuts(new));
    if oc.len() != nc.len() {
        return edits(old, new);
    }
    let mut out = Vec::new();
    for k in 0..oc.len() - 1 {
        let (a, b) = (oc[k], oc[k + 1]);
        let end = (range.end as usize).max(range.start as usize + 1);
        let touched = a < end && (range.start as usize) < b;
        if !touched {
            continue;
        }
        out.extend(
            edits(&old[a..b], &new[nc[k]..nc[k + 1]])
                .into_iter()
                .map(|e| TextEdit {
                    span: Span::new(e.span.start as usize + a, e.span.end as usize + a),
                    new_text: e.new_text,
                }),
        );
    }
    out
}

/// The edits that turn `old` into `new`, one per run of changed lines.
pub fn edits(old: &str, new: &str) -> Vec<TextEdit> {
    if old == new {
        return Vec::new();
    }
    let diff = TextDiff::configure()
        .timeout(Duration::from_millis(500))
        .diff_lines(old, new);
    let starts = |lines: &[&str]| {
        let mut out = Vec::with_capacity(lines.len() + 1);
        let mut at = 0;
        out.push(0);
        for l in lines {
            at += l.len();
            out.push(at);
        }
        out
    };
    let old_at = starts(diff.old_slices());
    let new_lines = diff.new_slices();
    let mut out = Vec::new();
    for op in diff.ops() {
        let (tag, o, n) = op.as_tag_tuple();
        if tag == DiffTag::Equal {
            continue;
        }
        out.push(TextEdit {
            span: Span::new(old_at[o.start], old_at[o.end]),
            new_text: new_lines[n].concat(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, edits: &[TextEdit]) -> String {
        let mut out = text.to_string();
        for e in edits.iter().rev() {
            out.replace_range(e.span.range(), &e.new_text);
        }
        out
    }

    #[test]
    fn edits_rebuild_the_new_text_exactly() {
        for (old, new) in [
            ("a\nb\nc\n", "a\nB\nc\n"),
            ("a\nb\nc", "a\nc\nd\ne"),
            ("", "x\n"),
            ("x\n", ""),
            ("a\n\n\nb\n", "a\n\nb\n"),
            ("é\n😀\n", "é\n 😀\n"),
        ] {
            let e = edits(old, new);
            assert_eq!(apply(old, &e), new, "{old:?} -> {new:?}: {e:?}");
        }
        assert!(edits("same\n", "same\n").is_empty());
    }
}
