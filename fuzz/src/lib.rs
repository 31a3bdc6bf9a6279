//! What each fuzz target does with its input, and the properties it checks.
//! The targets in `fuzz_targets/` are one line each; the same functions run
//! under proptest in the workspace's tests (`tests/fuzz_paths.rs` includes
//! this file), so a machine without a nightly toolchain still exercises every
//! path. Each function panics (and so fails the fuzzer or the test) when a
//! property breaks; anything else the input does is fine.

use std::sync::{Arc, OnceLock};

use mql_data::{read_events, InputFormat, Issues, LeadReader, ReadOptions, Source};
use mql_sema::hir::Model;
use mql_vm::Program;

/// The name every input is read under.
const FILE: &str = "fuzz.mql";

/// The model pipeline: parse, render the diagnostics, format twice (the
/// second time changes nothing), check, render again, compile, print the
/// program and run the model's own tests.
pub fn model(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let text = text.as_ref();
    let parsed = mql_syntax::parse(text);
    for d in &parsed.diagnostics {
        assert!(d.span.start <= d.span.end && d.span.end as usize <= text.len());
    }
    let _ = mql_syntax::render_all(&parsed.diagnostics, FILE, text, false);
    if let Ok(once) = mql_syntax::format(text) {
        match mql_syntax::format(&once) {
            Ok(twice) => assert_eq!(once, twice, "formatting twice changed the text"),
            Err(d) => panic!("the formatted text does not parse: {:?}", d[0].message),
        }
    }
    let checked = mql_sema::check_source(FILE, text);
    for d in &checked.diagnostics {
        assert!(d.span.start <= d.span.end && d.span.end as usize <= text.len());
        assert!(!d.message.is_empty() && !d.message.ends_with('.'));
    }
    let _ = mql_syntax::render_all(&checked.diagnostics, FILE, text, false);
    same_through_the_database(text, &checked.diagnostics);
    let Some(model) = checked.model.clone() else {
        assert!(checked.has_errors(), "no model, yet no error");
        return;
    };
    assert!(!checked.has_errors(), "a model despite errors");
    let program = mql_vm::compile(&model);
    let _ = program.disassemble(&|_, _| None);
    for test in &model.tests {
        let outcome = mql_vm::run_test(&program, &model, test);
        let _ = mql_vm::render_test_outcome(&outcome, &program, &model, test, FILE);
    }
}

/// The database the CLI and the editor check with (the file cut into
/// pieces at declarations, each declaration checked on its own) finds the
/// same diagnostics as checking the whole file at once. Files with `use`
/// are left out: the database would read the used files from disk.
fn same_through_the_database(text: &str, whole: &[mql_core::Diagnostic]) {
    if text.contains("use") {
        return;
    }
    let mut db = mql_db::Database::new();
    let path = "fuzz-no-such-folder/fuzz.mql";
    db.set_text(path, text);
    let (_, checked) = db.check_path(path);
    let key = |d: &mql_core::Diagnostic| (d.span, d.code, d.message.clone());
    let mut a: Vec<_> = whole.iter().map(key).collect();
    let mut b: Vec<_> = checked.diagnostics.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "the database and a whole-file check disagree");
}

/// The model the data targets read by, checked and compiled once.
fn data_model() -> &'static (Arc<Model>, Program) {
    static MODEL: OnceLock<(Arc<Model>, Program)> = OnceLock::new();
    MODEL.get_or_init(|| {
        let checked = mql_sema::check_source("data_model.mql", include_str!("data_model.mql"));
        let model = checked.model.expect("the data targets' model checks");
        let program = mql_vm::compile(&model);
        (model, program)
    })
}

/// The instant the data targets evaluate at: 2026-11-01.
const NOW: i64 = 1_793_491_200_000;

/// A data issue that means a whole record was dropped.
fn skips_a_record(issue: &mql_data::DataIssue) -> bool {
    issue.is_error()
        && [
            "(line skipped)",
            "(record skipped)",
            "(row skipped)",
            "(lead skipped)",
        ]
        .iter()
        .any(|s| issue.reason.ends_with(s))
}

/// A leads file in `format` through reading and evaluation. Every record
/// read is either a lead (evaluated to a result or an evaluation error) or
/// a data error that skips it: leads read = results + leads in error, and
/// records = leads read + records skipped.
pub fn leads(format: InputFormat, bytes: &[u8]) {
    let (model, program) = data_model();
    let mut found = Vec::new();
    // copy two columns as read and keep what the data wrote, as `--keep`
    // and `explain` do: more of the reader runs
    let options = ReadOptions {
        format: Some(format),
        keep: vec!["notes".into(), "Company Size".into()],
        written: true,
        ..ReadOptions::default()
    };
    let source = Source::new("leads", Box::new(bytes));
    let Ok(mut reader) =
        LeadReader::new(&model.schema, source, &options, Issues::collect(&mut found))
    else {
        return;
    };
    let (mut results, mut in_error) = (0u64, 0u64);
    let mut explained = 0;
    // a chunk size the parallel NDJSON path takes, when there are cores; an
    // error means the input stopped being readable, and what was read counts
    while let Ok(chunk) = reader.next_chunk(100) {
        if chunk.is_empty() {
            break;
        }
        for lead in &chunk {
            let r = program.eval(lead, NOW, true);
            match r.error {
                None => results += 1,
                Some(_) => in_error += 1,
            }
            if explained < 2 {
                let ex = mql_vm::explain(program, model, lead, NOW);
                let _ = mql_vm::render_explanation(&ex, model);
                explained += 1;
            }
        }
    }
    let read = reader.leads_read();
    let records = reader.records_seen();
    drop(reader);
    assert_eq!(
        read,
        results + in_error,
        "leads read = results + leads in error"
    );
    let skipped = found.iter().filter(|i| skips_a_record(i)).count() as u64;
    assert_eq!(
        records,
        read + skipped,
        "every record is a lead or a reported skip: {:?}",
        found.iter().map(|i| &i.reason).collect::<Vec<_>>()
    );
}

/// The leads every events input is joined to.
const EVENT_LEADS: &str =
    "{\"id\":\"a\",\"company_size\":300}\n{\"id\":\"b\",\"email\":\"x@gmail.com\"}\n{\"id\":3}\n";

/// An events file (NDJSON when the input starts with `{`, else CSV) joined
/// to three fixed leads: every lead is still read and evaluated.
pub fn events(bytes: &[u8]) {
    let (model, program) = data_model();
    let format = if bytes.first() == Some(&b'{') {
        InputFormat::Ndjson
    } else {
        InputFormat::Csv
    };
    let mut found = Vec::new();
    let mut issues = Issues::collect(&mut found);
    let options = ReadOptions {
        format: Some(format),
        ..ReadOptions::default()
    };
    let Ok(index) = read_events(
        &model.schema,
        Source::new("events", Box::new(bytes)),
        &options,
        &mut issues,
    ) else {
        return;
    };
    let leads = Source::from_text("leads.ndjson", EVENT_LEADS);
    let reader = LeadReader::new(&model.schema, leads, &ReadOptions::default(), issues)
        .expect("the fixed leads open")
        .with_events(index);
    let mut n = 0;
    for lead in reader {
        let lead = lead.expect("the fixed leads read");
        let _ = program.eval(&lead, NOW, true);
        n += 1;
    }
    assert_eq!(n, 3, "every lead is read whatever its events");
}

/// A workbook: the input itself when it is a zip archive (`PK`), else a
/// workbook written from it, so the fuzzer's text reaches the sheet reader
/// as typed cells: one row a line, cells split at commas, numbers and
/// `true`/`false` written as such; a line `#N` moves N rows down (far
/// cells stretch the sheet's used range). Then as any leads file.
pub fn workbook(bytes: &[u8]) {
    if bytes.starts_with(b"PK") {
        return leads(InputFormat::Xlsx, bytes);
    }
    let Some(book) = workbook_from_text(&String::from_utf8_lossy(bytes)) else {
        return;
    };
    leads(InputFormat::Xlsx, &book);
}

/// The bytes of a workbook with one sheet holding `text` as
/// [`workbook`] reads it; `None` when the writer refuses it.
pub fn workbook_from_text(text: &str) -> Option<Vec<u8>> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let mut row: u32 = 0;
    for line in text.lines() {
        if let Some(n) = line
            .strip_prefix('#')
            .and_then(|n| n.trim().parse::<u32>().ok())
        {
            row = row.saturating_add(n).min(1_048_575);
            continue;
        }
        for (c, cell) in line.split(',').enumerate().take(16_384) {
            let c = c as u16;
            let t = cell.trim();
            let written = if let Ok(x) = t.parse::<f64>() {
                sheet.write_number(row, c, x).map(|_| ())
            } else if t == "true" || t == "false" {
                sheet.write_boolean(row, c, t == "true").map(|_| ())
            } else {
                sheet.write_string(row, c, cell).map(|_| ())
            };
            written.ok()?;
        }
        row = (row + 1).min(1_048_575);
    }
    book.save_to_buffer().ok()
}
