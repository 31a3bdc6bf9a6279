//! Recovery and robustness: broken declarations do not hide good ones, the
//! parser never panics, and spans point at the right text.

use mql_core::{Diagnostic, Label, Span};
use mql_syntax::{parse, render_diagnostic, DeclKind};
use proptest::prelude::*;

fn names(text: &str) -> Vec<String> {
    parse(text)
        .decls
        .iter()
        .map(|d| match d.kind.name() {
            Some(n) => n.name.clone(),
            None => format!("{:?}", std::mem::discriminant(&d.kind)),
        })
        .collect()
}

#[test]
fn three_broken_declarations_give_three_errors_and_keep_the_rest() {
    let text = "model three\n\ncriterion a = company_size >\ncriterion b = 1 < 2\nlet c = (1 + 2\nsegment d = company_size > 10\nscore s {\n  x => \n}\nsegment e = true\n";
    let file = parse(text);
    assert_eq!(file.diagnostics.len(), 3, "{:#?}", file.diagnostics);
    assert_eq!(names(text), ["three", "b", "d", "e"]);
    // each error points into its own declaration
    let lines: Vec<usize> = file
        .diagnostics
        .iter()
        .map(|d| mql_core::LineIndex::new(text).line(d.span.start))
        .collect();
    assert_eq!(lines, [3, 5, 9]);
}

#[test]
fn an_unclosed_brace_does_not_swallow_the_file() {
    let text = "lead {\n  email: string\n\nevent page_view { url: string }\ncriterion x = true\n";
    let file = parse(text);
    assert_eq!(file.diagnostics.len(), 1);
    assert_eq!(file.diagnostics[0].message, "this `{` is never closed");
    assert_eq!(names(text), ["page_view", "x"]);
}

#[test]
fn a_misspelled_keyword_keeps_the_declaration_before_it() {
    let text = "stages prospect, lead\ntrasition prospect -> lead when x\ncriterion x = true\n";
    let file = parse(text);
    assert_eq!(file.diagnostics.len(), 1);
    assert_eq!(file.diagnostics[0].code, "E0011");
    assert_eq!(file.diagnostics[0].suggestions[0].replacement, "transition");
    assert_eq!(file.decls.len(), 2);
}

#[test]
fn doc_comments_attach_to_the_next_declaration_only() {
    let text = "/// first\n/// second\ncriterion a = true\n// plain\ncriterion b = true\n/// for c\n\ntransition x -> y when a\n";
    let file = parse(text);
    assert!(file.diagnostics.is_empty());
    let docs: Vec<Option<String>> = file
        .decls
        .iter()
        .map(|d| d.doc.as_ref().map(|d| d.text.clone()))
        .collect();
    assert_eq!(
        docs,
        [
            Some("first\nsecond".to_string()),
            None,
            Some("for c".to_string())
        ]
    );
}

#[test]
fn spans_are_file_offsets() {
    let text = "criterion a = true\n\nlet   total = count(page_view)\n";
    let file = parse(text);
    let d = &file.decls[1];
    assert_eq!(&text[d.span.range()], "let   total = count(page_view)");
    assert_eq!(&text[d.keyword.range()], "let");
    let DeclKind::Let(n) = &d.kind else {
        panic!("not a let")
    };
    assert_eq!(&text[n.name.span.range()], "total");
    assert_eq!(&text[n.value.span.range()], "count(page_view)");
}

#[test]
fn deep_nesting_is_reported_not_overflowed() {
    for text in [
        format!("let x = {}1{}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("let x = {}1", "(".repeat(10_000)),
        format!("let x = {}true", "not ".repeat(10_000)),
        format!("let x = {}1", "- ".repeat(10_000)),
        format!("const x = {}1{}", "[".repeat(10_000), "]".repeat(10_000)),
        format!("let x = 1{}", " + 1".repeat(100_000)),
        format!("criterion x = a{}", " and a".repeat(100_000)),
    ] {
        let file = parse(&text);
        assert!(file
            .diagnostics
            .iter()
            .any(|d| d.message == "this expression is nested too deeply"));
    }
    assert_eq!(parse(&"{".repeat(10_000)).diagnostics.len(), 1);
    // moderate nesting is fine, even on a small thread stack
    let ok = format!("let x = {}1{}", "(".repeat(60), ")".repeat(60));
    let long = format!("let x = 1{}", " + 1".repeat(4000));
    let small = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || (parse(&ok).diagnostics.len(), parse(&long).diagnostics.len()))
        .expect("thread")
        .join()
        .expect("no overflow");
    assert_eq!(small, (0, 0));
}

#[test]
fn odd_unicode_does_not_panic() {
    for text in [
        "criterion é = true",
        "let x = \"é\\u{110000}\"",
        "let x = \"\\u{D800}\"",
        "lead { 名前: string }",
        "\u{FEFF}criterion a = true",
        "criterion a = \"unterminated é",
        "let x = 1 +\u{200B} 2",
        "test \"😀\" { expect 😀 }",
        "\"",
        "\\",
        "@",
        "///",
        "lead {",
        "score s { each",
    ] {
        let file = parse(text);
        let _ = mql_syntax::render_all(&file.diagnostics, "x.mql", text, false);
    }
    assert!(parse("\u{FEFF}criterion a = true").diagnostics.is_empty());
}

#[test]
fn renders_other_file_labels_as_notes_and_suggestions_as_help() {
    let text = "criterion a = seniorty == vp\n";
    let diag = Diagnostic::error("E0101", "unknown name `seniorty`", Span::new(14, 22))
        .with_label("not declared")
        .with_help("names are case-sensitive")
        .with_suggestion(Span::new(14, 22), "seniority", "change to `seniority`");
    let mut diag = diag;
    diag.secondary.push(Label {
        span: Span::new(0, 4),
        message: "`seniority` is declared here".into(),
        file: Some("schema.mql".into()),
    });
    diag.secondary.push(Label {
        span: Span::new(0, 9),
        message: "in this criterion".into(),
        file: None,
    });
    let out = render_diagnostic(&diag, "model.mql", text, false);
    insta::assert_snapshot!(out);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn never_panics_on_arbitrary_text(text in "\\PC*") {
        let file = parse(&text);
        let _ = mql_syntax::render_all(&file.diagnostics, "x.mql", &text, false);
    }

    #[test]
    fn never_panics_on_mql_like_text(text in "(model|lead|score|let|criterion|test|tier|stages|transition|when|each|x|=|=>|->|\\{|\\}|\\(|\\)|\\[|\\]|,|\"|@2026|14d|1|\\+|-|not|and| |\n|///|//){0,60}") {
        let file = parse(&text);
        for d in &file.diagnostics {
            prop_assert!(d.span.end as usize <= text.len());
        }
    }

    #[test]
    fn never_panics_on_mutated_conformance_models(
        which in 0usize..40,
        edits in proptest::collection::vec((0usize..4, any::<prop::sample::Index>(), 0usize..40), 1..6),
    ) {
        let models = conformance_models();
        let mut text = models[which % models.len()].clone().into_bytes();
        for (op, at, len) in edits {
            if text.is_empty() { break; }
            let i = at.index(text.len());
            let j = (i + len).min(text.len());
            match op {
                0 => { text.drain(i..j); }
                1 => { let piece: Vec<u8> = text[i..j].to_vec(); text.splice(i..i, piece); }
                2 => { text.insert(i, b"{}()[]\"@,=>-%"[len % 13]); }
                _ => { let piece: Vec<u8> = text[i..j].to_vec(); let k = (j + len).min(text.len()); text.splice(k..k, piece); }
            }
        }
        let text = String::from_utf8_lossy(&text).into_owned();
        let file = parse(&text);
        let _ = mql_syntax::render_all(&file.diagnostics, "x.mql", &text, false);
    }
}

fn conformance_models() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance");
    let mut out: Vec<(std::path::PathBuf, String)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let p = e.path().join("model.mql");
                    std::fs::read_to_string(&p).ok().map(|t| (p, t))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    let mut v: Vec<String> = out.into_iter().map(|(_, t)| t).collect();
    if v.is_empty() {
        v.push("criterion a = true".to_string());
    }
    v
}

#[test]
fn a_stray_closing_brace_keeps_the_declaration() {
    let text = "score fit {\n  big => +10\n}\n}\ncriterion big = true\n";
    let file = parse(text);
    assert_eq!(file.diagnostics.len(), 1);
    assert_eq!(file.diagnostics[0].code, "E0003");
    assert_eq!(names(text), ["fit", "big"]);
}

#[test]
fn every_diagnostic_has_a_code_a_span_in_the_text_and_plain_words() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid");
    for entry in std::fs::read_dir(dir).expect("fixtures").flatten() {
        let text = std::fs::read_to_string(entry.path()).expect("text");
        for d in parse(&text).diagnostics {
            assert!(d.code.starts_with('E') && d.code.len() == 5);
            assert!(d.span.end as usize <= text.len());
            assert!(!d.message.ends_with('.'), "{}", d.message);
            assert!(
                d.message.chars().next().is_some_and(|c| !c.is_uppercase()),
                "{}",
                d.message
            );
            for s in &d.suggestions {
                assert!(s.span.end as usize <= text.len());
            }
        }
    }
}

#[test]
fn a_keyword_used_as_a_name_gives_one_error() {
    let text = "criterion score = company_size > 10\nlet total = score + 1\ncriterion ok = true\n";
    let file = parse(text);
    let codes: Vec<&str> = file.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0010", "E0010"]);
    assert_eq!(names(text), ["ok"]);
}

#[test]
fn contextual_words_are_names_outside_their_place() {
    let text = "stages prospect, lead, mql\nlet lead_score = 1\ncriterion lead = true\ntransition lead -> mql when lead\n";
    let file = parse(text);
    assert!(file.diagnostics.is_empty(), "{:#?}", file.diagnostics);
    assert_eq!(file.decls.len(), 4);
}

#[test]
fn renders_warnings_and_colour() {
    let text = "segment night = hour(now) < 6\n";
    let diag = mql_core::Diagnostic::warning("W0001", "unused segment `night`", Span::new(8, 13))
        .with_label("never used");
    let plain = render_diagnostic(&diag, "model.mql", text, false);
    assert!(plain.starts_with("warning[W0001]"), "{plain}");
    assert!(plain.contains("model.mql:1:9"), "{plain}");
    assert!(!plain.contains('\u{1b}'));
    let coloured = render_diagnostic(&diag, "model.mql", text, true);
    assert!(coloured.contains('\u{1b}'), "{coloured}");
    // a span past the end of the text is clamped, not a crash
    let odd = mql_core::Diagnostic::error("E0001", "odd", Span::new(500, 900));
    assert!(render_diagnostic(&odd, "model.mql", text, false).contains("odd"));
    assert!(mql_syntax::plain_line(&diag, "model.mql", text)
        .starts_with("model.mql:1:9: warning[W0001]"));
}

/// Spec §3.1: a misplaced `from` or `missing`, or a label after a comma,
/// breaks only its own block; the other declarations are kept, and the
/// contextual words still name things elsewhere.
#[test]
fn reading_mistakes_break_only_their_block() {
    let text = "lead {\n  missing \"N/A\"\n  visits: int, missing \"-\"\n}\nevent page_view { url: string from }\nstages lead \"Lead\", mql, \"MQL\"\ncriterion from = true\nlet missing = 2\n";
    let file = parse(text);
    assert_eq!(file.diagnostics.len(), 3, "{:#?}", file.diagnostics);
    assert_eq!(names(text), ["from", "missing"]);
    let lines: Vec<usize> = file
        .diagnostics
        .iter()
        .map(|d| mql_core::LineIndex::new(text).line(d.span.start))
        .collect();
    assert_eq!(lines, [3, 5, 6]);
    let messages: Vec<&str> = file
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "`missing` cannot follow a `,`: it belongs to the field before it, or opens the block",
            "expected the data's column or key name in double quotes after `from`, found `}`",
            "a label follows its stage directly, not after a `,`",
        ]
    );
}
