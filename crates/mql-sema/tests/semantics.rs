//! Typing and resolution rules of spec §4–§5, one small model each: which
//! diagnostics a snippet gives, and the types and values the HIR holds.

use mql_core::{LeadId, Ty, Value};
use mql_sema::hir::{ExprKind, ValueKind};
use mql_sema::{check_source, Checked};

const SCHEMA: &str = r#"
lead {
  email: string
  company_size: int
  revenue: number
  seniority: enum { intern, manager, director, vp }
  industry: enum { saas, fintech, other }
  tags: list<string>
  interests: list<enum { ai, cloud }>
  signup_at: time
}
event page_view { url: string, seconds: int }
event purchase { amount: number, plan: enum { basic, pro } }
stages prospect, lead, mql
transition prospect -> lead when company_size > 10
transition lead -> mql when company_size > 100
"#;

fn run(body: &str) -> Checked {
    check_source("t.mql", &format!("{SCHEMA}{body}"))
}

/// The codes of every diagnostic, unused-declaration warnings left out.
fn codes(body: &str) -> Vec<&'static str> {
    run(body)
        .diagnostics
        .iter()
        .map(|d| d.code)
        .filter(|c| *c != "W0103")
        .collect()
}

fn let_ty(expr: &str) -> Ty {
    let c = run(&format!(
        "let x = {expr}\nscore s {{\n  known(x) => 1\n}}\n"
    ));
    let m = c
        .model
        .unwrap_or_else(|| panic!("{expr}: {:?}", c.diagnostics));
    m.values[0].ty.clone()
}

#[test]
fn arithmetic_types() {
    assert_eq!(let_ty("company_size + 1"), Ty::Int);
    assert_eq!(let_ty("company_size / 2"), Ty::Number);
    assert_eq!(let_ty("company_size * revenue"), Ty::Number);
    assert_eq!(let_ty("now - signup_at"), Ty::Duration);
    assert_eq!(let_ty("signup_at + 2d"), Ty::Time);
    assert_eq!(let_ty("2d * 1.5"), Ty::Duration);
    assert_eq!(let_ty("14d / 7d"), Ty::Number);
    assert_eq!(let_ty("min(company_size, 3)"), Ty::Int);
    assert_eq!(let_ty("max(company_size, 2.5)"), Ty::Number);
    assert_eq!(let_ty("abs(company_size)"), Ty::Int);
    assert_eq!(let_ty("round(revenue, -2)"), Ty::Number);
    assert_eq!(let_ty("sum(page_view, seconds)"), Ty::Int);
    assert_eq!(let_ty("avg(page_view, seconds)"), Ty::Number);
    assert_eq!(
        let_ty("max(purchase where plan == pro, amount)"),
        Ty::Number
    );
    assert_eq!(let_ty("distinct(page_view within 30d, day(at))"), Ty::Int);
    assert_eq!(let_ty("last(page_view)"), Ty::Time);
    assert_eq!(
        let_ty("default(seniority, vp)").to_string(),
        "enum { intern, manager, director, vp }"
    );
    assert_eq!(let_ty("length(tags)"), Ty::Int);
    assert_eq!(let_ty("days(since(signup_at))"), Ty::Number);
}

#[test]
fn bare_variants_take_the_type_of_the_other_operand() {
    assert!(codes("criterion c = seniority == vp\n").is_empty());
    assert!(codes("criterion c = vp == seniority\n").is_empty());
    assert!(codes("criterion c = industry in [saas, fintech]\n").is_empty());
    assert!(codes("criterion c = industry not in [other]\n").is_empty());
    assert!(codes("criterion c = interests contains ai\n").is_empty());
    assert!(codes("criterion c = exists(purchase where plan == pro)\n").is_empty());
    assert_eq!(codes("criterion c = seniority == saas\n"), ["E0104"]);
    assert_eq!(codes("criterion c = seniority == industry\n"), ["E0130"]);
    assert_eq!(codes("criterion c = seniority < vp\n"), ["E0130"]);
    assert_eq!(codes("let c = vp\n"), ["E0137"]);
}

#[test]
fn consts_of_variants_are_checked_where_they_are_used() {
    assert!(codes("const senior = [director, vp]\ncriterion c = seniority in senior\n").is_empty());
    assert_eq!(
        codes("const senior = [director, vp]\ncriterion c = industry in senior\n"),
        ["E0104"]
    );
    assert!(codes("const none_yet = []\ncriterion c = tags == none_yet\n").is_empty());
    let c = run("const senior = [director, vp]\ncriterion c = seniority in senior\n");
    let m = c.model.expect("model");
    let ExprKind::In { list, .. } = &m.values[0].expr.kind else {
        panic!("not a membership test")
    };
    let Value::List(items) = (match &list.kind {
        ExprKind::Lit(v) => v.clone(),
        other => panic!("{other:?}"),
    }) else {
        panic!("not a list")
    };
    let names: Vec<&str> = items
        .iter()
        .map(|v| match v {
            Value::Enum(s) => m.schema.symbols.name(*s),
            _ => "?",
        })
        .collect();
    assert_eq!(names, ["director", "vp"]);
}

#[test]
fn consts_fold_at_check_time() {
    let c = run("const a = 2 * 3 + 1\nconst b = a * 1.5\nconst w = 2w - 1d\nconst d = lower(\"ACME\")\nscore s {\n  company_size > a => +b\n  each page_view within w => 1\n  email == d => 1\n}\n");
    let m = c.model.expect("model");
    let vals: Vec<&Value> = m.consts.iter().map(|c| &c.value).collect();
    assert_eq!(
        vals,
        [
            &Value::Int(7),
            &Value::Number(10.5),
            &Value::Duration(13 * 86_400_000),
            &Value::Str("acme".into())
        ]
    );
    assert_eq!(m.scores[0].rules[0].points, 10.5);
    assert_eq!(codes("const t = now\n"), ["E0140"]);
    assert_eq!(codes("const t = since(@2026-01-01)\n"), ["E0140"]);
}

#[test]
fn names_available_only_in_their_place() {
    assert!(codes("transition mql -> lead when time_in_stage > 21d\n").is_empty());
    assert_eq!(codes("criterion c = time_in_stage > 21d\n"), ["E0136"]);
    assert_eq!(codes("criterion c = stage == mql\n"), ["E0136"]);
    assert_eq!(codes("criterion c = hour(at) < 6\n"), ["E0136"]);
    assert!(codes("criterion c = count(page_view where hour(at) < 6) >= 3\n").is_empty());
    assert!(codes("criterion c = id starts_with \"x\"\n").is_empty());
    assert!(codes("test \"t\" {\n  expect stage == prospect\n}\n").is_empty());
}

#[test]
fn string_and_list_tests() {
    let c = run("criterion a = email contains \"@\"\ncriterion b = tags contains \"vip\"\ncriterion c = \"vip\" in tags\nscore s {\n  a => 1\n  b => 1\n  c => 1\n}\n");
    let m = c.model.expect("model");
    assert!(matches!(m.values[0].expr.kind, ExprKind::StrTest(..)));
    assert!(matches!(m.values[1].expr.kind, ExprKind::In { .. }));
    assert!(matches!(m.values[2].expr.kind, ExprKind::In { .. }));
    assert_eq!(codes("criterion c = email in \"abc\"\n"), ["E0130"]);
    assert_eq!(codes("criterion c = email matches \"[a-\"\n"), ["E0143"]);
    assert_eq!(codes("criterion c = email matches email\n"), ["E0141"]);
    assert!(codes("const rx = \"(?i)^vp\"\ncriterion c = email matches rx\n").is_empty());
}

#[test]
fn queries_and_aggregates() {
    assert_eq!(codes("let c = count(email)\n"), ["E0132"]);
    assert_eq!(
        codes("let c = count(page_view within company_size)\n"),
        ["E0141"]
    );
    assert_eq!(codes("let c = sum(page_view, url)\n"), ["E0132"]);
    assert_eq!(codes("let c = count(page_veiw)\n"), ["E0102"]);
    assert!(codes("let c = min(page_view, seconds)\n").is_empty());
}

#[test]
fn dependency_order_puts_each_declaration_after_what_it_uses() {
    let c = run("criterion big = size_ok and company_size > 10\nlet size = company_size * 2\ncriterion size_ok = size > 4\nscore fit {\n  big => 10\n}\ntier grade {\n  A when fit >= 10\n  B otherwise\n}\ntest \"t\" {\n  expect grade == A or grade in [B]\n}\n");
    let m = c.model.unwrap_or_else(|| panic!("{:?}", c.diagnostics));
    use mql_sema::hir::DeclRef::*;
    let pos = |r| m.order.iter().position(|x| *x == r).expect("in order");
    assert!(pos(Value(1)) < pos(Value(2)));
    assert!(pos(Value(2)) < pos(Value(0)));
    assert!(pos(Value(0)) < pos(Score(0)));
    assert!(pos(Score(0)) < pos(Tier(0)));
    assert_eq!(m.values[1].kind, ValueKind::Let);
}

#[test]
fn test_leads_are_built_from_their_literals() {
    let c = run(r#"score s {
  each page_view => 1
}
test "VP with two visits" {
  as_of @2026-11-01T00:00:00Z
  events {
    page_view { url: "/b", seconds: 5 } 1d ago
    page_view { url: "/a" } at @2026-10-01T00:00:00Z
  }
  lead { seniority: vp, revenue: 3, stage: lead, tags: ["x"] }
  expect s == 2
}
test "defaults" {
  expect s == 0
}
"#);
    let m = c.model.unwrap_or_else(|| panic!("{:?}", c.diagnostics));
    let t = &m.tests[0];
    assert_eq!(t.lead.id, LeadId::Str("VP with two visits".into()));
    assert_eq!(t.lead.fields[2], Value::Number(3.0));
    assert_eq!(m.stage_name(t.lead.stage.expect("stage")), "lead");
    let visits = &t.lead.events[0];
    assert_eq!(visits.len(), 2);
    assert!(visits[0].at < visits[1].at, "events are sorted");
    assert_eq!(visits[1].at, t.as_of - 86_400_000);
    assert_eq!(visits[0].fields[1], Value::Unknown);
    assert_eq!(
        mql_core::time::format_time(m.tests[1].as_of),
        "2026-01-01T00:00:00Z"
    );
}

#[test]
fn a_declaration_with_a_syntax_error_is_not_reported_again_where_used() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/syntax_error_hides_no_names.mql"
    ))
    .expect("fixture");
    let c = check_source("t.mql", &text);
    assert!(c.model.is_none());
    assert!(
        c.diagnostics.iter().all(|d| d.code.starts_with("E00")),
        "{:?}",
        c.diagnostics
    );
}

/// Spec §3.1: the errors of source names, labels and placeholders, and what
/// is allowed.
#[test]
fn reading_declarations_are_checked() {
    let codes = |src: &str| -> Vec<&'static str> {
        mql_sema::check_source("m.mql", src)
            .diagnostics
            .iter()
            .map(|d| d.code)
            .collect()
    };
    // Allowed: labels equal to their own value, `from` on an enum, event `from`.
    assert!(codes("lead { vp_level: enum { vp \"VP\" \"v-p\" } from \"Level\" }\nevent e { a: int from \"A\" }\n").is_empty());
    // A field's own name and another's `from` meet after normalising.
    assert_eq!(
        codes("lead { company_size: int, size: int from \"Company-Size\" }\n"),
        ["E0124"]
    );
    // Two `from`s of an event.
    assert_eq!(
        codes("lead { x: int }\nevent e { a: int from \"A B\", b: int from \"a_b\" }\n"),
        ["E0124"]
    );
    // Lead and event fields may share a source name: they are different blocks.
    assert!(
        codes("lead { a: int from \"Amount\" }\nevent e { a: int from \"Amount\" }\n").is_empty()
    );
    assert_eq!(codes("lead { a: int from \"  \" }\n"), ["E0125"]);
    assert_eq!(codes("lead { a: int from \"ID\" }\n"), ["E0128"]);
    assert_eq!(codes("lead { a: int from \"Stage Since\" }\n"), ["E0128"]);
    assert_eq!(
        codes("lead { x: int }\nevent e { a: string from \"Lead ID\" }\n"),
        ["E0128"]
    );
    // An event field may read a column named like a lead's reserved key.
    assert!(codes("lead { x: int }\nevent e { a: string from \"Stage\" }\n").is_empty());
    assert_eq!(codes("lead { s: enum { a \"B\", b } }\n"), ["E0126"]);
    assert_eq!(
        codes("lead { s: enum { a \"Big One\", b \"big-one\" } }\n"),
        ["E0126"]
    );
    assert_eq!(
        codes("lead { s: list<enum { a \"X\", b \"x\" }> }\n"),
        ["E0126"]
    );
    assert_eq!(codes("lead { missing\n a: int }\n"), ["E0127"]);
    assert_eq!(
        codes("lead { s: enum { a, b } missing \" B \" }\n"),
        ["W0107"]
    );
    // A placeholder that is no value's spelling is fine, in any type.
    assert!(codes(
        "lead { missing \"Select\"\n s: enum { a, b }\n n: int\n t: time\n l: list<int> }\n"
    )
    .is_empty());
}
