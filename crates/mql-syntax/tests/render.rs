//! The diagnostic renderer on inputs that are legal but extreme: labels far
//! to the right of very long lines, files with many diagnostics, diagnostics
//! with thousands of labels. It must not panic, and its cost must follow what
//! it shows, not the size of the file.

use std::time::{Duration, Instant};

use mql_core::{Diagnostic, Label, LineIndex, Span};
use mql_syntax::render::{render_all, render_diagnostic, render_indexed, MAX_LABELS};

/// `lead { a: int }` then a const whose string runs past column 65,535.
fn long_line_model(width: usize) -> String {
    format!(
        "lead {{ a: int }}\nconst s = \"{}\" + nope\n",
        "x".repeat(width)
    )
}

#[test]
fn a_label_past_column_65535_is_shown_in_a_window_of_its_line() {
    let text = long_line_model(65_600);
    let at = text.find("nope").unwrap();
    let d = Diagnostic::error("E0100", "unknown name `nope`", Span::new(at, at + 4))
        .with_label("not declared in this model");
    let out = render_diagnostic(&d, "m.mql", &text, false);
    // the column is the real one, counted in characters
    assert!(out.contains("[m.mql:2:65616]"), "{out}");
    // the line is cut around the label, marked with `…`, short enough to read
    let shown = out
        .lines()
        .find(|l| l.contains("\" + nope"))
        .expect("the label's line");
    assert!(shown.contains("…x"), "{shown}");
    assert!(shown.chars().count() < 200, "{}", shown.chars().count());
    assert!(out.contains("not declared in this model"), "{out}");
}

#[test]
fn labels_anywhere_on_long_lines_never_panic() {
    // non-ASCII text, labels at the start, middle, end and past the end,
    // spans across the cut and across lines
    let line = "é".repeat(40_000) + " mid " + &"ü".repeat(40_000);
    let text = format!("a\n{line}\n{line}\nb");
    let n = text.len();
    let starts = [0, 2, 3, 1000, 80_000, 80_003, 160_004, n - 1, n, n + 5];
    for &s in &starts {
        for len in [0usize, 1, 3, 300, 90_000] {
            let d = Diagnostic::error("E0001", "odd", Span::new(s, s + len))
                .with_label("here")
                .with_secondary(Span::new(s / 2, s / 2 + 2), "and here");
            let out = render_diagnostic(&d, "m.mql", &text, false);
            assert!(out.contains("odd"));
        }
    }
}

#[test]
fn many_diagnostics_cost_what_they_show() {
    // 200,000 lines and 20,000 diagnostics: rendering that re-read the file
    // for each diagnostic took minutes; the excerpts take well under a second
    // in a release build.
    let lines = 200_000;
    let mut text = String::new();
    for k in 0..lines {
        text.push_str(&format!("criterion c{k} = true\n"));
    }
    let index = LineIndex::new(&text);
    let diags: Vec<Diagnostic> = (0..20_000)
        .map(|k| {
            let line = k * 10;
            let at = index.line_start(line).unwrap() as usize + 10;
            Diagnostic::warning(
                "W0103",
                format!("`c{line}` is never used"),
                Span::new(at, at + 2),
            )
            .with_label("never used")
        })
        .collect();
    let started = Instant::now();
    let out = render_all(&diags, "m.mql", &text, false);
    let took = started.elapsed();
    assert_eq!(out.matches("╰── never used").count(), 20_000);
    assert!(
        took < Duration::from_secs(20),
        "rendering 20,000 diagnostics took {took:?}"
    );
}

#[test]
fn thousands_of_labels_are_capped_with_a_count() {
    let mut text = String::new();
    for k in 0..20_000 {
        text.push_str(&format!("let v{k} = v{}\n", (k + 1) % 20_000));
    }
    let index = LineIndex::new(&text);
    let span_of = |k: usize| {
        let at = index.line_start(k).unwrap() as usize + 4;
        Span::new(at, at + 2)
    };
    let mut d = Diagnostic::error("E0150", "`v0` depends on itself", span_of(0))
        .with_label("part of a cycle");
    for k in 1..20_000 {
        d.secondary.push(Label {
            span: span_of(k),
            message: format!("`v{k}` is part of the cycle"),
            file: None,
        });
    }
    let started = Instant::now();
    let out = render_indexed(&d, "m.mql", &text, &index, false);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(out.matches("is part of the cycle").count(), MAX_LABELS);
    assert!(
        out.contains("note: 19,989 more places are not shown"),
        "{out}"
    );
    // one more than the cap: the note is singular
    d.secondary.truncate(MAX_LABELS + 1);
    let out = render_indexed(&d, "m.mql", &text, &index, false);
    assert!(out.contains("note: 1 more place is not shown"), "{out}");
    // at the cap: no note
    d.secondary.truncate(MAX_LABELS);
    let out = render_indexed(&d, "m.mql", &text, &index, false);
    assert!(!out.contains("not shown"), "{out}");
}

#[test]
fn labels_far_apart_get_a_snippet_each() {
    let mut text = String::new();
    for k in 0..100 {
        text.push_str(&format!("criterion c{k} = true\n"));
    }
    let index = LineIndex::new(&text);
    let at = |line: usize| index.line_start(line).unwrap() as usize + 10;
    let d = Diagnostic::error(
        "E0110",
        "`c` is declared twice",
        Span::new(at(80), at(80) + 3),
    )
    .with_label("declared again")
    .with_secondary(Span::new(at(3), at(3) + 2), "first declared here");
    let out = render_diagnostic(&d, "m.mql", &text, false);
    // lines 3..5 and 80..82 (1-based), not the 75 lines between them
    assert!(out.contains(" 4 │ criterion c3 = true"), "{out}");
    assert!(out.contains(" 81 │ criterion c80 = true"), "{out}");
    assert!(!out.contains("c40"), "{out}");
    assert_eq!(out.matches("╭─[").count(), 2, "{out}");
}
