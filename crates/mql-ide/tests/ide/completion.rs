//! Completion.

use crate::fixture::{check, Fixture};

fn complete(fixture: &str) -> String {
    let f = Fixture::new(fixture);
    let pos = f.pos();
    let c = f.analysis().completions(&pos).expect("not cancelled");
    let text = f.text(&pos.path);
    let mut out = String::new();
    for i in &c.items {
        out.push_str(&i.label);
        if let Some(d) = &i.detail {
            out.push_str(&format!(" ({d})"));
        }
        if let Some(e) = &i.edit {
            out.push_str(&format!(
                " replacing `{}`",
                &text[e.span.start as usize..e.span.end as usize]
            ));
        }
        out.push('\n');
    }
    if c.incomplete {
        out.push_str("(more as you type)\n");
    }
    out
}

const MODEL: &str = "lead {\n  seniority: enum { intern, vp }\n  company_size: int\n}\nevent page_view { url: string, seconds: int }\nstages prospect, mql\n";

#[test]
fn enum_values_after_a_comparison() {
    check(
        &complete(&format!("{MODEL}criterion c = seniority == $0\n")),
        r#"
        intern (value)
        vp (value)
        "#,
    );
    check(
        &complete(&format!("{MODEL}criterion c = seniority in [intern, $0]\n")),
        r#"
        intern (value)
        vp (value)
        "#,
    );
}

#[test]
fn what_is_typed_narrows_the_list() {
    check(
        &complete(&format!("{MODEL}criterion c = comp$0\n")),
        r#"
        company_size (lead field · int)
        (more as you type)
        "#,
    );
    check(
        &complete(&format!("{MODEL}sco$0")),
        r#"
        score
        (more as you type)
        "#,
    );
}

#[test]
fn event_fields_inside_a_query() {
    let out = complete(&format!(
        "{MODEL}criterion c = exists(page_view where $0)\n"
    ));
    assert!(
        out.starts_with(
            "url (event field · string)\nseconds (event field · int)\nat (event field · time)\n"
        ),
        "{out}"
    );
    assert!(out.contains("company_size (lead field · int)"), "{out}");
}

#[test]
fn stages_after_transition_arrows() {
    check(
        &complete(&format!("{MODEL}transition prospect -> $0\n")),
        r#"
        prospect (stage)
        mql (stage)
        "#,
    );
}

/// `lead.` is not how fields are written: the fields are offered as edits
/// that drop `lead.` (every item used to leave invalid code).
#[test]
fn after_lead_dot_fields_are_offered_without_it() {
    check(
        &complete(&format!("{MODEL}criterion c = lead.sen$0\n")),
        r#"
        seniority (lead field · enum { intern, vp } (written without `lead.`)) replacing `lead.sen`
        (more as you type)
        "#,
    );
    let f = Fixture::new(&format!("{MODEL}criterion c = lead.$0 == vp\n"));
    let pos = f.pos();
    let c = f.analysis().completions(&pos).expect("not cancelled");
    assert_eq!(c.items.len(), 2);
    // Applying an item gives a model that checks clean.
    let text = f.text(&pos.path);
    let e = c.items[0].edit.clone().expect("an edit");
    let mut fixed = text.to_string();
    fixed.replace_range(e.span.start as usize..e.span.end as usize, &e.new_text);
    assert!(fixed.contains("criterion c = seniority == vp"), "{fixed}");
    let checked = mql_sema::check_source("m.mql", &fixed);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    // After any other dot there is nothing to offer.
    check(
        &complete(&format!("{MODEL}criterion c = page_view.$0\n")),
        "",
    );
    check(&complete(&format!("{MODEL}criterion c = 3.$0\n")), "");
}

#[test]
fn nothing_inside_strings_and_comments() {
    check(
        &complete(&format!(
            "{MODEL}criterion c = exists(page_view where url == \"/pri$0\n"
        )),
        "",
    );
    check(&complete(&format!("{MODEL}// a note about sco$0\n")), "");
}

#[test]
fn declared_names_functions_and_events_in_their_places() {
    let text = format!("{MODEL}criterion big = company_size > 10\nscore fit {{\n  big => +1\n}}\n");
    let out = complete(&format!("{text}segment s = fit > 1 and $0\n"));
    for name in [
        "big (criterion · bool)",
        "fit (score · number)",
        "company_size (lead field · int)",
        "count (count(query: event query) -> int)",
        "now (time)",
        "and",
        "not",
    ] {
        assert!(out.contains(name), "{name} missing in\n{out}");
    }
    assert!(
        !out.contains("\nurl "),
        "event fields are out of scope here:\n{out}"
    );
    check(
        &complete(&format!("{text}score g {{\n  each $0\n}}\n")),
        r#"
        page_view (event)
        "#,
    );
}
