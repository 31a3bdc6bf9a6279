//! Diagnostics placed in the file shown, and quick fixes.

use mql_ide::Span;

use crate::fixture::{check, draw, Fixture, MAIN};

#[test]
fn a_problem_in_a_used_file_shows_on_its_use_line() {
    let f = Fixture::new(
        "//- /ws/common.mql\nlead { n: int }\ncriterion c = nope\n//- /ws/main.mql\nmodel m\nuse \"common.mql\"\nscore s { c => +1 }\n$0",
    );
    let diags = f.analysis().diagnostics(MAIN).expect("ok");
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = &diags[0];
    check(
        &draw(f.text(MAIN), &[d.span]),
        r#"
        use "common.mql"
            ^^^^^^^^^^^^
        "#,
    );
    assert_eq!(d.message, "in `/ws/common.mql`: unknown name `nope`");
    assert_eq!(&*d.related[0].range.path, "/ws/common.mql");
}

#[test]
fn did_you_mean_is_a_quick_fix() {
    let f = Fixture::new("lead { seniority: string }\ncriterion c = senority == \"vp\"\n$0");
    let text = f.text(MAIN);
    let at = text.find("senority").expect("typo");
    let fixes = f.analysis().fixes(MAIN, Span::new(at, at + 2)).expect("ok");
    assert_eq!(fixes.len(), 1);
    assert_eq!(fixes[0].title, "change to `seniority`");
    assert!(fixes[0].preferred);
    let diags = f.analysis().diagnostics(MAIN).expect("ok");
    assert_eq!(diags[fixes[0].diagnostic].code.as_deref(), Some("E0100"));
    assert!(f
        .analysis()
        .fixes(MAIN, Span::new(0, 3))
        .expect("ok")
        .is_empty());
}
