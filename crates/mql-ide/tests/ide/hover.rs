//! Hover.

use mql_ide::Markup;

use crate::fixture::{check, draw, Fixture};

fn hover(fixture: &str) -> String {
    let f = Fixture::new(fixture);
    let pos = f.pos();
    let Some(h) = f.analysis().hover(&pos).expect("not cancelled") else {
        return "(nothing)".into();
    };
    let mut out = draw(f.text(&pos.path), &[h.span]);
    for p in h.parts {
        out.push_str("---\n");
        match p {
            Markup::Code(c) => out.push_str(&format!("{c}\n")),
            Markup::Text(t) => out.push_str(&format!("> {t}\n")),
        }
    }
    out
}

#[test]
fn a_lead_field_shows_its_type_and_values() {
    check(
        &hover("lead { seniority: enum { intern, vp } }\ncriterion c = senio$0rity == vp\n"),
        r#"
        criterion c = seniority == vp
                      ^^^^^^^^^
        ---
        seniority: enum { intern, vp }
        ---
        > lead field
        ---
        > values: `intern`, `vp`
        "#,
    );
}

/// What a CRM export writes: the column a field is read from, its
/// placeholders, a value's labels.
#[test]
fn reading_declarations_show_on_fields_and_values() {
    let schema = "lead {\n  missing \"N/A\"\n  visits: int from \"Total Visits\"\n  level: enum { vp \"Vice President\" } missing \"-\"\n}\n";
    check(
        &hover(&format!(
            "{schema}criterion c = visi$0ts > 3 and level == vp\n"
        )),
        r#"
        criterion c = visits > 3 and level == vp
                      ^^^^^^
        ---
        visits: int
        ---
        > lead field
        ---
        > read from the column "Total Visits"
        ---
        > read as unknown: "N/A"
        "#,
    );
    check(
        &hover(&format!(
            "{schema}criterion c = visits > 3 and level == v$0p\n"
        )),
        r#"
        criterion c = visits > 3 and level == vp
                                              ^^
        ---
        vp
        ---
        > value of `level`: `vp`
        ---
        > data may also write it as "Vice President"
        "#,
    );
}

#[test]
fn a_criterion_shows_its_definition_type_and_doc() {
    check(
        &hover(
            "lead { n: int }\n/// Big enough.\ncriterion big = n > 10\nscore s { b$0ig => +1 }\n",
        ),
        r#"
        score s { big => +1 }
                  ^^^
        ---
        criterion big = n > 10
        ---
        > criterion of type `bool`
        ---
        > Big enough.
        "#,
    );
}

#[test]
fn a_score_shows_the_points_it_can_reach_even_with_errors() {
    let text =
        "lead { n: int }\nscore fit {\n  n > 1 => +10\n  n > 5 => -5\n}\ncriterion c = f$0it > 3\n";
    check(
        &hover(text),
        r#"
        criterion c = fit > 3
                      ^^^
        ---
        score fit: number
        ---
        > reachable points: -5 to 10
        "#,
    );
    // While another declaration has an error, the range comes from the
    // rules' literal points.
    let broken = text.replace("criterion c", "criterion d = nope\ncriterion c");
    assert!(hover(&broken).contains("reachable points: -5 to 10"));
}

#[test]
fn values_stages_labels_and_event_fields() {
    check(
        &hover("stages prospect, lead, mql\ntransition prospect -> m$0ql when true\n"),
        r#"
        transition prospect -> mql when true
                               ^^^
        ---
        stage mql
        ---
        > stage 3 of 3: prospect → lead → **mql**
        "#,
    );
    check(
        &hover(
            "lead { n: int }\ntier t {\n  A when n > 1\n  B otherwise\n}\nsegment s = t == $0A\n",
        ),
        r#"
        segment s = t == A
                         ^
        ---
        A when n > 1
        ---
        > label of the tier `t`
        "#,
    );
    check(
        &hover("event visit { url: string, device: enum { desktop, mobile } }\nlet n = count(visit where dev$0ice == mobile)\n"),
        r#"
        let n = count(visit where device == mobile)
                                  ^^^^^^
        ---
        visit.device: enum { desktop, mobile }
        ---
        > field of the event `visit`
        ---
        > values: `desktop`, `mobile`
        "#,
    );
}

#[test]
fn functions_and_built_in_names() {
    check(
        &hover("event v { s: int }\nlet n = su$0m(v, s)\n"),
        r#"
        let n = sum(v, s)
                ^^^
        ---
        sum(query: event query, value: per-event number) -> int or number
        ---
        > the total of the value over the matching events (0 if none)
        "#,
    );
    check(
        &hover("event v { s: int }\nlet n = count(v where hour(a$0t) < 6)\n"),
        r#"
        let n = count(v where hour(at) < 6)
                                   ^^
        ---
        at: time
        ---
        > when the event happened (only in an event query's `where`)
        "#,
    );
}

#[test]
fn nothing_on_a_keyword_or_a_literal() {
    check(
        &hover("lead { n: int }\ncrit$0erion c = n > 1\n"),
        "(nothing)",
    );
    check(
        &hover("lead { n: int }\ncriterion c = n > 1$01\n"),
        "(nothing)",
    );
}

#[test]
fn consts_and_events() {
    check(
        &hover("/// Free mail domains.\nconst free = [\"gmail.com\", \"yahoo.com\"]\nlead { e: string }\ncriterion c = domain(e) in fr$0ee\n"),
        r#"
        criterion c = domain(e) in free
                                   ^^^^
        ---
        const free = ["gmail.com", "yahoo.com"]
        ---
        > const of type `list<string>`
        ---
        > Free mail domains.
        "#,
    );
    check(
        &hover("event visit { url: string, seconds: int }\nlet n = count(vis$0it)\n"),
        r#"
        let n = count(visit)
                      ^^^^^
        ---
        event visit { url: string, seconds: int }
        ---
        > every event also has `at: time`, when it happened
        "#,
    );
}
