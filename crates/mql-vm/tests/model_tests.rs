//! Runs the `test` blocks of the example models in `examples/` through
//! [`mql_vm::run_test`] and snapshots each outcome as `mql test` reports it.

use std::path::Path;

fn outcomes(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return format!("{rel}: missing");
    };
    let checked = mql_sema::check_source(rel, &text);
    let Some(model) = checked.model else {
        let msgs: Vec<String> = checked
            .diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect();
        return format!("{rel}: does not check: {msgs:?}");
    };
    let program = mql_vm::compile(&model);
    let mut out = String::new();
    for test in &model.tests {
        let o = mql_vm::run_test(&program, &model, test);
        out.push_str(&format!(
            "{} \"{}\"\n",
            if o.passed { "pass" } else { "FAIL" },
            o.name
        ));
        if let Some(e) = &o.error {
            out.push_str(&format!("  could not evaluate: {e}\n"));
        }
        for e in o.expects.iter().filter(|e| !e.passed) {
            out.push_str(&format!("  {}\n", e.describe()));
        }
    }
    out
}

#[test]
fn example_model_tests() {
    let mut all = String::new();
    for rel in [
        "examples/b2b_saas/acme.mql",
        "examples/ecommerce/shop.mql",
        "examples/olist/olist.mql",
        "examples/olist/olist_v2.mql",
        "examples/olist/onboarding.mql",
        "examples/webinar/webinars.mql",
    ] {
        all.push_str(&format!("# {rel}\n{}\n", outcomes(rel)));
    }
    insta::assert_snapshot!(all);
}

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
fn explanation_of_an_example_lead() {
    let model = example_model("examples/b2b_saas/acme.mql");
    let program = mql_vm::compile(&model);
    let leads = example_leads(&model, "examples/b2b_saas/leads.ndjson");
    let ex = mql_vm::explain(&program, &model, &leads[2], AS_OF);
    insta::assert_snapshot!(mql_vm::render_explanation(&ex, &model));
}

#[test]
fn bytecode_listing_of_an_example_model() {
    let rel = "examples/webinar/webinars.mql";
    let model = example_model(rel);
    let program = mql_vm::compile(&model);
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(rel),
    )
    .expect("example model exists");
    let lines: Vec<&str> = text.lines().collect();
    let listing =
        program.disassemble(&|_, line| lines.get(line as usize - 1).map(|l| l.to_string()));
    insta::assert_snapshot!(listing);
}

#[test]
fn program_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<mql_vm::Program>();
}
