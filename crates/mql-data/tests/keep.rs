//! `--keep`: input columns and keys copied, as read, after each lead's
//! fields — the raw text of a CSV cell, the JSON text of a value — and a
//! kept name the data does not have, named with the closest one it has.

use mql_core::{FieldDef, LeadRecord, Schema, Ty, Value};
use mql_data::{DataIssue, Issues, LeadReader, RawLines, ReadError, ReadOptions, Source};

fn schema() -> Schema {
    Schema {
        lead: vec![
            FieldDef::new("email", Ty::String),
            FieldDef::new("employees", Ty::Int),
        ],
        events: Vec::new(),
        stages: None,
        symbols: Default::default(),
    }
}

fn keep(names: &[&str]) -> ReadOptions {
    ReadOptions {
        keep: names.iter().map(|n| n.to_string()).collect(),
        ..ReadOptions::default()
    }
}

fn kept(lead: &LeadRecord) -> Vec<Option<String>> {
    lead.fields[2..]
        .iter()
        .map(|v| match v {
            Value::Str(s) => Some(s.to_string()),
            Value::Unknown => None,
            other => Some(format!("{other:?}")),
        })
        .collect()
}

fn s(text: &str) -> Option<String> {
    Some(text.to_string())
}

#[test]
fn csv_cells_are_kept_as_raw_text_and_are_not_noted_as_ignored() {
    let schema = schema();
    let mut issues: Vec<DataIssue> = Vec::new();
    let leads = {
        let text =
            "id,Email,Lead Source,employees,extra\n1, a@b.io ,Web Form,\"1,000\",x\n2,,,12,y\n";
        let reader = LeadReader::new(
            &schema,
            Source::from_text("leads.csv", text),
            &keep(&["lead_source", "email", "employees"]),
            Issues::collect(&mut issues),
        )
        .unwrap();
        reader.read_all().unwrap().0
    };
    assert_eq!(kept(&leads[0]), [s("Web Form"), s(" a@b.io "), s("1,000")]);
    assert_eq!(kept(&leads[1]), [s(""), s(""), s("12")]);
    // The fields are read as usual: the declared string as is, the bad
    // number is a data error.
    assert_eq!(leads[1].fields[1], Value::Int(12));
    let listing: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
    assert_eq!(listing.len(), 2, "{listing:?}");
    assert!(
        listing[0].contains("column `extra` is not declared"),
        "{listing:?}"
    );
    assert!(listing[1].contains("field `employees`"), "{listing:?}");
}

#[test]
fn a_kept_name_no_csv_column_has_stops_the_read_naming_the_closest() {
    let schema = schema();
    let err = LeadReader::new(
        &schema,
        Source::from_text("leads.csv", "id,Lead Source,email\n1,web,a@b.io\n"),
        &keep(&["Lead Sorce"]),
        Issues::ignore(),
    )
    .and_then(|r| r.read_all().map(|_| ()))
    .unwrap_err();
    assert!(matches!(err, ReadError::NoKeptColumn { .. }));
    assert_eq!(
        err.to_string(),
        "`--keep Lead Sorce`: `leads.csv` has no column `Lead Sorce`; the closest is `Lead Source`"
    );
}

const NDJSON: &str = r#"{"id": 1, "Lead Source": "web", "lead_source": "other", "tags": ["a", "b"], "score": 3.50}
{"id": 2, "lead_source": "fair", "tags": null}

{"id": 3, "email": "c@d.io"}
"#;

#[test]
fn json_values_are_kept_as_their_json_text_exact_names_first() {
    let schema = schema();
    let options = keep(&["Lead Source", "tags", "score", "emial"]);
    let reader = LeadReader::new(
        &schema,
        Source::from_text("leads.ndjson", NDJSON),
        &options,
        Issues::ignore(),
    )
    .unwrap();
    let mut reader = reader;
    let mut leads = Vec::new();
    while let Some(l) = reader.next_lead().unwrap() {
        leads.push(l);
    }
    assert_eq!(
        kept(&leads[0]),
        [s("\"web\""), s("[\"a\", \"b\"]"), s("3.50"), None]
    );
    assert_eq!(kept(&leads[1]), [s("\"fair\""), s("null"), None, None]);
    assert_eq!(kept(&leads[2]), [None, None, None, None]);
    // No record has `emial`: the closest key is named.
    assert_eq!(
        reader.kept_missing(),
        [("emial".to_string(), Some("email".to_string()))]
    );
}

#[test]
fn lines_decoded_on_other_threads_keep_the_same_values_and_report_missing_keys() {
    let schema = schema();
    let options = keep(&["Lead Source", "tags", "score", "emial"]);
    let mut reader = LeadReader::new(
        &schema,
        Source::from_text("leads.ndjson", NDJSON),
        &options,
        Issues::ignore(),
    )
    .unwrap();
    let mut decoder = reader.line_decoder();
    let mut leads = Vec::new();
    loop {
        let block = reader.next_lines(2, RawLines::default()).unwrap().unwrap();
        let decoded = decoder.decode(&block, 0..block.len(), |l| leads.push(l));
        reader.settle(decoded);
        if block.at_end() {
            break;
        }
    }
    reader.finish();
    assert_eq!(leads.len(), 3);
    assert_eq!(kept(&leads[0])[0], s("\"web\""));
    assert_eq!(kept(&leads[1])[1], s("null"));
    assert_eq!(
        reader.kept_missing(),
        [("emial".to_string(), Some("email".to_string()))]
    );
}
