//! Folding ranges, selection ranges and semantic highlighting.

use mql_ide::{FoldKind, HighlightKind};

use crate::fixture::{check, Fixture, MAIN};

#[test]
fn folds_blocks_declarations_and_comment_runs() {
    let text = "// a note\n// on two lines\nlead {\n  n: int\n}\nscore s {\n  n > 1 => +1\n  each v where\n    u == 1 => +1\n}\ncriterion c =\n  n > 1\nconst k = [\n  1, 2\n]\n$0";
    let f = Fixture::new(text);
    let folds = f.analysis().folding_ranges(MAIN).expect("ok");
    let text = f.text(MAIN);
    let line = |o: u32| text[..o as usize].matches('\n').count() + 1;
    let shown: Vec<String> = folds
        .iter()
        .map(|f| {
            format!(
                "{}-{} {}",
                line(f.span.start),
                line(f.span.end),
                if f.kind == FoldKind::Comment {
                    "comment"
                } else {
                    "region"
                }
            )
        })
        .collect();
    check(
        &shown.join("\n"),
        "
        1-2 comment
        3-5 region
        6-10 region
        11-12 region
        13-15 region
        ",
    );
}

#[test]
fn selection_grows_from_the_word_to_the_file() {
    let f = Fixture::new("lead { n: int }\nscore s {\n  n > 1 and n < 9 => +1\n}\n");
    let text = f.text(MAIN);
    let at = text.find("9").expect("9");
    let ranges = f.analysis().selection_ranges(MAIN, &[at]).expect("ok");
    let shown: Vec<&str> = ranges[0]
        .iter()
        .map(|s| &text[s.start as usize..s.end as usize])
        .collect();
    assert_eq!(
        shown,
        [
            "9",
            "n < 9",
            "n > 1 and n < 9",
            "n > 1 and n < 9 => +1",
            "score s {\n  n > 1 and n < 9 => +1\n}",
            text
        ]
    );
}

#[test]
fn names_are_coloured_by_what_they_are() {
    let f = Fixture::new("/// Doc\nmodel m\nlead { tier_level: enum { a, b } }\nevent visit { url: string }\nconst n = 3\ncriterion c = tier_level == a and count(visit where url contains \"x\") >= n and now > @2020-01-01T00:00:00Z\n");
    let text = f.text(MAIN);
    let hl = f.analysis().highlight(MAIN).expect("ok");
    let shown: Vec<String> = hl
        .iter()
        .filter(|h| h.kind != HighlightKind::Operator)
        .map(|h| {
            let mut mods = Vec::new();
            if h.mods.declaration {
                mods.push("decl");
            }
            if h.mods.readonly {
                mods.push("readonly");
            }
            if h.mods.documentation {
                mods.push("doc");
            }
            if h.mods.default_library {
                mods.push("builtin");
            }
            format!(
                "{} {:?} {}",
                &text[h.span.start as usize..h.span.end as usize],
                h.kind,
                mods.join(",")
            )
        })
        .collect();
    check(
        &shown.join("\n"),
        r#"
        /// Doc Comment doc
        model Keyword 
        m Namespace decl
        lead Keyword 
        tier_level Property decl
        enum Type 
        a EnumMember decl
        b EnumMember decl
        event Keyword 
        visit Event decl
        url Property decl
        string Type 
        const Keyword 
        n Variable decl,readonly
        3 Number 
        criterion Keyword 
        c Variable decl
        tier_level Property 
        a EnumMember 
        and Keyword 
        count Function builtin
        visit Event 
        where Keyword 
        url Property 
        contains Keyword 
        "x" String 
        n Variable readonly
        and Keyword 
        now Variable readonly,builtin
        @2020-01-01T00:00:00Z Number 
        "#,
    );
}
