//! `--keep`: input columns and keys copied, as read, after each lead's
//! fields — the raw text of a CSV cell or of a workbook cell, the JSON text
//! of a value — also when they fill a field through its source name, and a
//! kept name the data does not have, named with the closest one it has.
//! Also what the data wrote for each field and the stage, which `mql
//! explain` asks for (`ReadOptions::written`).

use std::sync::Arc;

use mql_core::{EnumTy, FieldDef, LeadRecord, Schema, Symbols, Ty, Value};
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

/// Fields read from columns of other names (language §3.1): `visits: int
/// from "Total Visits"`, `rating: enum { hot "Hot Lead", cold } from "Lead
/// Rating" missing "Select"`.
fn crm_schema() -> Schema {
    let mut symbols = Symbols::default();
    let syms = vec![symbols.intern("hot"), symbols.intern("cold")];
    let mut rating = EnumTy::new(vec!["hot".into(), "cold".into()], syms);
    rating.labels = vec![vec!["Hot Lead".into()]];
    let mut visits = FieldDef::new("visits", Ty::Int);
    visits.source = Some("Total Visits".into());
    let mut rating_field = FieldDef::new("rating", Ty::Enum(Arc::new(rating)));
    rating_field.source = Some("Lead Rating".into());
    rating_field.missing = vec!["Select".into()];
    Schema {
        lead: vec![visits, rating_field],
        events: Vec::new(),
        stages: None,
        symbols,
    }
}

#[test]
fn columns_that_fill_fields_by_their_source_names_are_kept_as_written() {
    let schema = crm_schema();
    let mut issues: Vec<DataIssue> = Vec::new();
    let text = "id,Total Visits,Lead Rating\n1,12,Hot Lead\n2, 3 ,Select\n";
    let reader = LeadReader::new(
        &schema,
        Source::from_text("leads.csv", text),
        &keep(&["Lead Rating", "total visits"]),
        Issues::collect(&mut issues),
    )
    .unwrap();
    let leads = reader.read_all().unwrap().0;
    // The fields are read through their source names, label and placeholder
    // applied; the kept copies are the cells as written.
    let rating = |l: &LeadRecord| match &l.fields[1] {
        Value::Enum(s) => Some(schema.symbols.name(*s).to_string()),
        _ => None,
    };
    assert_eq!(leads[0].fields[0], Value::Int(12));
    assert_eq!(rating(&leads[0]).as_deref(), Some("hot"));
    assert_eq!(rating(&leads[1]), None);
    assert_eq!(kept(&leads[0]), [s("Hot Lead"), s("12")]);
    assert_eq!(kept(&leads[1]), [s("Select"), s(" 3 ")]);
    assert!(issues.is_empty(), "{issues:?}");

    // The same in JSON: the kept values are the JSON texts.
    let json = r#"{"id": 1, "Total Visits": 12, "Lead Rating": "Hot Lead"}"#;
    let mut reader = LeadReader::new(
        &schema,
        Source::from_text("leads.ndjson", json),
        &keep(&["Lead Rating", "total visits"]),
        Issues::ignore(),
    )
    .unwrap();
    let lead = reader.next_lead().unwrap().unwrap();
    assert_eq!(lead.fields[0], Value::Int(12));
    assert_eq!(kept(&lead), [s("\"Hot Lead\""), s("12")]);
    assert!(reader.kept_missing().is_empty());
}

#[test]
fn keeping_a_field_by_its_name_points_to_the_column_it_is_read_from() {
    let schema = crm_schema();
    let err = LeadReader::new(
        &schema,
        Source::from_text("leads.csv", "id,Total Visits,Lead Rating\n1,12,Hot Lead\n"),
        &keep(&["rating"]),
        Issues::ignore(),
    )
    .and_then(|r| r.read_all().map(|_| ()))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`--keep rating`: `leads.csv` has no column `rating`; the closest is `Lead Rating`"
    );
    // In JSON, known once every record is read.
    let mut reader = LeadReader::new(
        &schema,
        Source::from_text("leads.ndjson", r#"{"id": 1, "lead rating": "cold"}"#),
        &keep(&["rating"]),
        Issues::ignore(),
    )
    .unwrap();
    while reader.next_lead().unwrap().is_some() {}
    assert_eq!(
        reader.kept_missing(),
        [("rating".to_string(), Some("lead rating".to_string()))]
    );
}

#[test]
fn workbook_cells_are_kept_as_the_sheet_shows_them() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in [
        "id",
        "Total Visits",
        "Lead Rating",
        "Signed Up",
        "VIP",
        "Note",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let day = ExcelDateTime::from_ymd(2026, 5, 30).unwrap();
    sheet.write_number(1, 0, 1.0).unwrap();
    sheet.write_number(1, 1, 12.0).unwrap();
    sheet.write_string(1, 2, "Hot Lead").unwrap();
    sheet.write_datetime_with_format(1, 3, &day, &date).unwrap();
    sheet.write_boolean(1, 4, true).unwrap();
    sheet.write_string(1, 5, " call back ").unwrap();
    sheet.write_number(2, 0, 2.0).unwrap();
    sheet.write_number(2, 1, 2.5).unwrap();
    sheet.write_string(2, 2, "Select").unwrap();
    let bytes = book.save_to_buffer().unwrap();

    let schema = crm_schema();
    let mut issues: Vec<DataIssue> = Vec::new();
    let reader = LeadReader::new(
        &schema,
        Source::new("crm.xlsx", Box::new(std::io::Cursor::new(bytes))),
        &keep(&[
            "id",
            "Total Visits",
            "Lead Rating",
            "Signed Up",
            "VIP",
            "Note",
        ]),
        Issues::collect(&mut issues),
    )
    .unwrap();
    let leads = reader.read_all().unwrap().0;
    assert_eq!(
        kept(&leads[0]),
        [
            s("1"),
            s("12"),
            s("Hot Lead"),
            s("2026-05-30T00:00:00Z"),
            s("TRUE"),
            s(" call back ")
        ]
    );
    assert_eq!(
        kept(&leads[1]),
        [s("2"), s("2.5"), s("Select"), None, None, None]
    );
    // 2.5 visits is a data error of the field, not of the kept copy.
    let listing: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
    assert_eq!(listing.len(), 1, "{listing:?}");
    assert!(listing[0].contains("field `visits`"), "{listing:?}");
}

#[test]
fn what_the_data_wrote_for_each_field_and_the_stage_follows_the_kept_columns() {
    let schema = crm_schema();
    let options = ReadOptions {
        keep: vec!["Lead Rating".into()],
        written: true,
        ..ReadOptions::default()
    };
    let text = "id,Total Visits,Lead Rating,stage\n1, 12 ,Hot Lead,Won\n2,,Select,\n";
    let leads = LeadReader::new(
        &schema,
        Source::from_text("leads.csv", text),
        &options,
        Issues::ignore(),
    )
    .unwrap()
    .read_all()
    .unwrap()
    .0;
    // Two fields, one kept column, then the fields and the stage as written.
    assert_eq!(
        kept(&leads[0]),
        [s("Hot Lead"), s(" 12 "), s("Hot Lead"), s("Won")]
    );
    assert_eq!(kept(&leads[1]), [s("Select"), s(""), s("Select"), s("")]);

    let json = r#"{"id": 1, "Total Visits": 12, "Lead Rating": ["Hot Lead", null]}
{"id": 2, "Lead Rating": null}"#;
    let options = ReadOptions {
        written: true,
        ..ReadOptions::default()
    };
    let mut reader = LeadReader::new(
        &schema,
        Source::from_text("leads.ndjson", json),
        &options,
        Issues::ignore(),
    )
    .unwrap();
    let first = reader.next_lead().unwrap().unwrap();
    assert_eq!(first.fields[2], Value::Str("12".into()));
    assert_eq!(
        first.fields[3],
        Value::List(vec![Value::Str("Hot Lead".into()), Value::Unknown].into())
    );
    assert_eq!(first.fields[4], Value::Unknown);
    let second = reader.next_lead().unwrap().unwrap();
    assert_eq!(
        &second.fields[2..],
        [Value::Unknown, Value::Unknown, Value::Unknown]
    );
}
