//! Reading leads and events as a user would meet it: ids, stages, values,
//! events joined and sorted, and the data errors and notes reported.

use std::sync::Arc;

use mql_core::time::{parse_time, TimeSyntax};
use mql_core::{EnumTy, EventDef, FieldDef, LeadId, LeadRecord, Schema, Symbols, Ty, Value};
use mql_data::{
    read_events, DataIssue, EventIndex, InputFormat, Issues, LeadReader, RawLines, ReadError,
    ReadOptions, Source,
};

fn enum_ty(symbols: &mut Symbols, variants: &[&str]) -> Arc<EnumTy> {
    Arc::new(EnumTy::new(
        variants.iter().map(|v| v.to_string()).collect(),
        variants.iter().map(|v| symbols.intern(v)).collect(),
    ))
}

fn f(name: &str, ty: Ty) -> FieldDef {
    FieldDef::new(name, ty)
}

fn schema() -> Schema {
    let mut symbols = Symbols::default();
    let seniority = enum_ty(&mut symbols, &["intern", "vp", "cxo"]);
    let plan = enum_ty(&mut symbols, &["basic", "pro"]);
    let stages = enum_ty(&mut symbols, &["prospect", "lead", "mql"]);
    Schema {
        lead: vec![
            f("email", Ty::String),
            f("company_size", Ty::Int),
            f("revenue", Ty::Number),
            f("vip", Ty::Bool),
            f("seniority", Ty::Enum(seniority)),
            f("tags", Ty::List(Box::new(Ty::String))),
            f("signup_at", Ty::Time),
            f("trial", Ty::Duration),
            f("job_title", Ty::String),
        ],
        events: vec![
            EventDef {
                name: "page_view".into(),
                fields: vec![f("url", Ty::String), f("seconds", Ty::Int)],
            },
            EventDef {
                name: "purchase".into(),
                fields: vec![f("amount", Ty::Number), f("plan", Ty::Enum(plan))],
            },
        ],
        stages: Some(stages),
        symbols,
    }
}

struct Read {
    leads: Vec<LeadRecord>,
    issues: Vec<DataIssue>,
}

impl Read {
    /// The data errors and notes, one a line. The small inputs here leave
    /// most fields of the schema unfilled; those warnings are checked in
    /// `crm_exports.rs`.
    fn listing(&self) -> String {
        self.issues
            .iter()
            .filter(|i| !i.is_warning())
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn ids(&self) -> Vec<String> {
        self.leads.iter().map(|l| format!("{:?}", l.id)).collect()
    }

    /// The line of every data error, in the order they were reported.
    fn error_lines(&self) -> Vec<u64> {
        self.issues
            .iter()
            .filter(|i| i.is_error())
            .map(|i| i.line)
            .collect()
    }
}

fn read_with(
    schema: &Schema,
    name: &str,
    text: &str,
    events: Option<(&str, &[u8])>,
    options: ReadOptions,
) -> Read {
    let mut got = Vec::new();
    let leads = {
        let mut issues = Issues::collect(&mut got);
        let index: Option<EventIndex> = events.map(|(n, bytes)| {
            read_events(
                schema,
                Source::new(n, Box::new(bytes)),
                &options,
                &mut issues,
            )
            .unwrap()
        });
        let mut reader =
            LeadReader::new(schema, Source::from_text(name, text), &options, issues).unwrap();
        if let Some(index) = index {
            reader = reader.with_events(index);
        }
        reader.read_all().unwrap().0
    };
    Read { leads, issues: got }
}

fn read(name: &str, text: &str) -> Read {
    read_with(&schema(), name, text, None, ReadOptions::default())
}

fn time(t: &str) -> i64 {
    parse_time(t, TimeSyntax::Data).unwrap()
}

#[test]
fn ndjson_values_are_read_by_their_declared_types() {
    let s = schema();
    let r = read_with(
        &s,
        "leads.ndjson",
        r#"{"id": "L-1", "email": "a@b.io", "company_size": "200.0", "revenue": 1.5e3, "vip": "Yes", "seniority": " VP ", "tags": ["a", "b"], "signup_at": "2026-05-01 10:00:00", "trial": "14d", "job_title": 42}"#,
        None,
        ReadOptions::default(),
    );
    assert_eq!(r.listing(), "");
    let l = &r.leads[0];
    assert_eq!(l.id, LeadId::Str("L-1".into()));
    assert_eq!(
        l.fields.to_vec(),
        vec![
            Value::Str("a@b.io".into()),
            Value::Int(200),
            Value::Number(1500.0),
            Value::Bool(true),
            Value::Enum(s.symbols.get("vp").unwrap()),
            Value::List(vec![Value::Str("a".into()), Value::Str("b".into())].into()),
            Value::Time(time("2026-05-01T10:00:00Z")),
            Value::Duration(14 * 86_400_000),
            Value::Str("42".into()),
        ]
    );
}

#[test]
fn bad_values_are_unknown_and_reported_with_their_lead() {
    let r = read(
        "leads.ndjson",
        r#"{"id": 7, "email": ["x"], "company_size": 3.5, "revenue": "1,5", "vip": 2, "seniority": "Vice President", "tags": "a", "signup_at": "2026-06-01 10:00", "trial": 14, "job_title": "ok"}"#,
    );
    insta::assert_snapshot!(r.listing(), @r#"
    data error: leads.ndjson:1: lead 7: field `email`: expected a string, found ["x"] (treated as unknown)
    data error: leads.ndjson:1: lead 7: field `company_size`: expected a whole number, found 3.5 (treated as unknown)
    data error: leads.ndjson:1: lead 7: field `revenue`: expected a number, found "1,5"; the decimal separator is a point: write 1.5 (treated as unknown)
    data error: leads.ndjson:1: lead 7: field `vip`: expected a bool (true/false/yes/no/1/0), found 2 (treated as unknown)
    data error: leads.ndjson:1: lead 7: field `seniority`: "Vice President" is not one of intern, vp, cxo (treated as unknown)
    data error: leads.ndjson:1: lead 7: field `tags`: expected a JSON array for list<string>, found "a" (treated as unknown)
    data error: leads.ndjson:1: lead 7: field `signup_at`: expected a time (RFC 3339, YYYY-MM-DD or "YYYY-MM-DD HH:MM:SS"), found "2026-06-01 10:00" (treated as unknown)
    data error: leads.ndjson:1: lead 7: field `trial`: expected a duration like "14d" (a number then m, h, d or w), found 14 (treated as unknown)
    "#);
    let l = &r.leads[0];
    assert_eq!(l.id, LeadId::Int(7));
    assert!(l.fields[..8].iter().all(|v| *v == Value::Unknown));
    assert_eq!(l.fields[8], Value::Str("ok".into()));
}

#[test]
fn ids_positions_and_duplicates() {
    let r = read(
        "leads.ndjson",
        "{\"id\": \"A\"}\n\n{\"email\": \"x\"}\n{not json\n[1]\n{\"id\": \"A\"}\n{\"id\": 2}\n{\"id\": true}\n",
    );
    insta::assert_snapshot!(r.listing(), @r#"
    data error: leads.ndjson:4: not valid JSON: key must be a string at column 2 (line skipped)
    data error: leads.ndjson:5: expected a JSON object `{…}` (line skipped)
    data error: leads.ndjson:6: lead A: field `id`: duplicate id "A" (first at line 1); both records are evaluated
    data error: leads.ndjson:7: lead 2: field `id`: duplicate id 2 (first at line 3); both records are evaluated
    data error: leads.ndjson:8: field `id`: expected an id (text or a whole number), found true (the record's position 7 is used)
    "#);
    assert_eq!(
        r.ids(),
        ["Str(\"A\")", "Int(2)", "Str(\"A\")", "Int(2)", "Int(7)"]
    );
}

#[test]
fn stages_are_matched_like_enum_values() {
    let s = schema();
    let r = read_with(
        &s,
        "leads.ndjson",
        "{\"stage\": \" MQL \", \"stage_since\": \"2026-06-01\"}\n{\"stage\": \"won\"}\n{\"stage\": null, \"stage_since\": \"soon\"}\n",
        None,
        ReadOptions::default(),
    );
    insta::assert_snapshot!(r.listing(), @r#"
    data error: leads.ndjson:2: lead 2: field `stage`: "won" is not one of the stages prospect, lead, mql (treated as absent: the lead starts at the first stage)
    data error: leads.ndjson:3: lead 3: field `stage_since`: expected a time (RFC 3339, YYYY-MM-DD or "YYYY-MM-DD HH:MM:SS"), found "soon" (treated as unknown)
    "#);
    assert_eq!(r.leads[0].stage, s.symbols.get("mql"));
    assert_eq!(r.leads[0].stage_since, Some(time("2026-06-01")));
    assert_eq!(r.leads[1].stage, None);
    assert_eq!(r.leads[2].stage_since, None);
}

#[test]
fn a_key_written_twice_is_named_once() {
    let r = read(
        "leads.ndjson",
        "{\"company_size\": 5, \"company_size\": 9}\n{\"events\": [{\"type\": \"page_view\", \"at\": \"2026-10-01\", \"url\": \"/a\", \"url\": \"/b\"}]}\n",
    );
    insta::assert_snapshot!(r.listing(), @r"
    data error: leads.ndjson:1: lead 1: field `company_size`: `company_size` appears twice in this record; the first value is used and the second is ignored
    data error: leads.ndjson:2: lead 2: field `url`: `url` appears twice in this event; the first value is used and the second is ignored
    ");
    assert_eq!(r.leads[0].fields[1], Value::Int(5));
}

#[test]
fn keys_match_after_normalising_and_undeclared_ones_are_noted_once() {
    let r = read(
        "leads.ndjson",
        "{\" Company / Size \": 5, \"JOB-TITLE\": \"cto\", \"Extra\": 1}\n{\"Extra\": 2, \"company_size\": 6, \"Company Size\": 7}\n",
    );
    insta::assert_snapshot!(r.listing(), @r"
    note: leads.ndjson:1: key `Extra` is not declared by the model and is ignored
    data error: leads.ndjson:2: lead 2: field `company_size`: both `company_size` and `Company Size` fill this field; `company_size` is used and `Company Size` is ignored
    ");
    assert_eq!(r.leads[0].fields[1], Value::Int(5));
    assert_eq!(r.leads[0].fields[8], Value::Str("cto".into()));
    assert_eq!(r.leads[1].fields[1], Value::Int(6));
}

#[test]
fn nested_and_file_events_are_grouped_and_sorted() {
    let s = schema();
    let leads = concat!(
        r#"{"id": "L-1", "events": [{"type": "purchase", "at": "2026-05-02", "amount": 1}, {"type": "page_view", "at": "2026-05-03", "url": "/a"}, {"type": "purchase", "at": "2026-05-01", "amount": 2}, {"type": "Purchase", "at": "2026-05-02", "amount": 3}]}"#,
        "\n",
        r#"{"id": 2}"#,
        "\n",
    );
    let events = concat!(
        "Lead Id,Type,At,Amount,URL,Plan\n",
        "L-1,purchase,2026-05-02,4,,PRO\n",
        "2,page_view,2026-04-01 08:00:00,,/b,\n",
        "L-1,purchase,2026-04-30,5,/ignored,\n",
        "L-9,purchase,2026-04-30,5,,\n",
        "L-1,webinar,2026-04-30,,,\n",
        "L-1,purchase,,6,,\n",
    );
    let r = read_with(
        &s,
        "leads.ndjson",
        leads,
        Some(("events.csv", events.as_bytes())),
        ReadOptions::default(),
    );
    insta::assert_snapshot!(r.listing(), @r#"
    data error: events.csv:6:2: lead L-1: field `type`: unknown event type "webinar", expected one of page_view, purchase (event skipped)
    data error: events.csv:7:3: lead L-1: field `at`: event without `at` (event skipped)
    data error: events.csv:5:1: lead L-9: field `lead_id`: no lead with id "L-9" (event skipped)
    "#);
    let l1 = &r.leads[0];
    let amounts: Vec<Value> = l1.events[1].iter().map(|e| e.fields[0].clone()).collect();
    // by time; at 2026-05-02: nested 1, nested 3, then the file's 4
    assert_eq!(
        amounts,
        [5.0, 2.0, 1.0, 3.0, 4.0].map(Value::Number).to_vec()
    );
    assert_eq!(
        l1.events[1][4].fields[1],
        Value::Enum(s.symbols.get("pro").unwrap())
    );
    assert_eq!(l1.events[0].len(), 1);
    // A position id joins events by its text.
    assert_eq!(r.leads[1].events[0].len(), 1);
    assert_eq!(r.leads[1].events[0][0].fields[0], Value::Str("/b".into()));
}

/// How many page views the leads have, checking that each lead's are sorted
/// by time and, among equal times, in file order (their `seconds` grow
/// through the file).
fn page_views_in_file_order(leads: &[LeadRecord]) -> usize {
    let mut total = 0;
    for lead in leads {
        let views = &lead.events[0];
        total += views.len();
        let seconds: Vec<(i64, i64)> = views
            .iter()
            .filter_map(|e| match e.fields[1] {
                Value::Int(n) => Some((e.at, n)),
                _ => None,
            })
            .collect();
        assert!(
            seconds.windows(2).all(|w| w[0] < w[1]),
            "sorted by time, then file order"
        );
    }
    total
}

/// An NDJSON events file is decoded a block of lines at a time on every
/// core: its events keep their file order among equal times, its data
/// errors and its once-only notes come in line order, and the last block
/// (not full) is read too.
#[test]
fn a_long_ndjson_events_file_keeps_its_order() {
    let s = schema();
    let leads = "{\"id\": \"A\"}\n{\"id\": \"B\"}\n";
    let mut events = String::new();
    let mut want_errors = Vec::new();
    for i in 1..=10_000u64 {
        let lead = if i % 2 == 0 { "A" } else { "B" };
        if i % 997 == 0 {
            events.push_str(&format!(
                "{{\"lead_id\": \"{lead}\", \"type\": \"page_view\", \"at\": \"2026-01-01\", \"seconds\": \"{i}x\", \"ref{i}\": 1}}\n"
            ));
            want_errors.push(i);
        } else if i % 1999 == 0 {
            events.push('\n');
        } else {
            // two times only, so most events tie
            let day = 1 + i % 2 * (i % 3);
            events.push_str(&format!(
                "{{\"lead_id\": \"{lead}\", \"type\": \"page_view\", \"at\": \"2026-01-0{day}\", \"seconds\": {i}}}\n"
            ));
        }
    }
    let r = read_with(
        &s,
        "leads.ndjson",
        leads,
        Some(("events.ndjson", events.as_bytes())),
        ReadOptions::default(),
    );
    assert_eq!(r.error_lines(), want_errors);
    let notes: Vec<String> = r
        .issues
        .iter()
        .filter(|i| !i.is_error() && !i.is_warning())
        .map(|i| i.to_string())
        .collect();
    assert_eq!(notes.len(), want_errors.len(), "{notes:?}");
    assert!(notes[0].contains("`ref997`"), "{notes:?}");
    // the blank lines are not events; the bad ones keep their `seconds` unknown
    assert_eq!(page_views_in_file_order(&r.leads), 10_000 - 10_000 / 1999);
}

/// The same for a long events CSV (read row by row): errors (bad values,
/// rows of the wrong width, a row that is not UTF-8) come in line order,
/// events in file order among ties.
#[test]
fn a_long_events_csv_keeps_its_order() {
    let s = schema();
    let leads = "{\"id\": \"A\"}\n{\"id\": \"B\"}\n";
    let mut events: Vec<u8> = b"lead_id,type,at,seconds\n".to_vec();
    let mut want_errors = Vec::new();
    let mut skipped = 0;
    for i in 1..=10_000u64 {
        let line = i + 1;
        let lead = if i % 2 == 0 { "A" } else { "B" };
        let day = 1 + i % 2 * (i % 3);
        if i % 997 == 0 {
            events.extend(format!("{lead},page_view,2026-01-0{day},{i}x\n").bytes());
            want_errors.push(line);
        } else if i % 1999 == 0 {
            events.extend(format!("{lead},page_view\n").bytes());
            want_errors.push(line);
            skipped += 1;
        } else if i == 5000 {
            events.extend(b"A,page_view,2026-01-01,\xff\n");
            want_errors.push(line);
            skipped += 1;
        } else {
            events.extend(format!("{lead},page_view,2026-01-0{day},{i}\n").bytes());
        }
    }
    let r = read_with(
        &s,
        "leads.ndjson",
        leads,
        Some(("events.csv", &events)),
        ReadOptions::default(),
    );
    assert_eq!(r.error_lines(), want_errors);
    assert_eq!(page_views_in_file_order(&r.leads), 10_000 - skipped);
}

#[test]
fn bad_nested_events_are_skipped() {
    let r = read(
        "leads.ndjson",
        r#"{"id": "x", "events": [{"type": "page_view"}, {"at": "2026-01-01"}, {"type": "nope", "at": "2026-01-01"}, {"type": "page_view", "at": "last week"}, 5, {"type": "page_view", "at": "2026-01-01", "seconds": "12x", "referrer": "g"}]}
{"id": "y", "events": {"type": "page_view"}}"#,
    );
    insta::assert_snapshot!(r.listing(), @r#"
    data error: leads.ndjson:1: lead x: field `at`: event without `at` (event skipped)
    data error: leads.ndjson:1: lead x: field `type`: event without `type` (event skipped)
    data error: leads.ndjson:1: lead x: field `type`: unknown event type "nope", expected one of page_view, purchase (event skipped)
    data error: leads.ndjson:1: lead x: field `at`: expected a time (RFC 3339, YYYY-MM-DD or "YYYY-MM-DD HH:MM:SS"), found "last week" (event skipped)
    data error: leads.ndjson:1: lead x: field `events`: expected an event object `{"type": …, "at": …}`, found 5 (event skipped)
    note: leads.ndjson:1: key `referrer` is not a field of event `page_view` and is ignored
    data error: leads.ndjson:1: lead x: field `seconds`: expected a whole number, found "12x" (treated as unknown)
    data error: leads.ndjson:2: lead y: field `events`: expected a JSON array of events, found {"type": "page_view"} (ignored)
    "#);
    assert_eq!(r.leads[0].events[0].len(), 1);
    assert_eq!(r.leads[0].events[0][0].fields[1], Value::Unknown);
}

#[test]
fn csv_cells_are_trimmed_split_and_located() {
    let s = schema();
    let text = "\u{feff}Id, Email ,Company Size,VIP,Tags,Seniority,Stage,Notes\n\
                L-1, a@b.io , 12 ,no, x ; y;;,cxo,lead,hi\n\
                \n\
                ,,,,,,,\n\
                L-3,c,big,maybe,,boss,,\n\
                L-4,too,few\n";
    let r = read_with(&s, "leads.csv", text, None, ReadOptions::default());
    insta::assert_snapshot!(r.listing(), @r#"
    note: leads.csv:1:8: column `Notes` is not declared by the model and is ignored
    data error: leads.csv:5:3: lead L-3: field `company_size`: expected a whole number, found "big" (treated as unknown)
    data error: leads.csv:5:4: lead L-3: field `vip`: expected a bool (true/false/yes/no/1/0), found "maybe" (treated as unknown)
    data error: leads.csv:5:6: lead L-3: field `seniority`: "boss" is not one of intern, vp, cxo (treated as unknown)
    data error: leads.csv:6: this row has 3 cells but the header has 8 (row skipped)
    "#);
    assert_eq!(r.ids(), ["Str(\"L-1\")", "Int(2)", "Str(\"L-3\")"]);
    let l = &r.leads[0];
    assert_eq!(l.fields[0], Value::Str(" a@b.io ".into()));
    assert_eq!(l.fields[1], Value::Int(12));
    assert_eq!(l.fields[3], Value::Bool(false));
    assert_eq!(
        l.fields[5],
        Value::List(vec![Value::Str("x".into()), Value::Str("y".into())].into())
    );
    assert_eq!(l.stage, s.symbols.get("lead"));
    assert!(r.leads[1].fields.iter().all(|v| *v == Value::Unknown));
}

#[test]
fn csv_header_clashes_are_reported_once() {
    let r = read("leads.csv", "email,EMAIL,Job Title,job_title\na,b,c,d\n");
    insta::assert_snapshot!(r.listing(), @r"
    data error: leads.csv:1:2: field `email`: columns `email` (column 1) and `EMAIL` (column 2) both fill this field; column 1 is used and column 2 is ignored
    data error: leads.csv:1:3: field `job_title`: columns `job_title` (column 4) and `Job Title` (column 3) both fill this field; column 4 is used and column 3 is ignored
    ");
    assert_eq!(r.leads[0].fields[0], Value::Str("a".into()));
    assert_eq!(r.leads[0].fields[8], Value::Str("d".into()));
}

#[test]
fn json_arrays_locate_values_by_line() {
    let r = read(
        "leads.json",
        "[\n  {\"id\": 1,\n   \"vip\": \"nah\"},\n  {\"id\": 2, \"events\": [\n    {\"type\": \"page_view\"}\n  ]}\n]\n",
    );
    insta::assert_snapshot!(r.listing(), @r#"
    data error: leads.json:3: lead 1: field `vip`: expected a bool (true/false/yes/no/1/0), found "nah" (treated as unknown)
    data error: leads.json:5: lead 2: field `at`: event without `at` (event skipped)
    "#);
    assert_eq!(r.leads.len(), 2);
}

#[test]
fn a_file_that_is_not_json_stops_the_read() {
    let s = schema();
    let err = |text: &str| {
        LeadReader::new(
            &s,
            Source::from_text("leads.json", text),
            &ReadOptions::default(),
            Issues::ignore(),
        )
        .err()
        .map(|e| e.to_string())
    };
    assert_eq!(
        err("[{\"id\": 1},\n {\"id\": }]").as_deref(),
        Some("`leads.json` is not valid JSON at line 2, column 9 (expected value); fix the file, or write one object a line as NDJSON")
    );
    assert_eq!(
        err("{\"id\": 1}").as_deref(),
        Some("`leads.json` is not a JSON array; a JSON data file holds one array of objects, `[{…}, {…}]`")
    );
    assert!(err("[]").is_none());
}

#[test]
fn id_field_names_another_key() {
    let s = schema();
    let options = ReadOptions {
        id_field: Some("email".into()),
        ..ReadOptions::default()
    };
    let r = read_with(
        &s,
        "leads.csv",
        "Email,id\na@b.io,9\n",
        Some((
            "events.ndjson",
            b"{\"lead_id\": \"a@b.io\", \"type\": \"page_view\", \"at\": \"2026-01-01\"}\n",
        )),
        options,
    );
    insta::assert_snapshot!(r.listing(), @"note: leads.csv:1:2: column `id` is not declared by the model and is ignored");
    assert_eq!(r.leads[0].id, LeadId::Str("a@b.io".into()));
    assert_eq!(r.leads[0].fields[0], Value::Str("a@b.io".into()));
    assert_eq!(r.leads[0].events[0].len(), 1);
}

#[test]
fn a_column_named_like_an_id_says_how_to_use_it_when_no_column_is_the_id() {
    // Without an `id` column the leads are numbered by position: the note on
    // a column named like an id says how to use it instead.
    let r = read("leads.csv", "Lead ID,company_size\nL-7,5\nL-8,6\n");
    insta::assert_snapshot!(r.listing(), @r#"note: leads.csv:1:1: column `Lead ID` is not declared by the model and is ignored; no column is `id`, so the leads are numbered by their position: if `Lead ID` holds each lead's id, run with `--id-field "Lead ID"`"#);
    assert_eq!(r.leads[1].id, LeadId::Int(2));
    // With an id column, the same column is only noted.
    let r = read("leads.csv", "id,Lead ID\n1,L-7\n");
    insta::assert_snapshot!(r.listing(), @"note: leads.csv:1:2: column `Lead ID` is not declared by the model and is ignored");
}

#[test]
fn events_files_in_ndjson_and_their_errors() {
    let events =
        "{\"lead_id\": 1, \"type\": \"purchase\", \"at\": \"2026-01-01\", \"plan\": \"Gold\"}\n\
                  {\"type\": \"purchase\", \"at\": \"2026-01-01\"}\n\
                  {\"lead_id\": 5, \"type\": \"purchase\", \"at\": \"2026-01-01\"}\n\
                  oops\n";
    let r = read_with(
        &schema(),
        "leads.ndjson",
        "{\"id\": 1}\n",
        Some(("events.ndjson", events.as_bytes())),
        ReadOptions::default(),
    );
    insta::assert_snapshot!(r.listing(), @r#"
    data error: events.ndjson:1: lead 1: field `plan`: "Gold" is not one of basic, pro (treated as unknown)
    data error: events.ndjson:2: field `lead_id`: event without `lead_id` (event skipped)
    data error: events.ndjson:4: expected a JSON object `{…}` (event skipped)
    data error: events.ndjson:3: lead 5: field `lead_id`: no lead with id 5 (event skipped)
    "#);
    assert_eq!(r.leads[0].events[1].len(), 1);
}

#[test]
fn an_events_file_keeps_only_the_fields_asked_for_and_still_checks_the_others() {
    // page_view keeps `seconds`, purchase keeps nothing
    let events = "lead_id,type,at,url,seconds,amount,plan\n\
                  1,page_view,2026-01-02,/pricing,30,,\n\
                  1,purchase,2026-01-01,,,12.5,Gold\n\
                  1,page_view,2026-01-03,/docs,x,,\n";
    for format in ["events.csv", "events.ndjson"] {
        let text = if format.ends_with(".csv") {
            events.to_string()
        } else {
            let mut lines = events.lines();
            let names: Vec<&str> = lines.next().unwrap().split(',').collect();
            lines
                .map(|row| {
                    let pairs: Vec<String> = names
                        .iter()
                        .zip(row.split(','))
                        .filter(|(_, v)| !v.is_empty())
                        .map(|(k, v)| format!("\"{k}\": \"{v}\""))
                        .collect();
                    format!("{{{}}}\n", pairs.join(", "))
                })
                .collect()
        };
        let r = read_with(
            &schema(),
            "leads.ndjson",
            "{\"id\": 1}\n",
            Some((format, text.as_bytes())),
            ReadOptions {
                event_fields: Some(vec![vec![1], vec![]]),
                ..ReadOptions::default()
            },
        );
        // a bad value in a field left out is still reported, where it is
        let errors: Vec<(u64, Option<&str>)> = r
            .issues
            .iter()
            .filter(|i| i.is_error())
            .map(|i| (i.line, i.field.as_deref()))
            .collect();
        // (the NDJSON file has no header line)
        let header = u64::from(format.ends_with(".csv"));
        assert_eq!(
            errors,
            [(2 + header, Some("plan")), (3 + header, Some("seconds"))],
            "{format}: {}",
            r.listing()
        );
        let lead = &r.leads[0];
        let views: Vec<&[Value]> = lead.events[0].iter().map(|e| &*e.fields).collect();
        assert_eq!(
            views,
            [
                &[Value::Unknown, Value::Int(30)][..],
                &[Value::Unknown, Value::Unknown][..]
            ],
            "{format}"
        );
        assert_eq!(
            &*lead.events[1][0].fields,
            &[Value::Unknown, Value::Unknown][..],
            "{format}"
        );
        assert_eq!(lead.events[1][0].at, time("2026-01-01"), "{format}");
    }
}

/// Events of several leads in turns: each event goes to its own lead, and a
/// data error in one names the lead of its own line, whether or not the
/// line before was the same lead's (the reader keeps the last id it made).
#[test]
fn events_of_leads_in_turns_keep_their_own_leads() {
    let events = "lead_id,type,at,url,seconds\n\
                  A,page_view,2026-01-01,/a1,1\n\
                  A,page_view,2026-01-02,/a2,x\n\
                  B,page_view,2026-01-03,/b1,y\n\
                  C,page_view,2026-01-04,/c1,3\n\
                  A,page_view,2026-01-05,/a3,z\n\
                  B,page_view,2026-01-06,/b2,4\n";
    let r = read_with(
        &schema(),
        "leads.ndjson",
        "{\"id\": \"A\"}\n{\"id\": \"B\"}\n",
        Some(("events.csv", events.as_bytes())),
        ReadOptions::default(),
    );
    let errors: Vec<(u64, String, Option<&str>)> = r
        .issues
        .iter()
        .filter(|i| i.is_error())
        .map(|i| {
            let lead = i.lead.as_ref().map(|l| l.to_string()).unwrap_or_default();
            (i.line, lead, i.field.as_deref())
        })
        .collect();
    assert_eq!(
        errors,
        [
            (3, "A".to_string(), Some("seconds")),
            (4, "B".to_string(), Some("seconds")),
            (6, "A".to_string(), Some("seconds")),
            // events without a lead are known once every lead is read
            (5, "C".to_string(), Some("lead_id")),
        ],
        "{}",
        r.listing()
    );
    let urls = |lead: &LeadRecord| -> Vec<Value> {
        lead.events[0].iter().map(|e| e.fields[0].clone()).collect()
    };
    let text = |t: &str| Value::Str(t.into());
    assert_eq!(urls(&r.leads[0]), [text("/a1"), text("/a2"), text("/a3")]);
    assert_eq!(urls(&r.leads[1]), [text("/b1"), text("/b2")]);
}

/// An events CSV of several megabytes, read in blocks on every core: cells
/// with quoted commas and line ends fall on every side of the blocks' cuts,
/// and each event still reaches its lead in file order, with every data
/// error on its own line.
#[test]
fn a_large_events_csv_is_read_whole_and_in_order() {
    let mut text = String::from("lead_id,type,at,url,seconds\n");
    let mut line = 2u64;
    let mut bad_lines = Vec::new();
    let mut urls: [Vec<String>; 3] = Default::default();
    for i in 0..120_000u64 {
        let lead = i % 3;
        let url = match i % 4 {
            0 => format!("/page/{i}"),
            1 => format!("/a,b/{i}"),
            2 => format!("/line\nbreak/{i}"),
            _ => format!("/say \"hi\"/{i}"),
        };
        let quoted = format!("\"{}\"", url.replace('"', "\"\""));
        let seconds = if i % 997 == 0 {
            bad_lines.push(line);
            "soon".to_string()
        } else {
            i.to_string()
        };
        text.push_str(&format!(
            "L{lead},page_view,2026-01-01,{quoted},{seconds}\n"
        ));
        line += 1 + url.matches('\n').count() as u64;
        urls[lead as usize].push(url);
    }
    assert!(text.len() > 5 << 20, "{} bytes", text.len());
    let r = read_with(
        &schema(),
        "leads.ndjson",
        "{\"id\": \"L0\"}\n{\"id\": \"L1\"}\n{\"id\": \"L2\"}\n",
        Some(("events.csv", text.as_bytes())),
        ReadOptions::default(),
    );
    let errors: Vec<u64> = (r.issues.iter())
        .filter(|i| i.is_error())
        .map(|i| i.line)
        .collect();
    assert_eq!(errors, bad_lines);
    for (lead, want) in r.leads.iter().zip(&urls) {
        let got: Vec<&Value> = lead.events[0].iter().map(|e| &e.fields[0]).collect();
        let want: Vec<Value> = want.iter().map(|u| Value::Str(u.as_str().into())).collect();
        assert_eq!(got.len(), want.len(), "{:?}", lead.id);
        assert!(got.iter().zip(&want).all(|(g, w)| *g == w), "{:?}", lead.id);
    }
}

/// A record of an events CSV longer than 16 MiB stops the read, naming its
/// line, as it does in a leads file.
#[test]
fn an_events_csv_record_longer_than_16_mib_stops_the_read() {
    let long = "x".repeat(mql_data::MAX_RECORD_BYTES as usize);
    let text = format!("lead_id,type,at,url,seconds\nL1,page_view,2026-01-01,/a,1\nL1,page_view,2026-01-02,\"{long}\",2\n");
    let mut issues = Issues::ignore();
    let err = read_events(
        &schema(),
        Source::new("events.csv", Box::new(text.as_bytes())),
        &ReadOptions::default(),
        &mut issues,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("line 3 of `events.csv` is longer than 16 MiB"),
        "{err}"
    );
}

#[test]
fn an_events_csv_needs_its_key_columns() {
    let s = schema();
    let mut issues = Issues::ignore();
    let err = read_events(
        &s,
        Source::from_text("events.csv", "lead,type,at\n"),
        &ReadOptions::default(),
        &mut issues,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the events file `events.csv` has no `lead_id` column; an events CSV needs `lead_id`, `type` and `at` columns"
    );
}

#[test]
fn chunks_keep_input_order() {
    let s = schema();
    let text: String = (1..=10).map(|i| format!("{{\"id\": {i}}}\n")).collect();
    let mut reader = LeadReader::new(
        &s,
        Source::new("-", Box::new(text.as_bytes())),
        &ReadOptions {
            format: Some(InputFormat::Ndjson),
            ..ReadOptions::default()
        },
        Issues::ignore(),
    )
    .unwrap();
    let mut ids = Vec::new();
    loop {
        let chunk = reader.next_chunk(4).unwrap();
        if chunk.is_empty() {
            break;
        }
        assert!(chunk.len() <= 4);
        ids.extend(chunk.into_iter().map(|l| l.id));
    }
    assert_eq!(ids, (1..=10).map(LeadId::Int).collect::<Vec<_>>());
    assert_eq!(reader.leads_read(), 10);
}

#[test]
fn standard_input_needs_a_format() {
    let s = schema();
    let e = LeadReader::new(
        &s,
        Source::new("-", Box::new(&b""[..])),
        &ReadOptions::default(),
        Issues::ignore(),
    )
    .err()
    .unwrap();
    assert!(matches!(e, ReadError::UnknownFormat { .. }));
}

/// A few thousand NDJSON lines with every kind of trouble spread over them:
/// bad values, malformed and blank lines, duplicate ids far apart, keys the
/// model does not declare first met deep in the file.
fn troubled_ndjson() -> String {
    let mut text = String::new();
    for i in 1..=3000u32 {
        // A long run of broken lines: some chunks give no lead at all.
        if (1200..1400).contains(&i) {
            text.push_str("{\"id\": \n");
            continue;
        }
        let line = match i % 97 {
            0 => "{\"id\": \"broken\"".to_string(),
            1 => String::new(),
            2 => format!(r#"{{"id": "L-{}", "company_size": "big"}}"#, i / 2),
            3 if i > 1500 => format!(r#"{{"id": "L-{i}", "late_key": 1, "vip": "maybe"}}"#),
            4 => format!(
                r#"{{"id": "L-{i}", "events": [{{"type": "page_view", "at": "2026-01-0{}", "url": "/x", "extra": 1}}, {{"type": "nope", "at": "2026-01-01"}}]}}"#,
                1 + i % 9
            ),
            _ => format!(
                r#"{{"id": "L-{i}", "email": "p{i}@x.io", "company_size": {}, "seniority": "{}", "stage": "{}", "events": [{{"type": "purchase", "at": "2026-02-01", "amount": {i}.5, "plan": "Pro"}}, {{"type": "page_view", "at": "2026-01-01", "url": "/a", "seconds": 3}}]}}"#,
                i % 500,
                ["vp", "cxo", "intern", "ceo"][(i % 4) as usize],
                ["lead", "mql", "won"][(i % 3) as usize],
            ),
        };
        text.push_str(&line);
        text.push('\n');
    }
    text
}

#[test]
fn ndjson_read_in_parallel_chunks_equals_reading_one_lead_at_a_time() {
    let s = schema();
    let text = troubled_ndjson();
    let one_by_one = read("leads.ndjson", &text);

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .expect("a thread pool");
    let mut got = Vec::new();
    let leads = pool.install(|| {
        let issues = Issues::collect(&mut got);
        let mut reader = LeadReader::new(
            &s,
            Source::from_text("leads.ndjson", &text),
            &ReadOptions::default(),
            issues,
        )
        .unwrap();
        let mut leads = Vec::new();
        // Uneven chunk sizes, so parts and chunks split the trouble
        // differently, and single leads asked for in between.
        for n in [100usize, 777, 1, 64, 4096, 1, 1].into_iter().cycle() {
            if n == 1 {
                match reader.next_lead().unwrap() {
                    Some(lead) => leads.push(lead),
                    None => break,
                }
                continue;
            }
            let chunk = reader.next_chunk(n).unwrap();
            if chunk.is_empty() {
                break;
            }
            leads.extend(chunk);
        }
        let records = text.lines().filter(|l| !l.trim().is_empty()).count();
        assert_eq!(reader.records_seen(), records as u64);
        leads
    });
    let parallel = Read { leads, issues: got };

    assert!(one_by_one.leads.len() > 2700);
    assert!(one_by_one.issues.len() > 100, "{}", one_by_one.listing());
    assert!(one_by_one.listing().contains("late_key"));
    assert!(one_by_one.listing().contains("duplicate id"));
    assert_eq!(parallel.leads, one_by_one.leads);
    assert_eq!(parallel.listing(), one_by_one.listing());
}

#[test]
fn a_chunk_of_only_bad_lines_does_not_end_the_reading() {
    let s = schema();
    let mut text = String::new();
    for i in 0..320 {
        if (10..310).contains(&i) {
            text.push_str("{\"id\": \n");
        } else {
            text.push_str(&format!("{{\"id\": \"L-{i}\"}}\n"));
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("a thread pool");
    let mut got = Vec::new();
    let leads = pool.install(|| {
        let mut reader = LeadReader::new(
            &s,
            Source::from_text("leads.ndjson", &text),
            &ReadOptions::default(),
            Issues::collect(&mut got),
        )
        .unwrap();
        let mut leads = Vec::new();
        loop {
            let chunk = reader.next_chunk(64).unwrap();
            if chunk.is_empty() {
                break;
            }
            leads.extend(chunk);
        }
        leads
    });
    assert_eq!(
        leads.len(),
        20,
        "the leads after the broken lines were lost"
    );
    assert_eq!(got.iter().filter(|i| !i.is_warning()).count(), 300);
}

/// An events file for [`troubled_ndjson`]: events for some of its leads, for
/// a duplicated id, and for leads that do not exist.
fn troubled_events() -> String {
    let mut text = String::new();
    for i in (1..=3100u32).step_by(7) {
        text.push_str(&format!(
            "{{\"lead_id\": \"L-{i}\", \"type\": \"page_view\", \"at\": \"2026-01-0{}\", \"url\": \"/e{i}\"}}\n",
            1 + i % 9
        ));
    }
    text.push_str("{\"lead_id\": \"L-3\", \"type\": \"purchase\", \"at\": \"2026-03-01\", \"plan\": \"gold\"}\n");
    text
}

#[test]
fn lines_decoded_out_of_order_on_other_threads_settle_as_if_read_one_at_a_time() {
    let s = schema();
    let text = troubled_ndjson();
    let events = troubled_events();
    let one_by_one = read_with(
        &s,
        "leads.ndjson",
        &text,
        Some(("events.ndjson", events.as_bytes())),
        ReadOptions::default(),
    );
    assert!(one_by_one.listing().contains("no lead with id \"L-3004\""));

    let mut got = Vec::new();
    let leads = {
        let mut issues = Issues::collect(&mut got);
        let options = ReadOptions::default();
        let index = read_events(
            &s,
            Source::from_text("events.ndjson", &events),
            &options,
            &mut issues,
        )
        .unwrap();
        let mut reader = LeadReader::new(
            &s,
            Source::from_text("leads.ndjson", &text),
            &options,
            issues,
        )
        .unwrap()
        .with_events(index);
        // Uneven blocks, read ahead in groups of five and decoded last block
        // first, each on a thread of its own with a decoder of its own.
        let mut leads = Vec::new();
        let mut sizes = [37usize, 256, 1, 900, 64].into_iter().cycle();
        loop {
            let mut blocks = Vec::new();
            for _ in 0..5 {
                let block = reader
                    .next_lines(sizes.next().unwrap(), RawLines::default())
                    .unwrap()
                    .unwrap();
                let end = block.at_end();
                blocks.push(block);
                if end {
                    break;
                }
            }
            let done: Vec<_> = std::thread::scope(|scope| {
                let handles: Vec<_> = blocks
                    .iter()
                    .rev()
                    .map(|block| {
                        let mut decoder = reader.line_decoder();
                        scope.spawn(move || {
                            let mut leads = Vec::new();
                            let decoded =
                                decoder.decode(block, 0..block.len(), |lead| leads.push(lead));
                            (leads, decoded)
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            for (block_leads, decoded) in done.into_iter().rev() {
                reader.settle(decoded);
                leads.extend(block_leads);
            }
            if blocks.last().is_none_or(|b| b.at_end()) {
                break;
            }
        }
        reader.finish();
        assert_eq!(reader.leads_read(), leads.len() as u64);
        leads
    };
    let blocks = Read { leads, issues: got };
    assert_eq!(blocks.leads, one_by_one.leads);
    assert_eq!(blocks.listing(), one_by_one.listing());
}

#[test]
fn next_lines_is_only_for_ndjson() {
    let s = schema();
    let mut reader = LeadReader::new(
        &s,
        Source::from_text("leads.csv", "id,email\nL-1,a@b.io\n"),
        &ReadOptions::default(),
        Issues::ignore(),
    )
    .unwrap();
    assert!(reader
        .next_lines(10, RawLines::default())
        .unwrap()
        .is_none());
    assert_eq!(reader.next_chunk(10).unwrap().len(), 1);
}

#[test]
fn csv_separated_by_semicolons_or_tabs_is_refused_with_the_reason() {
    let s = schema();
    let open = |name: &str, text: &str| {
        LeadReader::new(
            &s,
            Source::from_text(name, text),
            &ReadOptions::default(),
            Issues::ignore(),
        )
        .unwrap()
        .next_chunk(10)
        .err()
        .map(|e| e.to_string())
    };
    assert_eq!(
        open("leads.csv", "Id;Email;Company Size\nL-1;a@b.io;12\n").as_deref(),
        Some(
            "`leads.csv` looks separated by semicolons, not commas: its header is the one column `Id;Email;Company Size`; export it again as comma-separated CSV"
        )
    );
    let long: String = (0..30).map(|i| format!("Column {i}\t")).collect();
    let said = open("leads.csv", &format!("{long}\n1\t2\n")).unwrap();
    assert!(said.contains("separated by tabs"), "{said}");
    assert!(said.contains("`Column 0\\tColumn 1\\t"), "{said}");
    assert!(said.contains("…`"), "{said}");
    // One column with no other separator in it is an ordinary CSV.
    assert_eq!(open("leads.csv", "Email\na@b.io\n"), None);

    let mut issues = Issues::ignore();
    let events = read_events(
        &s,
        Source::from_text("events.csv", "lead_id;type;at\nL-1;page_view;2026-01-01\n"),
        &ReadOptions::default(),
        &mut issues,
    );
    let said = events.err().unwrap().to_string();
    assert!(
        said.starts_with("`events.csv` looks separated by semicolons"),
        "{said}"
    );
}
