//! Formatting: the same bytes as `mql fmt`.

use mql_ide::{Span, TextEdit};

use crate::fixture::{Fixture, MAIN};

fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut out = text.to_string();
    for e in edits.iter().rev() {
        out.replace_range(e.span.start as usize..e.span.end as usize, &e.new_text);
    }
    out
}

const MESSY: &str = "model   m\nlead {   n : int ,  s: string }\n\n\n\ncriterion   big=n>10\n// keep me\nscore s{\n big=>+1\n    n>100   =>  +5\n}\n";

#[test]
fn formatting_gives_exactly_what_mql_fmt_writes() {
    let f = Fixture::new(MESSY);
    let edits = f.analysis().format(MAIN).expect("ok").expect("formattable");
    let formatted = mql_syntax::format(MESSY).expect("formattable");
    assert_eq!(apply(MESSY, &edits), formatted);
    // Only the lines that change are edited.
    assert!(edits.len() > 1, "{edits:?}");
    assert!(edits.iter().all(|e| !e.new_text.contains("// keep me")));
    // Formatted text needs no edit.
    let f = Fixture::new(&formatted);
    assert_eq!(f.analysis().format(MAIN).expect("ok"), Ok(Vec::new()));
}

/// Range formatting formats the declarations the range touches, each as
/// `mql fmt` would.
#[test]
fn range_formatting_edits_only_what_it_touches() {
    let messy = "model   m\nlead {   n : int ,  s: string }\n\n\n\ncriterion   big=n>10\nscore s{\n big=>+1\n    n>100   =>  +5\n}\n";
    let f = Fixture::new(messy);
    let at = messy.find("criterion").expect("criterion");
    let span = Span::new(at, at + 5);
    let edits = f
        .analysis()
        .format_range(MAIN, span)
        .expect("ok")
        .expect("formattable");
    let out = apply(messy, &edits);
    assert!(
        out.contains("\ncriterion big = n > 10\n\nscore s{"),
        "{out}"
    );
    assert!(
        out.contains("model   m\nlead {   n : int ,  s: string }\n\n\n\n"),
        "untouched line changed:\n{out}"
    );
    // The whole file, range by range, is what `mql fmt` writes.
    let mut text = messy.to_string();
    loop {
        let f = Fixture::new(&text);
        let edits = f.analysis().format(MAIN).expect("ok").expect("formattable");
        let Some(first) = edits.first() else { break };
        let r = f
            .analysis()
            .format_range(MAIN, first.span)
            .expect("ok")
            .expect("formattable");
        assert!(!r.is_empty());
        text = apply(&text, &r);
    }
    assert_eq!(text, mql_syntax::format(messy).expect("formattable"));
}

#[test]
fn a_file_with_syntax_errors_is_not_formatted() {
    let f = Fixture::new("lead { n: int }\ncriterion c = n >\n");
    let e = f.analysis().format(MAIN).expect("ok").expect_err("refused");
    assert!(e.starts_with("not formatted: line 2:"), "{e}");
    assert!(e.ends_with("fix the syntax errors first"), "{e}");
}
