//! The SQL of small models in every dialect (snapshots an analyst can read),
//! and the refusals: a pattern that could match differently, an output name
//! that clashes, event fields that cannot share a column.

use mql_sql::{by_name, compile, compile_data_errors, Options};

const MODEL: &str = r#"model snap
lead {
  seniority: enum { intern, manager, vp }
  company_size: int
  email: string
  signed_up: time
  tags: list<string>
}
event page_view { url: string, seconds: int }
event form_submit { form: string }

/// Director level or above.
criterion senior = seniority in [manager, vp]
let visits = count(page_view where url starts_with "/pricing" within 14d)
segment big = company_size * 2 >= 1000 and domain(email) != "gmail.com"

score fit {
  range 0 to 100
  senior => +25
  company_size between 200 and 5000 => +10
}

score engagement {
  decay half_life 14d
  each page_view where seconds > 30 => +10 up to 40
  latest form_submit where form == "demo" => +40
}

tier grade {
  A when fit >= 30
  B otherwise
}

stages prospect, lead, mql
transition prospect -> lead when exists(form_submit)
transition lead -> mql when fit >= 25 and engagement > 10
transition any -> prospect when time_in_stage > 90d and visits == 0
"#;

fn model(text: &str) -> std::sync::Arc<mql_sema::hir::Model> {
    let checked = mql_sema::check_source("model.mql", text);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    checked.model.expect("a model")
}

fn opts(dialect: &str) -> Options {
    let mut o = Options::new(by_name(dialect).expect("a dialect"));
    o.as_of = Some(1_780_000_000_000);
    o.version = "test".into();
    o.sources = vec![MODEL.into()];
    o
}

#[test]
fn the_query_of_each_dialect() {
    let m = model(MODEL);
    for d in ["duckdb", "postgres", "spark", "bigquery", "snowflake"] {
        let sql = compile(&m, &opts(d)).expect("compiles");
        assert!(sql.ends_with('\n') && !sql.trim_end().ends_with(';'));
        insta::assert_snapshot!(format!("query_{d}"), sql);
    }
}

#[test]
fn the_data_errors_query() {
    let m = model(MODEL);
    insta::assert_snapshot!(compile_data_errors(&m, &opts("duckdb")).expect("compiles"));
}

#[test]
fn explain_adds_a_column_per_criterion() {
    let m = model(MODEL);
    let mut o = opts("duckdb");
    o.explain = true;
    let sql = compile(&m, &o).expect("compiles");
    assert!(sql.contains("AS \"criterion_senior\""), "{sql}");
    assert!(!compile(&m, &opts("duckdb"))
        .unwrap()
        .contains("criterion_senior\""));
}

fn refusal(text: &str, dialect: &str) -> String {
    let m = model(text);
    match compile(&m, &opts(dialect)) {
        Ok(sql) => panic!("compiled for {dialect}:\n{sql}"),
        Err(e) => e.message,
    }
}

#[test]
fn a_pattern_that_could_match_differently_is_refused() {
    let text = "lead { title: string }\ncriterion head = title matches \"a\\\\bhead\"\n";
    insta::assert_snapshot!(refusal(text, "postgres"), @r#"criterion `head` (line 2) cannot be compiled for PostgreSQL: the pattern `a\bhead` could match differently in its regular expressions: `\b` is supported at the start or end of the pattern (or of one of its top-level alternatives), next to a part that always begins or ends with a letter, digit or `_`, or never does"#);
    let text = "lead { title: string }\ncriterion head = title matches \"\\\\bhead\\\\b\"\n";
    insta::assert_snapshot!(refusal(text, "snowflake"), @r#"criterion `head` (line 2) cannot be compiled for Snowflake: the pattern `\bhead\b` could match differently in its regular expressions: `\b` is not supported for Snowflake: its regular expressions give no way to list mql's word characters (letters of every language) in a class; write the boundary out, e.g. `(^|[^A-Za-z0-9_])` if the text is ASCII"#);
    for d in ["duckdb", "postgres", "spark", "bigquery"] {
        assert!(compile(&model(text), &opts(d)).is_ok(), "{d}");
    }
    let text = "lead { title: string }\ncriterion head = title matches \"(?i)^vp\"\n";
    assert!(compile(&model(text), &opts("spark")).is_ok());
}

#[test]
fn an_output_name_clash_is_refused() {
    let text = "lead { n: int }\nsegment path = n > 1\n";
    insta::assert_snapshot!(refusal(text, "duckdb"), @"segment `path` (line 2) cannot be compiled for DuckDB: its output column `path` would clash with the output column `path`; rename one of them");
    let text = "lead { n: int }\nsegment Big = n > 1\nscore big { Big => 1 }\n";
    insta::assert_snapshot!(refusal(text, "spark"), @"segment `Big` (line 2) cannot be compiled for Spark SQL: its output column `Big` would clash with score `big` (line 3) (Spark SQL does not tell upper from lower case in column names); rename one of them");
    assert!(compile(&model(text), &opts("postgres")).is_ok());
}

#[test]
fn event_fields_that_cannot_share_a_column_are_refused() {
    let text = "lead { n: int }\nevent a { v: int }\nevent b { v: string }\nlet x = count(a where v > 1) + count(b where v == \"x\")\n";
    insta::assert_snapshot!(refusal(text, "duckdb"), @"event field `b.v` (string) and event field `a.v` (int) cannot be compiled for DuckDB: they read one column `v` of the events table as text and as an integer; rename one of them with `from`");
}

#[test]
fn a_model_without_events_reads_no_events_table() {
    let sql = compile(
        &model("lead { n: int }\nsegment big = n > 1\n"),
        &opts("duckdb"),
    )
    .unwrap();
    assert!(!sql.contains("events"), "{sql}");
}

#[test]
fn table_names_are_inserted_as_written() {
    let m = model(MODEL);
    let mut o = opts("duckdb");
    o.leads_table = "{{ ref('stg_leads') }}".into();
    o.events_table = "analytics.\"My Events\"".into();
    let sql = compile(&m, &o).unwrap();
    assert!(sql.contains("FROM {{ ref('stg_leads') }}"), "{sql}");
    assert!(sql.contains("FROM analytics.\"My Events\""), "{sql}");
}

#[test]
fn source_names_labels_and_placeholders_are_read_as_mql_eval_reads_them() {
    let text = r#"lead {
  missing "Select"
  seniority: enum { intern, vp "Vice President" "VP" } from "Job Level" missing "N/A"
  city: string from "City Name"
}
event visit { device: enum { desktop "Desktop Computer", mobile } from "Device Category" }
stages new "New Lead", won
criterion senior = seniority == vp
criterion local = city == "Pune"
let mobile_visits = count(visit where device == mobile)
segment active = mobile_visits > 0 or senior or local
"#;
    let m = model(text);
    let sql = compile(&m, &opts("postgres")).expect("compiles");
    for want in [
        "\"Job Level\"",
        "\"City Name\"",
        "\"Device Category\"",
        "WHEN 'vice_president' THEN 'vp'",
        "WHEN 'desktop_computer' THEN 'desktop'",
        "WHEN 'new_lead' THEN 'new'",
        "IN ('select', 'n/a') THEN NULL",
        "IN ('select') THEN NULL",
    ] {
        assert!(sql.contains(want), "no {want} in:\n{sql}");
    }
    assert!(!sql.contains("\"seniority\""), "{sql}");
    let errors = compile_data_errors(&m, &opts("postgres")).expect("compiles");
    assert!(
        errors.contains("not one of intern, vp (\"Vice President\", \"VP\")"),
        "{errors}"
    );
}
