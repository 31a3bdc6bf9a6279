//! Go to definition, references across the workspace, highlights, links.

use crate::fixture::{check, draw, Fixture, MAIN};

fn references(fixture: &str) -> String {
    let f = Fixture::new(fixture);
    let pos = f.pos();
    let refs = f
        .analysis()
        .references(&pos, true, &f.workspace())
        .expect("not cancelled")
        .unwrap_or_default();
    let mut out = String::new();
    for path in f.files.keys() {
        let spans: Vec<_> = refs
            .iter()
            .filter(|r| &*r.path == path.as_str())
            .map(|r| r.span)
            .collect();
        if !spans.is_empty() {
            out.push_str(&format!("{path}\n{}", draw(f.text(path), &spans)));
        }
    }
    out
}

#[test]
fn definition_of_a_name_and_of_a_used_file() {
    let f = Fixture::new(
        "//- /ws/common.mql\nlead { email: string }\n//- /ws/main.mql\nuse \"comm$0on.mql\"\ncriterion c = known(email)\n",
    );
    let a = f.analysis();
    let t = a.definition(&f.pos()).expect("ok").expect("a target");
    assert_eq!((&*t.path, t.kind), ("/ws/common.mql", None));
    let mut pos = f.pos();
    pos.offset = f.text(MAIN).find("email").expect("email");
    let t = a.definition(&pos).expect("ok").expect("a target");
    assert_eq!(&*t.path, "/ws/common.mql");
    check(
        &draw(f.text("/ws/common.mql"), &[t.focus_span]),
        "
        lead { email: string }
               ^^^^^
    ",
    );
}

/// A shared schema's field renamed or searched from the schema reaches
/// every model of the workspace that uses it, open or not.
#[test]
fn references_reach_closed_files_of_the_workspace() {
    check(
        &references(
            "//- /ws/common.mql\nlead { em$0ail: string }\n//- /ws/a.mql\nuse \"common.mql\"\ncriterion c = known(email)\n//- /ws/sub/b.mql\nuse \"../common.mql\"\nsegment s = email ends_with \"@x.io\"\n//- /elsewhere/c.mql\nuse \"../ws/common.mql\"\ncriterion d = known(email)\n",
        ),
        r#"
        /ws/a.mql
        criterion c = known(email)
                            ^^^^^
        /ws/common.mql
        lead { email: string }
               ^^^^^
        /ws/sub/b.mql
        segment s = email ends_with "@x.io"
                    ^^^^^
        "#,
    );
}

#[test]
fn references_of_a_value_stay_in_its_own_list() {
    check(
        &references(
            "lead { a: enum { x, y }, b: enum { x, z } }\ncriterion c = a == $0x and b == x\ntest \"t\" { lead { a: x, b: x } expect c }\n",
        ),
        r#"
        /ws/main.mql
        lead { a: enum { x, y }, b: enum { x, z } }
                         ^
        criterion c = a == x and b == x
                           ^
        test "t" { lead { a: x, b: x } expect c }
                             ^
        "#,
    );
}

#[test]
fn highlights_in_the_file() {
    let f = Fixture::new("lead { n: int }\ncriterion $0c = n > 1\nsegment s = c and not c\n");
    let hs = f.analysis().highlights(&f.pos()).expect("ok");
    let defs: Vec<bool> = hs.iter().map(|h| h.is_def).collect();
    assert_eq!(defs, [true, false, false]);
    check(
        &draw(f.text(MAIN), &hs.iter().map(|h| h.span).collect::<Vec<_>>()),
        "
        criterion c = n > 1
                  ^
        segment s = c and not c
                    ^         ^
        ",
    );
}

#[test]
fn use_paths_are_links() {
    let f = Fixture::new("//- /ws/m/main.mql\nuse \"../common.mql\"\nuse \"x.mql\"\n$0");
    let links = f.analysis().links("/ws/m/main.mql").expect("ok");
    let targets: Vec<&str> = links.iter().map(|l| l.target.as_str()).collect();
    assert_eq!(targets, ["/ws/common.mql", "/ws/m/x.mql"]);
    check(
        &draw(f.text("/ws/m/main.mql"), &[links[0].span]),
        r#"
        use "../common.mql"
             ^^^^^^^^^^^^^
        "#,
    );
}
