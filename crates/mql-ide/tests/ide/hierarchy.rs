//! What a declaration depends on and what uses it.

use mql_ide::{CallKind, DefKind};

use crate::fixture::{check, Fixture};

const MODEL: &str = "//- /ws/common.mql\nlead { n: int, e: string }\nevent visit { url: string }\ncriterion big = n > 10\n//- /ws/main.mql\nuse \"common.mql\"\nlet visits = count(visit)\nscore f$0it {\n  big => +10\n  visits > 3 and big => +5\n  known(e) => +1\n}\ntier grade { A when fit >= 10  B otherwise }\nstages a, b\ntransition a -> b when fit > 100\ntest \"t\" { lead { n: 20 } expect fit == 10 }\n";

#[test]
fn outgoing_calls_are_what_a_score_depends_on() {
    let f = Fixture::new(MODEL);
    let a = f.analysis();
    let item = a.call_hierarchy(&f.pos()).expect("ok").expect("an item");
    assert_eq!(
        (item.name.as_str(), item.kind),
        ("fit", CallKind::Def(DefKind::Score))
    );
    let out: Vec<String> = a
        .outgoing_calls(&item)
        .expect("ok")
        .iter()
        .map(|c| {
            format!(
                "{} ({:?}) x{} in {}",
                c.item.name,
                c.item.kind,
                c.spans.len(),
                c.item.path
            )
        })
        .collect();
    check(
        &out.join("\n"),
        "
        big (Def(Criterion)) x2 in /ws/common.mql
        visits (Def(Let)) x1 in /ws/main.mql
        e (Def(LeadField)) x1 in /ws/common.mql
        ",
    );
}

#[test]
fn incoming_calls_are_what_uses_it() {
    let f = Fixture::new(MODEL);
    let a = f.analysis();
    let item = a.call_hierarchy(&f.pos()).expect("ok").expect("an item");
    let out: Vec<String> = a
        .incoming_calls(&item, &f.workspace())
        .expect("ok")
        .iter()
        .map(|c| format!("{} ({:?}) x{}", c.item.name, c.item.kind, c.spans.len()))
        .collect();
    check(
        &out.join("\n"),
        "
        grade (Def(Tier)) x1
        a -> b (Transition) x1
        t (Test) x1
        ",
    );
    // From the shared file, the criterion's callers in the models using it.
    let mut pos = f.pos();
    pos.path = "/ws/common.mql".into();
    pos.offset = f.text("/ws/common.mql").find("big").expect("big");
    let item = a.call_hierarchy(&pos).expect("ok").expect("an item");
    let callers: Vec<String> = a
        .incoming_calls(&item, &f.workspace())
        .expect("ok")
        .iter()
        .map(|c| format!("{} in {}", c.item.name, c.item.path))
        .collect();
    assert_eq!(callers, ["fit in /ws/main.mql"]);
}
