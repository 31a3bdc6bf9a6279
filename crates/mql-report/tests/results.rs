//! The result writers on the example models' leads: CSV and table rows.

use std::path::Path;

fn example_leads(model: &mql_sema::hir::Model, rel: &str) -> Vec<mql_core::LeadRecord> {
    use mql_data::{Issues, LeadReader, ReadOptions, Source};
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel);
    let source = Source::open(&path.to_string_lossy()).expect("example leads exist");
    let mut reader = LeadReader::new(
        &model.schema,
        source,
        &ReadOptions::default(),
        Issues::ignore(),
    )
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

#[test]
fn csv_and_table_rows_of_example_leads() {
    let model = example_model("examples/b2b_saas/acme.mql");
    let program = mql_vm::compile(&model);
    let leads = example_leads(&model, "examples/b2b_saas/leads.ndjson");
    let results = program.eval_batch(&leads[..5], AS_OF, false);
    let mut csv = mql_report::results::csv_header(&model);
    csv.push('\n');
    for r in &results {
        csv.push_str(&mql_report::results::csv_row(r, &model));
        csv.push('\n');
    }
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|r| mql_report::results::table_row(r, &model))
        .collect();
    let table = mql_report::render_table(&mql_report::results::table_header(&model), &rows);
    insta::assert_snapshot!(format!("{csv}\n{table}"));
}
