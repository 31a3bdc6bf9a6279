//! Document and workspace symbols.

use mql_ide::Symbol;

use crate::fixture::{check, Fixture, MAIN};

fn outline(symbols: &[Symbol], depth: usize, out: &mut String) {
    for s in symbols {
        out.push_str(&format!(
            "{}{} {:?} {}\n",
            "  ".repeat(depth),
            s.name,
            s.kind,
            s.detail.as_deref().unwrap_or("")
        ));
        outline(&s.children, depth + 1, out);
    }
}

#[test]
fn the_outline_of_a_file() {
    let f = Fixture::new("model m\nlead { e: string, s: enum { a, b } }\nevent v { u: string }\ncriterion c = known(e)\nscore fit { c => +1 }\ntier t { A when fit > 0  B otherwise }\nstages x, y\ntransition x -> y when c\ntest \"t\" { lead { e: \"a\" } expect c }\n$0");
    let symbols = f.analysis().document_symbols(MAIN).expect("ok");
    let mut out = String::new();
    outline(&symbols, 0, &mut out);
    check(
        &out,
        r#"
        m Module model
        lead Struct 
          e Field string
          s Field enum { a, b }
        v Event event
          u Field string
        c Boolean criterion
        fit Number score, 1 rules
        t Enum tier
          A EnumMember when
          B EnumMember otherwise
        stages Enum 
          x EnumMember 
          y EnumMember 
        x -> y Operator transition
        t Method test
        "#,
    );
    // Every name lies inside its declaration.
    fn inside(s: &[Symbol]) -> bool {
        s.iter().all(|s| {
            s.span.start <= s.focus_span.start
                && s.focus_span.end <= s.span.end
                && inside(&s.children)
        })
    }
    assert!(inside(&symbols));
}

#[test]
fn workspace_symbols_come_from_every_model_once() {
    let f = Fixture::new(
        "//- /ws/common.mql\nlead { seniority: string }\ncriterion senior = seniority == \"vp\"\n//- /ws/a.mql\nuse \"common.mql\"\nscore seniority_points { senior => +1 }\n//- /ws/b.mql\nuse \"common.mql\"\nsegment seniors = senior\n",
    );
    let found = f
        .analysis()
        .workspace_symbols("senr", &f.workspace())
        .expect("ok");
    let names: Vec<String> = found
        .iter()
        .map(|s| {
            format!(
                "{} {:?} in {} ({})",
                s.name,
                s.kind,
                s.range.path,
                s.container.as_deref().unwrap_or("-")
            )
        })
        .collect();
    check(
        &names.join("\n"),
        "
        senior Boolean in /ws/common.mql (-)
        seniors Boolean in /ws/b.mql (-)
        seniority Field in /ws/common.mql (lead)
        seniority_points Number in /ws/a.mql (-)
        ",
    );
}
