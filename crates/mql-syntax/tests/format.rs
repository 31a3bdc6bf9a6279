//! The formatter: canonical layout snapshots of messy inputs, and, for every
//! conformance model, example and valid fixture (and random comments added to
//! them), that formatting keeps the meaning, keeps every comment and is stable.

use std::path::{Path, PathBuf};

use mql_syntax::{format, parse, tree::to_sexpr};
use proptest::prelude::*;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The syntax tree without spans: `to_sexpr` minus the declaration spans, with
/// doc comment lines compared without trailing blanks (the formatter trims them).
fn shape(text: &str) -> String {
    let mut file = parse(text);
    assert!(
        file.diagnostics.is_empty(),
        "does not parse cleanly:\n{text}"
    );
    for d in &mut file.decls {
        if let Some(doc) = &mut d.doc {
            doc.text = doc
                .text
                .lines()
                .map(str::trim_end)
                .collect::<Vec<_>>()
                .join("\n");
        }
    }
    to_sexpr(&file)
        .lines()
        .map(|l| {
            let l = match (l.starts_with('['), l.find("] ")) {
                (true, Some(i)) => &l[i + 2..],
                _ => l,
            };
            l.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every comment of `text`, in order (trailing blanks removed).
fn comments(text: &str) -> Vec<String> {
    mql_syntax::lexer::tokenize(text)
        .iter()
        .filter(|t| t.tok == Some(mql_syntax::lexer::Tok::Comment))
        .map(|t| t.text(text).trim_end().to_string())
        .collect()
}

/// Format `text` and check meaning, comments and idempotence; return the output.
fn check(text: &str, what: &str) -> String {
    let once = format(text).unwrap_or_else(|d| panic!("{what}: refused: {d:?}"));
    let twice = format(&once).unwrap_or_else(|d| panic!("{what}: output refused: {d:?}\n{once}"));
    assert_eq!(once, twice, "{what}: formatting is not stable");
    assert_eq!(
        shape(text),
        shape(&once),
        "{what}: meaning changed:\n{once}"
    );
    assert_eq!(
        comments(text),
        comments(&once),
        "{what}: comments changed:\n{once}"
    );
    once
}

fn mql_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|e| e == "mql"));
    v.sort();
    v
}

/// The models of both shared suites: v1 and v1.1 (source names, labels,
/// placeholders).
fn conformance_models() -> Vec<(String, String)> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for suite in ["conformance", "conformance-v1.1"] {
        let dir = manifest().join("../../../shared").join(suite);
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("conformance folder")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.join("model.mql").exists())
            .collect();
        found.sort();
        dirs.extend(found);
    }
    dirs.iter()
        .map(|d| {
            let p = d.join("model.mql");
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).expect("model text"),
            )
        })
        .collect()
}

#[test]
fn conformance_models_format_stably() {
    let models = conformance_models();
    assert_eq!(models.len(), 64);
    for (path, text) in &models {
        check(text, path);
    }
}

#[test]
fn examples_format_stably() {
    let mut n = 0;
    let root = manifest().join("../../examples");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("examples folder")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for d in dirs {
        for p in mql_files(&d) {
            let text = std::fs::read_to_string(&p).expect("example text");
            check(&text, &p.display().to_string());
            n += 1;
        }
    }
    assert!(n >= 4, "expected the four examples, found {n}");
}

#[test]
fn valid_fixtures_format_stably() {
    let files = mql_files(&manifest().join("tests/fixtures/valid"));
    assert!(!files.is_empty());
    for p in files {
        let text = std::fs::read_to_string(&p).expect("fixture text");
        check(&text, &p.display().to_string());
    }
}

#[test]
fn messy_inputs_snapshots() {
    let files = mql_files(&manifest().join("tests/fixtures/format"));
    assert!(!files.is_empty());
    for p in files {
        let text = std::fs::read_to_string(&p).expect("fixture text");
        let out = check(&text, &p.display().to_string());
        let name = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("x")
            .to_string();
        insta::with_settings!({ description => text.clone(), omit_expression => true }, {
            insta::assert_snapshot!(format!("format_{name}"), out);
        });
    }
}

#[test]
fn a_file_with_syntax_errors_is_refused_with_its_diagnostics() {
    let err = format("criterion big = size >=\n").expect_err("should be refused");
    assert!(!err.is_empty());
    assert!(err.iter().all(|d| !d.message.is_empty()));
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(format("").as_deref(), Ok(""));
    assert_eq!(format("\n\n  \n").as_deref(), Ok(""));
    assert_eq!(
        check("  // just a note   \n\n\n// another\n", "comments only"),
        "// just a note\n\n// another\n"
    );
}

#[test]
fn windows_line_breaks_give_the_same_layout() {
    let lf = "/// doc\nmodel m // name\nlead {\n  a: int // the a\n}\n";
    let crlf = lf.replace('\n', "\r\n");
    assert_eq!(check(&crlf, "crlf"), check(lf, "lf"));
}

#[test]
fn strings_are_escaped_canonically() {
    let out = check(
        "const s = \"tab\\there \\u{1F600} \\u{d} \\\"q\\\" back\\\\slash\nraw\"\n",
        "escapes",
    );
    assert_eq!(
        out,
        "const s = \"tab\\there \u{1F600} \\u{D} \\\"q\\\" back\\\\slash\\nraw\"\n"
    );
}

#[test]
fn literals_keep_their_spelling() {
    let out = check(
        "score s {\n  decay 12.50% every 1.5d\n  range -0 to 100.0\n  x >= 12.50 => +7.0\n}\n",
        "literals",
    );
    assert_eq!(
        out,
        "score s {\n  decay 12.50% every 1.5d\n  range -0 to 100.0\n  x >= 12.50 => +7.0\n}\n"
    );
}

/// Insert comments into `text`: `(line, at_end, word)` puts `// word` at the
/// end of that line or on a line of its own before it.
fn with_comments(text: &str, inserts: &[(usize, bool, String)]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let n = lines.len().max(1);
    let mut before: Vec<Vec<String>> = vec![Vec::new(); n + 1];
    for (k, (line, at_end, word)) in inserts.iter().enumerate() {
        let i = line % (n + 1);
        let c = format!("// c{k} {word}");
        match lines.get_mut(i) {
            Some(l) if *at_end => {
                l.push(' ');
                l.push_str(&c);
            }
            _ => before[i].push(c),
        }
    }
    let mut out = String::new();
    for (i, group) in before.iter().enumerate() {
        for c in group {
            out.push_str(c);
            out.push('\n');
        }
        if let Some(l) = lines.get(i) {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn random_comments_are_kept(
        model in 0usize..64,
        inserts in proptest::collection::vec((0usize..400, any::<bool>(), "[a-z ]{0,12}"), 1..12),
    ) {
        let models = conformance_models();
        let (path, text) = &models[model % models.len()];
        let text = with_comments(text, &inserts);
        // A comment dropped inside a multi-line string would not be a comment.
        prop_assume!(parse(&text).diagnostics.is_empty());
        check(&text, path);
    }

    #[test]
    fn comments_between_any_tokens_are_kept(
        model in 0usize..64,
        picks in proptest::collection::vec((0usize..10_000, any::<bool>()), 1..8),
    ) {
        let models = conformance_models();
        let (path, text) = &models[model % models.len()];
        let toks = mql_syntax::lexer::tokenize(text);
        let mut at: Vec<(usize, bool)> = picks
            .iter()
            .map(|(i, own_line)| (toks[i % toks.len()].end, *own_line))
            .collect();
        at.sort();
        at.dedup_by_key(|(p, _)| *p);
        let mut out = String::new();
        let mut last = 0;
        for (k, (p, own_line)) in at.iter().enumerate() {
            out.push_str(&text[last..*p]);
            out.push_str(if *own_line { "\n// m" } else { " // m" });
            out.push_str(&format!("{k}\n"));
            last = *p;
        }
        out.push_str(&text[last..]);
        prop_assume!(parse(&out).diagnostics.is_empty());
        check(&out, path);
    }

    #[test]
    fn never_panics(parts in proptest::collection::vec(prop_oneof![
        Just("criterion"), Just("x"), Just("="), Just("=>"), Just("{"), Just("}"),
        Just("("), Just(")"), Just("["), Just("]"), Just(","), Just("\n"), Just("// c\n"),
        Just("/// d\n"), Just("score s {"), Just("lead {"), Just("a: int"), Just("1"),
        Just("+2"), Just("-"), Just("and"), Just("not"), Just("\"s\""), Just("14d"),
        Just("@2026-11-01"), Just("test \"t\" {"), Just("expect"), Just("events {"),
        Just("e { } 2d ago"), Just("stages a, b"), Just("transition a -> b when"),
    ], 0..40)) {
        let text = parts.join(" ");
        if let Ok(once) = format(&text) {
            let twice = format(&once);
            prop_assert_eq!(Ok(once.clone()), twice, "input:\n{}", text);
            prop_assert_eq!(shape(&text), shape(&once));
            prop_assert_eq!(comments(&text), comments(&once));
        }
    }
}

#[test]
fn spec_example_layout() {
    let path = manifest().join("tests/fixtures/valid/spec_example.mql");
    let text = std::fs::read_to_string(path).expect("spec example");
    insta::assert_snapshot!(check(&text, "spec example"));
}

/// Found by the `model` fuzz target: a label of control characters is
/// printed with escapes (`\u{0}`), longer than in the file, and that length
/// carried the comments after it into the enum above.
#[test]
fn an_escaped_string_keeps_the_comments_after_it_in_place() {
    let text = format!(
        "lead {{\n  stock: enum {{\n    a \"1{}-5\"\n    b \"5-20\"\n  }}\n}}\n\n/// Doc of c\ncriterion c = stock in [a]\n",
        "\u{0}".repeat(100)
    );
    let once = check(&text, "escaped label");
    assert!(
        once.contains("/// Doc of c\ncriterion c"),
        "the doc comment left its criterion:\n{once}"
    );
}
