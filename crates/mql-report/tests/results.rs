//! The result writers on the example models' leads: CSV rows a CRM can
//! import back (the id column named as the input names it, kept columns,
//! stage changes, criterion columns) and table rows.

use std::path::Path;

use mql_report::results::{csv_header, csv_row, table_header, table_row, Shape};

fn example_leads(
    model: &mql_sema::hir::Model,
    rel: &str,
    options: mql_data::ReadOptions,
) -> Vec<mql_core::LeadRecord> {
    use mql_data::{Issues, LeadReader, Source};
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel);
    let source = Source::open(&path.to_string_lossy()).expect("example leads exist");
    let mut reader = LeadReader::new(&model.schema, source, &options, Issues::ignore())
        .expect("example leads are readable");
    reader.next_chunk(1000).expect("example leads are readable")
}

fn example_model(rel: &str) -> std::sync::Arc<mql_sema::hir::Model> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel);
    let text = std::fs::read_to_string(&path).expect("example model exists");
    mql_sema::check_source(rel, &text)
        .model
        .expect("example model checks")
}

const AS_OF: i64 = 1_793_491_200_000; // 2026-11-01T00:00:00Z

/// CSV and table of some leads, kept values read from each lead's fields
/// after the schema's.
fn render(
    model: &mql_sema::hir::Model,
    leads: &[mql_core::LeadRecord],
    shape: &Shape,
    explain: bool,
) -> String {
    let program = mql_vm::compile(model);
    let results = program.eval_batch(leads, AS_OF, explain);
    let kept = |i: usize| &leads[i].fields[model.schema.lead.len()..];
    let mut csv = csv_header(model, shape);
    csv.push('\n');
    for (i, r) in results.iter().enumerate() {
        csv.push_str(&csv_row(r, model, shape, kept(i)));
        csv.push('\n');
    }
    let rows: Vec<Vec<String>> = results
        .iter()
        .enumerate()
        .map(|(i, r)| table_row(r, model, shape, kept(i)))
        .collect();
    let table = mql_report::render_table(&table_header(model, shape), &rows);
    format!("{csv}\n{table}")
}

#[test]
fn csv_and_table_rows_of_example_leads() {
    let model = example_model("examples/b2b_saas/acme.mql");
    let leads = example_leads(&model, "examples/b2b_saas/leads.ndjson", Default::default());
    insta::assert_snapshot!(render(&model, &leads[..5], &Shape::default(), false));
}

#[test]
fn csv_keeps_json_values_and_adds_criterion_columns() {
    let model = example_model("examples/b2b_saas/acme.mql");
    let keep: Vec<String> = ["Country", "tags", "budget_confirmed", "no_such_key"]
        .map(String::from)
        .into();
    let leads = example_leads(
        &model,
        "examples/b2b_saas/leads.ndjson",
        mql_data::ReadOptions {
            keep: keep.clone(),
            ..Default::default()
        },
    );
    let shape = Shape {
        keep,
        kept_json: true,
        criteria: true,
        ..Shape::default()
    };
    let out = render(&model, &leads[..4], &shape, true);
    // A JSON string is written as its text, a list as JSON, null and a
    // missing key as an empty cell; `Country` finds `country`.
    let header = out.lines().next().unwrap();
    assert!(
        header.starts_with("id,Country,tags,budget_confirmed,no_such_key,stage,from_stage,stage_changed,fit,engagement,grade,segments,error,criterion_decision_maker,"),
        "{header}"
    );
    let first = out.lines().nth(1).unwrap();
    assert!(
        first.starts_with("ACME-0001,GB,\"[\"\"competitor\"\"]\",,,disqualified,lead,true,"),
        "{first}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn csv_input_keeps_raw_cell_text_and_names_the_id_column_as_the_input_does() {
    let model = example_model("examples/olist/olist.mql");
    let keep: Vec<String> = ["Origin", "won date"].map(String::from).into();
    let leads = example_leads(
        &model,
        "examples/olist/leads.csv",
        mql_data::ReadOptions {
            id_field: Some("MQL Id".into()),
            keep: keep.clone(),
            ..Default::default()
        },
    );
    let shape = Shape {
        id_name: "MQL Id".into(),
        keep,
        ..Shape::default()
    };
    let out = render(&model, &leads[..6], &shape, false);
    assert!(
        out.starts_with("MQL Id,Origin,won date,stage,from_stage,stage_changed,"),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

/// A model whose stages have labels, and whose tier has the same values as
/// a labelled lead enum (the same type, spec §4).
const LABELLED: &str = r#"model labelled
lead {
  crm_rating: enum { hot "Hot Lead", warm, cold "Cold Lead" "Cold" }
  visits: int
}
score fit {
  visits >= 5 => +20
  visits >= 2 => +10
}
tier temperature {
  hot when fit >= 30
  warm when fit >= 10
  cold otherwise
}
tier size {
  big when visits >= 5
  small otherwise
}
stages new "New", working "Working", qualified "Sales Qualified Lead", lost
transition new -> working when visits >= 1
transition working -> qualified when fit >= 30
transition any -> lost when visits == 0
"#;

#[test]
fn labels_write_stages_and_tier_values_as_their_first_label() {
    let model = mql_sema::check_source("labelled.mql", LABELLED)
        .model
        .expect("the model checks");
    let leads_text =
        "id,visits,stage\nL-1,6,New\nL-2,3,new\nL-3,0,Working\nL-4,1,Sales Qualified Lead\n";
    let source = mql_data::Source::new("leads.csv", Box::new(leads_text.as_bytes()));
    let leads = mql_data::LeadReader::new(
        &model.schema,
        source,
        &Default::default(),
        mql_data::Issues::ignore(),
    )
    .expect("readable")
    .next_chunk(10)
    .expect("readable");
    assert_eq!(leads.len(), 4);
    let labels = mql_report::results::Labels::of(&model);
    let shape = Shape {
        labels: Some(labels),
        ..Shape::default()
    };
    let program = mql_vm::compile(&model);
    let results = program.eval_batch(&leads, AS_OF, false);
    let mut ndjson = String::new();
    for r in &results {
        mql_report::results::push_json_line(&mut ndjson, r, &model, &shape, &[]);
        ndjson.push('\n');
    }
    let out = format!("{ndjson}\n{}", render(&model, &leads, &shape, false));
    // Without --labels, the names.
    let plain = render(&model, &leads, &Shape::default(), false);
    assert!(
        plain.contains("L-1,qualified,new,true,30.0,hot,big,,"),
        "{plain}"
    );
    insta::assert_snapshot!(out);
}
